"""Refresh cycles on a schedule: APScheduler 3 `BlockingScheduler`, jobs kept in the database.

One job (`refresh-cycle`) runs `crawler.orchestrate.run_cycle` by cron expression or interval:
`max_instances=1`, `coalesce=True` (missed runs become one), an explicit `misfire_grace_time`, and
a listener that records failed cycles. The database lease (crawler/lease.py) keeps a second
scheduler, or a manual `imgcrawl crawl`, from running a cycle at the same time: such a cycle is
skipped, not queued. SIGTERM stops the running crawl gracefully, lets the cycle finish what was
captured, and ends the process.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.lease import LeaseHeld
from crawler.orchestrate import CrawlOptions, request_stop, run_cycle
from db.session import Database, make_engine

logger = logging.getLogger(__name__)

CYCLE_JOB_ID = "refresh-cycle"
MISFIRE_GRACE_SECONDS = 3600  # a cycle missed by less than an hour still runs


class ScheduleError(ValueError):
    """A schedule that cannot be set up (bad cron expression, no cadence)."""


@dataclass(frozen=True)
class CycleSettings:
    """Everything one scheduled cycle needs; plain values, so the job store can keep them."""

    db_url: str
    data_dir: str
    timeout_seconds: float | None = None
    lease_stale_minutes: float = 10.0
    allow_private_hosts: tuple[str, ...] = ()
    download_delay: float | None = None


def scheduled_cycle(settings: CycleSettings) -> int | None:
    """One cycle over all active programs; None when another cycle holds the lease."""
    db = Database(settings.db_url)
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
        )
    except LeaseHeld as busy:
        logger.warning("cycle skipped: %s", busy)
        return None
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


def _record_failure(event: JobExecutionEvent) -> None:
    logger.error("cycle job %s failed: %r", event.job_id, event.exception)


def _record_missed(event: JobExecutionEvent) -> None:
    logger.warning("cycle job %s missed its time %s", event.job_id, event.scheduled_run_time)


def build_scheduler(settings: CycleSettings, trigger) -> BlockingScheduler:
    """The scheduler with its job store in the project database and the one cycle job."""
    jobstore = SQLAlchemyJobStore(engine=make_engine(settings.db_url))
    scheduler = BlockingScheduler(jobstores={"default": jobstore}, timezone="UTC")
    scheduler.add_job(
        scheduled_cycle,
        trigger,
        args=[settings],
        id=CYCLE_JOB_ID,
        name="refresh cycle",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
    )
    scheduler.add_listener(_record_failure, EVENT_JOB_ERROR)
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
    """One cycle now (for cron and Kubernetes CronJob); SIGTERM ends it cleanly."""
    signal.signal(signal.SIGTERM, lambda *_: request_stop())
    return scheduled_cycle(settings)
