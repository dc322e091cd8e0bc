"""`GET /healthz`: is this process able to do its job right now?

Two things must work for the bot to be useful: the database (every per-chat feature and
every reminder goes through it) and the reminder scheduler (PTB's JobQueue). The report says
how each one is, in JSON, and the HTTP status sums it up: 200 when both are fine and the
process is serving, 503 otherwise (starting, stopping, a database that cannot be reached or
written, e.g. a full disk, or the scheduler down).
Load balancers and uptime checks need only the status; people read the JSON.

Nothing personal is in the report: no chat ids, no message text, no database URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telegram.ext import Application

from bot.reminders.scheduler import JOB_PREFIX
from bot.store.repository import Store

__all__ = ["HealthReport", "check_database", "check_scheduler", "health_report"]


@dataclass(slots=True)
class HealthReport:
    ok: bool
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def status_code(self) -> int:
        return 200 if self.ok else 503


async def check_database(store: Store | None) -> dict[str, Any]:
    """Whether a write commits now (`Store.health`: a full disk fails it, a `SELECT 1` would
    not), and why not, without the URL; None: the store is not open yet."""
    if store is None:
        return {"ok": False, "error": "not open"}
    return (await store.health()).as_dict()


def check_scheduler(application: Application) -> dict[str, Any]:
    """JobQueue running, how many reminder rounds are scheduled, and the next one."""
    job_queue = application.job_queue
    if job_queue is None:
        return {"ok": False, "running": False, "error": "no JobQueue"}
    running = bool(job_queue.scheduler.running)
    reminders = [j for j in job_queue.jobs() if j.name and j.name.startswith(JOB_PREFIX)]
    next_times = [j.next_t for j in reminders if j.next_t is not None]
    report: dict[str, Any] = {"ok": running, "running": running, "reminder_jobs": len(reminders)}
    if next_times:
        report["next_reminder_round"] = min(next_times).astimezone(UTC).isoformat()
    return report


async def health_report(
    application: Application,
    store: Store | None,
    *,
    state: str,
    mode: str,
    started_at: datetime | None = None,
) -> HealthReport:
    """The whole report. `state` is the serving state: starting, running or stopping."""
    database = await check_database(store)
    scheduler = check_scheduler(application)
    ok = state == "running" and database["ok"] and scheduler["ok"]
    body: dict[str, Any] = {
        "status": "ok" if ok else ("unhealthy" if state == "running" else state),
        "state": state,
        "mode": mode,
        "database": database,
        "scheduler": scheduler,
    }
    if started_at is not None:
        body["uptime_s"] = round((datetime.now(UTC) - started_at).total_seconds(), 1)
    return HealthReport(ok, body)
