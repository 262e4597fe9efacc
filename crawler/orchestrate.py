"""One cycle: crawl (in a subprocess) -> normalize -> resolve -> report.

The crawl stage runs in a fresh process because Twisted's reactor cannot be restarted, and so
that a crash of the crawl cannot take the database session of the caller with it. Every stage
commits its own small transactions; the run row records how far the cycle got. Crash safety:
- one cycle at a time, guarded by the `cycle` lease (crawler/lease.py);
- a run still `running` when the next cycle gets the lease was abandoned: it becomes `failed`;
- captures left unextracted by a dead cycle are extracted by the next one;
- each program's values are resolved in one transaction: never half-written.
`request_stop()` (SIGTERM) stops the crawl gracefully; the cycle then finishes what it has
captured and the run is marked `partial`.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy.settings import Settings
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.browser import (
    BrowserConfig,
    BrowserConfigError,
    BrowserUnavailable,
    browser_available,
    browser_settings,
    executable,
)
from crawler.capture_store import CaptureStore
from crawler.config import DATABASE_URL_ENV
from crawler.lease import HeldLease, held
from crawler.normalize_stage import normalize_captures
from crawler.refresh import is_due
from crawler.report import build_report
from crawler.resolve_stage import resolve_programs
from db.models import Capture, CrawlRun, Page, Program, utcnow
from db.session import Database, redact_url

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[dict[str, Any]], None]


class CrawlError(RuntimeError):
    """A crawl could not be started (no such program, nothing to crawl)."""


@dataclass
class CrawlOptions:
    """What a caller may set for one run; everything else comes from crawler/settings.py."""

    program_ids: list[str] | None = None
    trigger: str = "manual"
    download_delay: float | None = None
    page_budget: int | None = None
    max_depth: int | None = None
    allow_private_hosts: tuple[str, ...] = ()
    contact_url: str | None = None
    timeout_seconds: float | None = None  # hard limit on the crawl stage
    extra_settings: dict[str, Any] | None = None
    lease_stale_after: timedelta = timedelta(minutes=10)
    lease_heartbeat_every: float = 30.0
    now: datetime | None = None  # the cycle's clock, for due dates (tests move it)
    browser: str = "auto"  # auto: render when needed and available | never | required


_stop = threading.Event()
_child: subprocess.Popen | None = None


def request_stop() -> None:
    """Stop the running cycle cleanly (the crawl gets SIGTERM; captured pages are kept)."""
    _stop.set()
    child = _child
    if child is not None and child.poll() is None:
        child.send_signal(signal.SIGTERM)


def _die_with_parent() -> None:
    # Linux: the crawl subprocess gets SIGKILL if the cycle's process dies (kill -9 included),
    # so no orphan keeps writing captures for a run nobody will finish.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _programs(db: Database, program_ids: list[str] | None, now: datetime) -> list[dict[str, Any]]:
    """What the spider needs per program; programs whose last run failed come first."""
    with db.session() as session:
        query = select(Program).order_by(Program.id)
        if program_ids:
            query = query.where(Program.id.in_(program_ids))
        else:
            query = query.where(Program.active.is_(True))
        programs = session.scalars(query).all()
        missing = set(program_ids or ()) - {p.id for p in programs}
        if missing:
            raise CrawlError(f"unknown program id(s): {', '.join(sorted(missing))}")
        if not programs:
            raise CrawlError(
                "no active programs to crawl (import a list with 'imgcrawl programs import FILE')"
            )
        out = [
            {
                "id": p.id,
                "website": p.website,
                "allowed_domains": p.allowed_domains,
                "known_pages": _known_pages(session, p.id, now),
                "retry_first": _last_crawl_failed(session, p.id),
                "render_mode": p.render_mode,
                "browser_actions": p.browser_actions,
            }
            for p in programs
        ]
    return sorted(out, key=lambda program: not program["retry_first"])


def _last_crawl_failed(session: Session, program_id: str) -> bool:
    """True if every capture of the program's latest run failed (site down, blocked...)."""
    latest = session.scalar(
        select(func.max(Capture.run_id))
        .join(Page, Page.id == Capture.page_id)
        .where(Page.program_id == program_id)
    )
    if latest is None:
        return False
    errors = session.scalars(
        select(Capture.error)
        .join(Page, Page.id == Capture.page_id)
        .where(Page.program_id == program_id, Capture.run_id == latest)
    ).all()
    return all(errors)


