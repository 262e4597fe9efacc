"""Refresh cycles on a schedule: APScheduler 3 `BlockingScheduler`, jobs kept in the database.

One job (`refresh-cycle`) runs `crawler.orchestrate.run_cycle` by cron expression or interval:
`max_instances=1`, `coalesce=True` (missed runs become one), an explicit `misfire_grace_time`, and
a listener that records failed cycles as failed runs with their reason (`imgcrawl runs`). The
database lease (crawler/lease.py) keeps a second scheduler, or a manual `imgcrawl crawl`, from
running a cycle at the same time: such a cycle is skipped, not queued. SIGTERM stops the running
crawl gracefully, lets the cycle finish what was captured, and ends the process.

The job store keeps the job's arguments pickled in the database: the database URL goes there
without its password, and this process maps it back to the real one.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import DBAPIError

from crawler.lease import LeaseHeld
from crawler.orchestrate import CrawlOptions, request_stop, run_cycle
from db.models import CrawlRun, utcnow
from db.session import Database, describe_db_error, make_engine, redact_url

logger = logging.getLogger(__name__)

CYCLE_JOB_ID = "refresh-cycle"
MISFIRE_GRACE_SECONDS = 3600  # a cycle missed by less than an hour still runs


class ScheduleError(ValueError):
    """A schedule that cannot be set up (bad cron expression, no cadence)."""


class CycleFailed(RuntimeError):
    """A cycle that raised; carries the run it had started (None if it failed before one)."""

    def __init__(self, reason: str, run_id: int | None = None) -> None:
        super().__init__(reason if run_id is None else f"run {run_id} failed: {reason}")
        self.reason = reason
        self.run_id = run_id


# Redacted URL (as kept in the job store) -> the real one, for this process only.
_real_urls: dict[str, str] = {}
ABANDONED = "abandoned"  # how crawler/orchestrate.py marks runs whose cycle died


def failure_reason(error: BaseException) -> str:
    """One line saying why a cycle failed."""
    if isinstance(error, CycleFailed):
        return error.reason
    if isinstance(error, DBAPIError):
        return f"database error: {describe_db_error(error)}"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def record_failure(
    db: Database,
    run_id: int | None,
    reason: str,
    trigger: str = "schedule",
    started_at: datetime | None = None,
) -> int:
    """Mark RUN_ID failed with REASON, or add a failed run when the cycle failed before
    starting one; returns the run id. A reason already recorded is kept."""
    with db.session() as session:
        run = session.get(CrawlRun, run_id) if run_id is not None else None
        if run is None:
            run = CrawlRun(
                trigger=trigger,
                status="failed",
                started_at=started_at or utcnow(),
                finished_at=utcnow(),
                stats={"error": reason},
            )
            session.add(run)
            session.flush()
            return run.id
        error = (run.stats or {}).get("error") or ""
        if run.status == "running" or (run.status == "failed" and error.startswith(ABANDONED)):
            run.status = "failed"
            run.finished_at = run.finished_at or utcnow()
            run.stats = {**(run.stats or {}), "error": reason}
        return run.id


@dataclass(frozen=True)
class CycleSettings:
    """Everything one scheduled cycle needs; plain values, so the job store can keep them."""

    db_url: str
    data_dir: str
    timeout_seconds: float | None = None
    lease_stale_minutes: float = 10.0
    allow_private_hosts: tuple[str, ...] = ()
    download_delay: float | None = None


def _db_url(settings: CycleSettings) -> str:
    return _real_urls.get(settings.db_url, settings.db_url)


def scheduled_cycle(settings: CycleSettings) -> int | None:
    """One cycle over all active programs; None when another cycle holds the lease.

    Raises CycleFailed (with the run it started, if any) when the cycle fails."""
    started: dict[str, Any] = {}

    def note_run(event: dict[str, Any]) -> None:
        if "run_id" in event:
            started["run_id"] = event["run_id"]

    try:
        db = Database(_db_url(settings))
    except Exception as error:
        raise CycleFailed(failure_reason(error)) from error
    try:
        return run_cycle(
            db,
            Path(settings.data_dir),
            CrawlOptions(
                trigger="schedule",
                timeout_seconds=settings.timeout_seconds,
                lease_stale_after=timedelta(minutes=settings.lease_stale_minutes),
                allow_private_hosts=settings.allow_private_hosts,
                download_delay=settings.download_delay,
            ),
            note_run,
        )
    except LeaseHeld as busy:
        logger.warning("cycle skipped: %s", busy)
        return None
    except Exception as error:
        raise CycleFailed(failure_reason(error), started.get("run_id")) from error
    finally:
        db.dispose()


def trigger_for(cron: str | None, every_hours: float | None):
    """A cron or interval trigger (UTC); exactly one of the two must be given."""
    if (cron is None) == (every_hours is None):
        raise ScheduleError("give exactly one of --cron EXPR or --every HOURS")
    if cron is not None:
        try:
            return CronTrigger.from_crontab(cron, timezone="UTC")
        except ValueError as error:
            raise ScheduleError(f"bad cron expression {cron!r}: {error}") from error
    if every_hours <= 0:
        raise ScheduleError("--every must be a positive number of hours")
    return IntervalTrigger(hours=every_hours, timezone="UTC")


def _save_failure(db_url: str, error: BaseException, started_at: datetime | None = None) -> None:
    """Record a failed cycle in the database; if even that fails, the log has it."""
    try:
        db = Database(db_url, migrate=False)
        try:
            run_id = record_failure(
                db, getattr(error, "run_id", None), failure_reason(error), "schedule", started_at
            )
        finally:
            db.dispose()
        logger.error("cycle failed (run %s): %s", run_id, failure_reason(error))
    except Exception:
        logger.exception("cycle failed (%s) and could not be recorded", failure_reason(error))


def _failure_listener(settings: CycleSettings):
    def record(event: JobExecutionEvent) -> None:
        _save_failure(_db_url(settings), event.exception, event.scheduled_run_time)

    return record


def _record_missed(event: JobExecutionEvent) -> None:
    logger.warning("cycle job %s missed its time %s", event.job_id, event.scheduled_run_time)


def build_scheduler(settings: CycleSettings, trigger) -> BlockingScheduler:
    """The scheduler with its job store in the project database and the one cycle job."""
    jobstore = SQLAlchemyJobStore(engine=make_engine(settings.db_url))
    scheduler = BlockingScheduler(jobstores={"default": jobstore}, timezone="UTC")
    stored = replace(settings, db_url=redact_url(settings.db_url))  # pickled into the database
    _real_urls[stored.db_url] = settings.db_url
    scheduler.add_job(
        scheduled_cycle,
        trigger,
        args=[stored],
        id=CYCLE_JOB_ID,
        name="refresh cycle",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
    )
    scheduler.add_listener(_failure_listener(settings), EVENT_JOB_ERROR)
    scheduler.add_listener(_record_missed, EVENT_JOB_MISSED)
    return scheduler


def run_forever(settings: CycleSettings, trigger) -> None:
    """Serve cycles until SIGTERM/SIGINT; the running cycle ends cleanly first."""
    scheduler = build_scheduler(settings, trigger)

    def stop(signum, _frame) -> None:
        logger.info("signal %s: stopping after the current cycle", signum)
        request_stop()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()


def run_once(settings: CycleSettings) -> int | None:
    """One cycle now (for cron and Kubernetes CronJob); SIGTERM ends it cleanly.

    A failure is recorded as a failed run, as the listener does for scheduled cycles."""
    signal.signal(signal.SIGTERM, lambda *_: request_stop())
    try:
        return scheduled_cycle(settings)
    except CycleFailed as failed:
        _save_failure(settings.db_url, failed)
        raise
