"""Killing the browser mid-crawl: no hang, no lost run.

The JS demo sites are served with one slow JSON endpoint, so a page is certainly being rendered
when every Chromium process of the crawl is killed. The affected pages are retried in a
relaunched browser or recorded as `browser_crashed`; the run completes and every other page is
captured. The crawl's watchdog (`timeout_seconds`) turns a hang into a failed run, never a
blocked test.
"""

from __future__ import annotations

import csv
import io
import shutil
import signal
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from crawler.browser import browser_available
from crawler.cli import DEMO_PROGRAMS
from crawler.demo_server import DEFAULT_SITES_DIR, DemoServer
from crawler.orchestrate import CrawlOptions, run_cycle
from crawler.programs_io import import_programs, parse_program_list
from db import queries
from db.models import Capture, CrawlRun, Page
from db.session import Database

psutil = pytest.importorskip("psutil")
if not browser_available():
    pytest.skip("Chromium not installed", allow_module_level=True)

SITES = ("lumen-im", "prairie-im", "aurora-psych", "harbor-surgery")
SLOW = ("aurora-psych", "/api/residents.json")  # the page being rendered when the kill comes
SLOW_SECONDS = 3


@pytest.fixture
def slow_sites(tmp_path: Path) -> Path:
    sites = tmp_path / "sites"
    for site in SITES:
        shutil.copytree(DEFAULT_SITES_DIR / site, sites / site)
    (sites / SLOW[0] / "site" / "_delays").write_text(f"{SLOW[1]} {SLOW_SECONDS}\n")
    return sites


def _programs_csv(server: DemoServer) -> str:
    rows = list(csv.DictReader(io.StringIO(DEMO_PROGRAMS.read_text())))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(row for row in rows if row["id"] in SITES)
    return server.substitute(out.getvalue())


def _chromium_below(pid: int) -> list:
    try:
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p for p in descendants if "chrom" in p.name().lower()]


def test_killing_the_browser_mid_crawl_loses_nothing(slow_sites, tmp_path):
    killed: list[int] = []
    crawl_pid: list[int] = []

    def on_progress(event: dict) -> None:
        if event.get("stage") == "crawl":
            crawl_pid.append(event["pid"])

    with DemoServer(slow_sites) as server:

        def killer() -> None:
            # Wait until the browser asks for the slow endpoint: that page is mid-render.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if any((s, p) == SLOW for s, _, p in server.requests) and crawl_pid:
                    time.sleep(0.3)
                    for process in _chromium_below(crawl_pid[0]):
                        try:
                            process.send_signal(signal.SIGKILL)
                            killed.append(process.pid)
                        except psutil.NoSuchProcess:
                            pass
                    return
                time.sleep(0.05)

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        db = Database(f"sqlite:///{tmp_path / 'crash.sqlite3'}")
        import_programs(db, parse_program_list(DEMO_PROGRAMS, _programs_csv(server)))
        started = time.monotonic()
        run_id = run_cycle(
            db,
            tmp_path / "data",
            CrawlOptions(
                download_delay=0.05,
                allow_private_hosts=tuple(server.hosts()),
                timeout_seconds=120,  # the watchdog: a hang ends as a failed run
            ),
            on_progress=on_progress,
        )
        thread.join(timeout=5)
    assert killed, "no Chromium process was running when the slow page was requested"
    assert time.monotonic() - started < 120
    with db.session() as session:
        run = session.get(CrawlRun, run_id)
        stats, report = run.stats["scrapy"], run.stats["report"]
        captures = session.execute(
            select(Page.program_id, Page.url, Capture.rendered, Capture.error)
            .join(Capture, Capture.page_id == Page.id)
            .where(Capture.run_id == run_id)
        ).all()
        values = {site: queries.program_values(session, site)["values"] for site in SITES}
    assert run.status == "completed" and run.stats["crawl_exit_code"] == 0
    # The browser was launched again for the pages caught in the crash (scrapy-playwright
    # retries a page whose target closed; the spider retries it again if that fails too).
    assert report["browser_use"]["launches"] >= 2
    assert stats["playwright/page_count"] > stats["playwright/page_count/closed"]  # pages lost
    # Every failure is a browser crash, said so; nothing else failed.
    assert set(report["failed_by_reason"]) <= {"browser_crashed"}
    # The page that was mid-render was retried in the new browser and captured.
    slow_page = [
        (rendered, error)
        for program, url, rendered, error in captures
        if program == SLOW[0] and urlparse(url).fragment == "/residents"
    ]
    assert (True, None) in slow_page
    assert values[SLOW[0]]["roster.resident_count"]["value"] == 7
    # The static site never needed the browser and lost nothing.
    static = [
        (rendered, error) for program, _, rendered, error in captures if program == "harbor-surgery"
    ]
    assert static and all(error is None and not rendered for rendered, error in static)
    db.dispose()