def _known_pages(session: Session, program_id: str, now: datetime) -> dict[str, dict[str, Any]]:
    """Pages we hold a body for: validators for conditional requests, and whether each is due."""
    rows = session.execute(
        select(Page, Capture.body_sha256, Capture.rendered)
        .join(Capture, Capture.page_id == Page.id)
        .where(Page.program_id == program_id, Capture.body_sha256.is_not(None))
        .order_by(Capture.id)
    ).all()
    # Later captures overwrite earlier ones: the newest body per page wins.
    # A page last read in a browser is fetched in full again: its validators describe only
    # the static shell, not the data its scripts load.
    return {
        page.url: {
            "etag": None if rendered else page.etag,
            "last_modified": None if rendered else page.last_modified,
            "body_sha256": sha,
            "due": is_due(page.page_types, page.next_due_at, now),
        }
        for page, sha, rendered in rows
    }


def crawl_settings(
    options: CrawlOptions,
    db_url: str,
    data_dir: Path,
    run_id: int,
    programs_file: Path,
    browser: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Scrapy settings of one run (on top of crawler/settings.py)."""
    from crawler import settings as defaults

    contact = options.contact_url or defaults.IMGCRAWL_CONTACT_URL
    out: dict[str, Any] = {
        # Never the password: this dict is written to runs/N/settings.json. The crawl process
        # gets the real URL in its environment (see _run_crawl_process).
        "IMGCRAWL_DATABASE_URL": redact_url(db_url),
        "IMGCRAWL_DATA_DIR": str(data_dir),
        "IMGCRAWL_RUN_ID": run_id,
        "IMGCRAWL_PROGRAMS_FILE": str(programs_file),
        "IMGCRAWL_PROGRESS": True,
        "IMGCRAWL_ALLOW_PRIVATE_HOSTS": list(options.allow_private_hosts),
        "USER_AGENT": f"{defaults.IMGCRAWL_USER_AGENT_NAME} (+{contact})",
    }
    if options.download_delay is not None:
        out["DOWNLOAD_DELAY"] = options.download_delay
    if options.page_budget is not None:
        out["IMGCRAWL_PAGE_BUDGET"] = options.page_budget
    if options.max_depth is not None:
        out["IMGCRAWL_MAX_DEPTH"] = options.max_depth
    out.update(browser or {})
    out.update(options.extra_settings or {})
    return out


def _browser_settings(options: CrawlOptions, programs: list[dict[str, Any]]) -> dict[str, Any]:
    """Install the browser for this run only if some program may need it (and it exists)."""
    if options.browser == "never" or all(p["render_mode"] == "static" for p in programs):
        return {}
    if browser_available():
        settings = Settings()
        settings.setmodule("crawler.settings", priority="project")
        settings.setdict(options.extra_settings or {}, priority="cmdline")
        try:
            return browser_settings(BrowserConfig.from_settings(settings))
        except BrowserConfigError as error:
            raise CrawlError(str(error)) from error
    if options.browser == "required":
        raise BrowserUnavailable(
            f"no browser at {executable()}: install Debian's chromium, or use --browser never"
        )
    logger.warning("no browser at %s: JavaScript-built pages will not be rendered", executable())
    return {"IMGCRAWL_BROWSER_MISSING": True}


def _run_crawl_process(
    config: Path,
    log_file: Path,
    timeout: float | None,
    on_progress: ProgressCallback | None,
    db_url: str,
) -> int:
    global _child
    env = {**os.environ, "PYTHONUNBUFFERED": "1", DATABASE_URL_ENV: db_url}
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler.crawl_job", str(config)],
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            preexec_fn=_die_with_parent,
        )
        _child = process
        # The hard time limit: a watchdog kills the crawl, whatever it is doing.
        watchdog = threading.Timer(timeout, process.kill) if timeout else None
        if watchdog:
            watchdog.daemon = True
            watchdog.start()
        try:
            if on_progress:
                on_progress({"stage": "crawl", "pid": process.pid})
            for line in process.stdout:
                if on_progress:
                    try:
                        on_progress(json.loads(line))
                    except ValueError:
                        pass
            return process.wait()
        finally:
            _child = None
            if watchdog:
                watchdog.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()


def run_cycle(
    db: Database, data_dir: Path, options: CrawlOptions, on_progress: ProgressCallback | None = None
) -> int:
    """Crawl, normalize and resolve the chosen programs; returns the run id.

    Raises LeaseHeld when another cycle is running, CrawlError when there is nothing to crawl.
    """
    with held(
        db,
        stale_after=options.lease_stale_after,
        heartbeat_every=options.lease_heartbeat_every,
        on_lost=lambda _reason: request_stop(),  # another cycle may start: stop crawling now
    ) as lease:
        _close_abandoned_runs(db)
        return _cycle(db, data_dir, options, on_progress, lease)


def _close_abandoned_runs(db: Database) -> None:
    """Runs left `running` by a dead cycle (we hold the lease, so none is alive)."""
    with db.session() as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
            run.status = "failed"
            run.finished_at = run.finished_at or utcnow()
            run.stats = {**(run.stats or {}), "error": "abandoned: the cycle's process died"}
            logger.warning("run %s was abandoned by a dead cycle; marked failed", run.id)


def _cycle(
    db: Database,
    data_dir: Path,
    options: CrawlOptions,
    on_progress: ProgressCallback | None,
    lease: HeldLease,
) -> int:
    _stop.clear()
    programs = _programs(db, options.program_ids, options.now or utcnow())
    browser = _browser_settings(options, programs)  # before the run exists: may refuse
    browser_state = (
        "rendering" if browser.get("IMGCRAWL_BROWSER") else "unavailable" if browser else "off"
    )
    with db.session() as session:
        run = CrawlRun(
            trigger=options.trigger,
            status="running",
            program_ids=options.program_ids,
            stats={"browser": browser_state},
        )
        session.add(run)
        session.flush()
        run_id = run.id
    if on_progress:
        on_progress({"run_id": run_id})  # callers record a failure on this run
    run_dir = data_dir / "runs" / str(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    programs_file = run_dir / "programs.json"
    programs_file.write_text(json.dumps(programs, indent=1))
    config = run_dir / "settings.json"
    config.write_text(
        json.dumps(crawl_settings(options, db.url, data_dir, run_id, programs_file, browser))
    )
    code = _run_crawl_process(
        config, run_dir / "crawl.log", options.timeout_seconds, on_progress, db.url
    )
    lease.check()  # lost mid-crawl: another cycle may own the database now; write nothing more
    status = "partial" if _stop.is_set() else "completed" if code == 0 else "failed"
    if on_progress:
        on_progress({"stage": "normalize"})
    # Whatever the crawl managed to capture, and anything a dead cycle left, is extracted.
    normalized = normalize_captures(db, CaptureStore(data_dir))
    resolved = resolve_programs(db, [p["id"] for p in programs], run_id)
    with db.session() as session:
        run = session.get(CrawlRun, run_id)
        run.status = status
        run.finished_at = utcnow()
        stats = dict(run.stats or {})
        stats.update(
            {
                "normalize": normalized.as_dict(),
                "resolve": resolved.as_dict(),
                "crawl_exit_code": code,
            }
        )
        if code != 0:
            stats["crawl_log_tail"] = _tail(run_dir / "crawl.log")
        run.stats = stats
    with db.session() as session:
        run = session.get(CrawlRun, run_id)
        run.stats = {**run.stats, "report": build_report(session, run_id)}
    return run_id


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
