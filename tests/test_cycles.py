"""Refresh cycles: change history, unchanged cycles, one cycle at a time, crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.capture_store import CaptureStore
from crawler.demo_server import DemoServer
from crawler.orchestrate import CrawlOptions, run_cycle
from db import queries
from db.models import Capture, ChangeEvent, CrawlRun, Extraction, Finding

from test_crawl import PAGES, crawl, register

SLOW_NAMES = (
    "Ana Ruiz",
    "Ben Cole",
    "Chidi Okafor",
    "Dana Levi",
    "Emeka Obi",
    "Farah Khan",
    "Gita Rao",
    "Hugo Lima",
    "Ines Sousa",
    "Jon Park",
    "Kofi Mensah",
    "Lena Vogel",
)
SLOW_PAGES = len(SLOW_NAMES)


def write_site(root: Path, pages: dict[str, str]) -> Path:
    for name, text in pages.items():
        (root / "alpha" / "site" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "alpha" / "site" / name).write_text(text)
    return root


@pytest.fixture
def site(tmp_path):
    return write_site(tmp_path / "sites", {k: v for k, v in PAGES.items() if k != "_faults"})


def test_a_changed_page_produces_exactly_its_change_events(db, site, tmp_path):
    with DemoServer(site) as server:
        register(db, server)
        first = crawl(db, tmp_path / "data", server)
        write_site(
            site,
            {
                "visa.html": "<title>Visa</title><p>We sponsor J-1 and H-1B visas.</p>",
                "residents/index.html": PAGES["residents/index.html"].replace(
                    "</ul>",
                    "<li>Priya Raman, MBBS - Unlisted Medical College, Mumbai, India</li></ul>",
                ),
            },
        )
        second = crawl(db, tmp_path / "data", server)
    with db.session() as session:
        events = queries.changes_since(session, run_id=first)
        values = queries.program_values(session, "alpha")["values"]
    assert {e["run_id"] for e in events} == {second}
    assert sorted(e["indicator"] for e in events) == sorted(
        [
            "visa.h1b",
            "roster.resident",  # Priya Raman joined the roster
            "roster.resident_count",
            "roster.img_share",
            "roster.img_share_by_pgy",
            "roster.caribbean_share",
            "roster.countries",
        ]
    )
    by_indicator = {e["indicator"]: e for e in events}
    assert (by_indicator["visa.h1b"]["old"], by_indicator["visa.h1b"]["new"]) == ("no", "yes")
    joined = by_indicator["roster.resident"]
    assert joined["old"] is None and joined["new"]["name"] == "Priya Raman"
    assert (
        by_indicator["roster.resident_count"]["old"],
        by_indicator["roster.resident_count"]["new"],
    ) == (1, 2)
    assert values["visa.h1b"]["evidence"]["quote"] == "We sponsor J-1 and H-1B visas."


def test_an_unchanged_cycle_costs_almost_nothing(db, site, tmp_path):
    data_dir = tmp_path / "data"
    with DemoServer(site) as server:
        register(db, server)
        crawl(db, data_dir, server)
        with db.session() as session:
            before = {
                model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (Extraction, Finding, ChangeEvent)
            }
        blobs = CaptureStore(data_dir).count()
        second = crawl(db, data_dir, server)
    with db.session() as session:
        after = {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Extraction, Finding, ChangeEvent)
        }
        report = queries.run_summary(session, second)["report"]
    answered = report["pages_fetched"]
    assert answered and report["pages_unchanged"] / answered >= 0.95
    assert after == before
    assert CaptureStore(data_dir).count() == blobs
    assert report["changes"] == 0


def slow_site(root: Path) -> Path:
    links = "".join(
        f'<li><a href="/residents/p{i}.html">Residents page {i}</a></li>' for i in range(SLOW_PAGES)
    )
    pages = {"index.html": f"<title>Alpha</title><ul>{links}</ul><p>We sponsor J-1 visas only.</p>"}
    for i in range(SLOW_PAGES):
        pages[f"residents/p{i}.html"] = (
            f"<title>Our Residents {i}</title><h2>PGY-1</h2>"
            f"<ul><li>{SLOW_NAMES[i]}, MD - "
            "Harvard Medical School</li></ul>"
        )
    return write_site(root, pages)


def imgcrawl_schedule(data_dir: Path, server: DemoServer, *extra: str) -> subprocess.Popen:
    hosts = [arg for host in server.hosts() for arg in ("--allow-private-host", host)]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "--data-dir",
            str(data_dir),
            "schedule",
            "--once",
            "--delay",
            "0.3",
            *hosts,
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def import_alpha(data_dir: Path, server: DemoServer) -> None:
    from crawler.programs_io import ProgramRecord, import_programs
    from db.session import Database

    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{data_dir / 'imgcrawl.sqlite3'}")
    import_programs(
        db,
        [
            ProgramRecord(
                id="alpha",
                name="Alpha",
                website=server.url("alpha") + "/",
                allowed_domains=[server.sites["alpha"].host],
            )
        ],
    )
    db.dispose()


def runs_in(data_dir: Path) -> list[tuple[int, str]]:
    from db.session import Database

    db = Database(f"sqlite:///{data_dir / 'imgcrawl.sqlite3'}")
    with db.session() as session:
        rows = [(r.id, r.status) for r in session.scalars(select(CrawlRun).order_by(CrawlRun.id))]
    db.dispose()
    return rows


def test_two_schedulers_started_together_run_one_cycle(tmp_path):
    data_dir = tmp_path / "data"
    with DemoServer(slow_site(tmp_path / "sites")) as server:
        import_alpha(data_dir, server)
        both = [imgcrawl_schedule(data_dir, server), imgcrawl_schedule(data_dir, server)]
        outputs = [p.communicate(timeout=120) for p in both]
    assert [p.returncode for p in both] == [0, 0]
    assert sum("skipped: another cycle is running" in err for _, err in outputs) == 1
    assert runs_in(data_dir) == [(1, "completed")]


def test_a_killed_crawl_fails_the_run_and_the_next_cycle_is_clean(db, tmp_path):
    data_dir = tmp_path / "data"

    def kill_after_two_pages(event):
        if "pid" in event:
            kill_after_two_pages.pid = event["pid"]
        elif event.get("done") == 2:
            os.kill(kill_after_two_pages.pid, signal.SIGKILL)

    with DemoServer(slow_site(tmp_path / "sites")) as server:
        register(db, server)
        options = CrawlOptions(download_delay=0.3, allow_private_hosts=tuple(server.hosts()))
        killed = run_cycle(db, data_dir, options, kill_after_two_pages)
        clean = run_cycle(db, data_dir, options)
    with db.session() as session:
        assert session.get(CrawlRun, killed).status == "failed"
        assert session.get(CrawlRun, killed).stats["crawl_exit_code"] == -signal.SIGKILL
        assert session.get(CrawlRun, clean).status == "completed"
        values = queries.program_values(session, "alpha")["values"]
        captured = session.scalar(
            select(func.count())
            .select_from(Capture)
            .where(Capture.run_id == clean, Capture.error.is_(None))
        )
    assert captured == SLOW_PAGES + 1
    assert values["roster.resident_count"]["value"] == SLOW_PAGES
    assert values["visa.h1b"]["value"] == "no"


def test_a_killed_scheduler_is_followed_by_a_clean_cycle(tmp_path):
    data_dir = tmp_path / "data"
    with DemoServer(slow_site(tmp_path / "sites")) as server:
        import_alpha(data_dir, server)
        victim = imgcrawl_schedule(data_dir, server, "--lease-stale-minutes", "0.02")
        deadline = time.monotonic() + 60
        while len(server.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)  # no chance to clean up
        victim.wait()
        assert runs_in(data_dir) == [(1, "running")]
        time.sleep(1.5)  # the dead holder's lease goes stale after 1.2 s
        survivor = imgcrawl_schedule(data_dir, server, "--lease-stale-minutes", "0.02")
        _, err = survivor.communicate(timeout=120)
    assert survivor.returncode == 0, err
    assert runs_in(data_dir) == [(1, "failed"), (2, "completed")]


def test_sigterm_ends_the_cycle_cleanly_as_partial(tmp_path):
    data_dir = tmp_path / "data"
    with DemoServer(slow_site(tmp_path / "sites")) as server:
        import_alpha(data_dir, server)
        process = imgcrawl_schedule(data_dir, server)
        deadline = time.monotonic() + 60
        while len(server.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=120)
    assert runs_in(data_dir) == [(1, "partial")]


def test_demo_sites_one_page_changed_gives_exactly_its_change_events(db, tmp_path):
    """Over all demo programs: one GME policy page changes, two values change, nothing else."""
    import shutil

    from crawler.cli import DEMO_PROGRAMS
    from crawler.demo_server import DEFAULT_SITES_DIR
    from crawler.programs_io import import_programs, parse_program_list

    sites = tmp_path / "sites"
    shutil.copytree(DEFAULT_SITES_DIR, sites)
    data_dir = tmp_path / "data"
    with DemoServer(sites) as server:
        import_programs(
            db, parse_program_list(DEMO_PROGRAMS, server.substitute(DEMO_PROGRAMS.read_text()))
        )
        options = CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(server.hosts()))
        first = run_cycle(db, data_dir, options)
        blobs = CaptureStore(data_dir).count()
        unchanged = run_cycle(db, data_dir, options)
        assert CaptureStore(data_dir).count() == blobs  # the quiet cycle stored no new body
        policy = sites / "northgate-gme" / "site" / "visas.html"
        policy.write_text(
            policy.read_text().replace(
                "H-1B sponsorship is considered on a case-by-case basis and only for applicants who "
                "have passed USMLE Step 3 before the rank order list deadline.",
                "As of this year the university no longer sponsors H-1B visas.",
            )
        )
        changed = run_cycle(db, data_dir, options)
    with db.session() as session:
        quiet = queries.run_summary(session, unchanged)["report"]
        events = queries.changes_since(session, run_id=unchanged)
    assert quiet["changes"] == 0 and quiet["pages_unchanged"] / quiet["pages_fetched"] >= 0.95
    assert first < unchanged < changed
    assert [(e["run_id"], e["program_id"], e["indicator"], e["old"], e["new"]) for e in events] == [
        (changed, "northgate-im", "visa.h1b", "conditional", "no"),
        (changed, "northgate-im", "visa.h1b_conditions", ["step3_required", "case_by_case"], None),
    ]


def test_the_scheduler_service_runs_cycles_keeps_its_job_in_the_database_and_stops_on_sigterm(
    tmp_path,
):
    from sqlalchemy import create_engine, inspect, text

    data_dir = tmp_path / "data"
    with DemoServer(slow_site(tmp_path / "sites")) as server:
        import_alpha(data_dir, server)
        hosts = [arg for host in server.hosts() for arg in ("--allow-private-host", host)]
        # every 0.001 h = 3.6 s: the first cycle starts 3.6 s after start-up
        service = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crawler.cli",
                "--data-dir",
                str(data_dir),
                "schedule",
                "--every",
                "0.001",
                "--delay",
                "0.05",
                *hosts,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(
            status == "completed" for _, status in runs_in(data_dir)
        ):
            time.sleep(0.2)
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=120)
    assert service.returncode == 0, err
    statuses = [status for _, status in runs_in(data_dir)]
    assert statuses[0] == "completed" and set(statuses) <= {"completed", "partial"}
    engine = create_engine(f"sqlite:///{data_dir / 'imgcrawl.sqlite3'}")
    assert "apscheduler_jobs" in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all() == [
            "refresh-cycle"
        ]
    engine.dispose()
