"""Refresh cycles on a schedule (APScheduler 3). Minimal for now: one interval job.

The refresh-cycles issue grows this into the `imgcrawl schedule` service (job store in the
database, a lease against concurrent cycles, conditional re-crawls). Each cycle's crawl already
runs in a fresh subprocess (crawler/orchestrate.py), so the scheduler process stays clean.
"""

from __future__ import annotations

import logging
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler

from crawler.orchestrate import CrawlOptions, run_cycle
from db.session import Database

logger = logging.getLogger(__name__)

CYCLE_JOB_ID = "refresh-cycle"


def scheduled_cycle(db_url: str, data_dir: str) -> int:
    """One scheduled cycle over all active programs; returns the run id."""
    db = Database(db_url)
    try:
        return run_cycle(db, Path(data_dir), CrawlOptions(trigger="schedule"))
    finally:
        db.dispose()


def _log_failure(event: JobExecutionEvent) -> None:
    logger.error("cycle job %s failed: %s", event.job_id, event.exception)


def build_scheduler(db_url: str, data_dir: Path, every_hours: float = 24.0) -> BlockingScheduler:
    """A scheduler with the refresh job: never two at once, missed runs coalesced."""
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        scheduled_cycle, "interval", hours=every_hours, args=[db_url, str(data_dir)],
        id=CYCLE_JOB_ID, replace_existing=True, max_instances=1, coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_listener(_log_failure, EVENT_JOB_ERROR)
    return scheduler
