"""The personal privacy checkup: checklist, re-check nudges, alerts, calendar, letters, feedback.

Plain functions and dataclasses over the knowledge base and what the store keeps about a
chat; no Telegram, no I/O. Commands and the delivery loop call them (docs/checkup.md).
"""
