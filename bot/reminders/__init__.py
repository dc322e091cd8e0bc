"""Reminders: plan rounds from the deadlines (pure), deliver them within Telegram's limits."""

from bot.reminders.delivery import deliver_round
from bot.reminders.outgoing import Compose, OutgoingMessage, RoundReport, Sender
from bot.reminders.plan import (
    DEFAULT_LEAD_TIMES,
    Round,
    format_lead,
    format_lead_compact,
    job_id,
    parse_lead_times,
    reminder_rounds,
    round_start,
)
from bot.reminders.policy import DeliveryPolicy
from bot.reminders.ratelimit import PerChatLimiter, SendLimiter, TokenBucket

__all__ = [
    "DEFAULT_LEAD_TIMES",
    "Compose",
    "DeliveryPolicy",
    "OutgoingMessage",
    "PerChatLimiter",
    "Round",
    "RoundReport",
    "SendLimiter",
    "Sender",
    "TokenBucket",
    "deliver_round",
    "format_lead",
    "format_lead_compact",
    "job_id",
    "parse_lead_times",
    "reminder_rounds",
    "round_start",
]
