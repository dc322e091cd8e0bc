"""`GET /healthz`: is this process able to do its job right now?

Two things must work for the bot to be useful: the database (every per-chat feature and
every reminder goes through it) and the reminder scheduler (PTB's JobQueue). The report says
how each one is, in JSON, and the HTTP status sums it up: 200 when both are fine and the
process is serving, 503 otherwise (starting, stopping, database unreachable, scheduler down).
Load balancers and uptime checks need only the status; people read the JSON.

Nothing personal is in the report: no chat ids, no message text, no database URL.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot.reminders.scheduler import JOB_PREFIX

__all__ = ["DB_TIMEOUT", "HealthReport", "check_database", "check_scheduler", "health_report"]

DB_TIMEOUT = 3.0  # seconds; a database slower than this counts as down


@dataclass(slots=True)
class HealthReport:
    ok: bool
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def status_code(self) -> int:
        return 200 if self.ok else 503


async def check_database(engine: AsyncEngine | None, timeout: float = DB_TIMEOUT) -> dict[str, Any]:
    """A trivial query through the Store's engine (None: not open yet), with a time limit."""
    if engine is None:
        return {"ok": False, "error": "not open"}
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except TimeoutError:
        return {"ok": False, "backend": engine.dialect.name, "error": f"no answer in {timeout:g} s"}
    except Exception as exc:  # any failure is "down"; say which kind, never the URL
        return {"ok": False, "backend": engine.dialect.name, "error": type(exc).__name__}
    return {
        "ok": True,
        "backend": engine.dialect.name,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


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
    engine: AsyncEngine | None,
    *,
    state: str,
    mode: str,
    started_at: datetime | None = None,
) -> HealthReport:
    """The whole report. `state` is the serving state: starting, running or stopping."""
    database = await check_database(engine)
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
