"""Cycles that go wrong: a lost lease, a failing cycle, and what the records say afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import create_engine, func, select, text

import scheduler
from crawler.demo_server import DemoServer
from crawler.lease import LeaseLost, acquire, current_holder
from crawler.orchestrate import CrawlOptions, run_cycle
from db.models import CrawlRun, Extraction, ProgramIndicator, utcnow
from db.session import Database

from test_crawl import register
from test_cycles import slow_site, write_site


def imgcrawl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_a_cycle_that_loses_its_lease_stops_crawling_and_writes_nothing_more(db, tmp_path):
    def steal_after_two_pages(event):
        if event.get("done") == 2 and not steal_after_two_pages.done:
            steal_after_two_pages.done = True
            # Another process takes the lease over (as if ours had gone stale).
            later = utcnow() + timedelta(hours=1)
            assert acquire(db, "cycle", "thief", timedelta(minutes=10), now=later)

    steal_after_two_pages.done = False
    with DemoServer(slow_site(tmp_path / "sites")) as server:
        register(db, server)
        options = CrawlOptions(
            download_delay=0.3,
            allow_private_hosts=tuple(server.hosts()),
            lease_heartbeat_every=0.1,
        )
        with pytest.raises(LeaseLost, match="another process took it over"):
            run_cycle(db, tmp_path / "data", options, steal_after_two_pages)
    assert current_holder(db, "cycle").holder == "thief"
    with db.session() as session:
        # Nothing was extracted or resolved after the lease was lost: the thief owns that now.
        assert session.scalar(select(func.count()).select_from(Extraction)) == 0
        assert session.scalar(select(func.count()).select_from(ProgramIndicator)) == 0
        (run,) = session.scalars(select(CrawlRun)).all()
        assert run.status == "running"  # the thief's cycle closes it as abandoned
        assert run.stats["scrapy"]["finish_reason"] == "shutdown"  # the crawl was stopped


def test_the_scheduler_listener_records_a_failed_cycle_as_a_failed_run(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'imgcrawl.sqlite3'}"
    Database(url).dispose()  # the schema, and no program at all: the cycle fails
    settings = scheduler.CycleSettings(db_url=url, data_dir=str(data_dir))
    service = scheduler.build_scheduler(settings, IntervalTrigger(seconds=0.5, timezone="UTC"))
    thread = threading.Thread(target=service.start, daemon=True)
    thread.start()
    db = Database(url, migrate=False)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with db.session() as session:
                if session.scalar(select(func.count()).select_from(CrawlRun)):
                    break
            time.sleep(0.1)
    finally:
        service.shutdown(wait=False)
        thread.join(timeout=10)
    with db.session() as session:
        run = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).first()
        assert (run.trigger, run.status) == ("schedule", "failed")
        assert "no active programs to crawl" in run.stats["error"]
        assert run.finished_at is not None
    db.dispose()
    listed = imgcrawl("--data-dir", str(data_dir), "runs")
    assert listed.returncode == 0, listed.stderr
    first = json.loads(listed.stdout)[-1]
    assert first["status"] == "failed" and "no active programs to crawl" in first["error"]


def test_a_cycle_failing_after_its_run_started_marks_that_run_failed_with_the_reason(
    db, tmp_path, monkeypatch
):
    import crawler.orchestrate

    def broken_normalizer(*_args, **_kwargs):
        raise RuntimeError("the extraction stage broke")

    site = write_site(tmp_path / "sites", {"index.html": "<title>A</title><p>We sponsor J-1.</p>"})
    data_dir = tmp_path / "data"
    monkeypatch.setattr(crawler.orchestrate, "normalize_captures", broken_normalizer)
    with DemoServer(site) as server:
        register(db, server)
        settings = scheduler.CycleSettings(
            db_url=db.url,
            data_dir=str(data_dir),
            allow_private_hosts=tuple(server.hosts()),
            download_delay=0.05,
        )
        with pytest.raises(scheduler.CycleFailed, match="the extraction stage broke") as failed:
            scheduler.run_once(settings)
    assert failed.value.run_id is not None
    shown = imgcrawl("--db", db.url, "runs", "show", str(failed.value.run_id))
    assert shown.returncode == 0, shown.stderr
    assert "RuntimeError: the extraction stage broke" in shown.stdout
    assert "None" not in shown.stdout
    with db.session() as session:
        run = session.get(CrawlRun, failed.value.run_id)
        assert run.status == "failed" and run.finished_at is not None


def test_the_database_password_is_never_written_to_run_files_or_the_job_store(
    postgres_url, tmp_path
):
    from conftest import _fresh_postgres_database

    password = "Sup3r-s3cret-pw"
    plain = _fresh_postgres_database(postgres_url)
    url = plain.replace("postgres@", f"postgres:{password}@")  # trust auth ignores it
    db = Database(url)
    site = write_site(tmp_path / "sites", {"index.html": "<title>A</title><p>We sponsor J-1.</p>"})
    data_dir = tmp_path / "data"
    with DemoServer(site) as server:
        register(db, server)
        run_id = run_cycle(
            db,
            data_dir,
            CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(server.hosts())),
        )
    with db.session() as session:
        assert session.get(CrawlRun, run_id).status == "completed"  # the crawl could connect
    written = [p for p in (data_dir / "runs" / str(run_id)).iterdir() if p.is_file()]
    assert {p.name for p in written} >= {"settings.json", "crawl.log"}
    for path in written:
        assert password not in path.read_text(errors="replace"), path.name
    assert (
        "***"
        in json.loads((data_dir / "runs" / str(run_id) / "settings.json").read_text())[
            "IMGCRAWL_DATABASE_URL"
        ]
    )
    settings = scheduler.CycleSettings(db_url=url, data_dir=str(data_dir))
    service = scheduler.build_scheduler(settings, IntervalTrigger(hours=24, timezone="UTC"))
    thread = threading.Thread(target=service.start, daemon=True)
    thread.start()
    engine = create_engine(plain)
    try:
        deadline = time.monotonic() + 30
        state = None
        while state is None and time.monotonic() < deadline:
            with engine.connect() as connection:
                if "apscheduler_jobs" in set(
                    connection.execute(text("SELECT tablename FROM pg_tables")).scalars()
                ):
                    state = connection.execute(
                        text("SELECT job_state FROM apscheduler_jobs")
                    ).scalar()
            time.sleep(0.1)
    finally:
        service.shutdown(wait=False)
        thread.join(timeout=10)
        engine.dispose()
        db.dispose()
    assert state is not None and password.encode() not in bytes(state)


def test_run_reports_of_running_and_abandoned_runs_say_so(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = Database(f"sqlite:///{data_dir / 'imgcrawl.sqlite3'}")
    with db.session() as session:
        session.add(CrawlRun(status="running"))
        session.add(
            CrawlRun(
                status="failed",
                finished_at=utcnow(),
                stats={"error": "abandoned: the cycle's process died"},
            )
        )
    db.dispose()
    running = imgcrawl("--data-dir", str(data_dir), "runs", "show", "1")
    abandoned = imgcrawl("--data-dir", str(data_dir), "runs", "show", "2")
    for shown in (running, abandoned):
        assert shown.returncode == 0, shown.stderr
        assert "None" not in shown.stdout
    assert "still running" in running.stdout
    assert "abandoned: the cycle's process died" in abandoned.stdout
    as_json = json.loads(
        imgcrawl("--data-dir", str(data_dir), "runs", "show", "2", "--json").stdout
    )
    assert as_json["error"] == "abandoned: the cycle's process died"


def test_scheduler_job_arguments_keep_no_password():
    settings = scheduler.CycleSettings(
        db_url="postgresql://imgcrawl:hunter22@db.internal/imgcrawl", data_dir="/tmp/x"
    )
    service = scheduler.build_scheduler(settings, IntervalTrigger(hours=1, timezone="UTC"))
    stored = service.get_job("refresh-cycle")
    assert "hunter22" not in repr(stored.args)
    assert scheduler._db_url(stored.args[0]) == settings.db_url


def test_programs_whose_last_crawl_failed_entirely_are_crawled_first(db, tmp_path):
    from crawler.programs_io import ProgramRecord, import_programs

    site = write_site(tmp_path / "sites", {"index.html": "<title>A</title><p>We sponsor J-1.</p>"})
    data_dir = tmp_path / "data"
    with DemoServer(site) as server:
        import_programs(
            db,
            [
                ProgramRecord(
                    id="aaa-up",
                    name="Up",
                    website=server.url("alpha") + "/",
                    allowed_domains=[server.sites["alpha"].host],
                ),
                # Nothing listens on port 9 of the loopback: every fetch is refused.
                ProgramRecord(
                    id="zzz-down",
                    name="Down",
                    website="http://127.0.0.1:9/",
                    allowed_domains=["127.0.0.1"],
                ),
            ],
        )
        options = CrawlOptions(
            download_delay=0.05, allow_private_hosts=(*server.hosts(), "127.0.0.1")
        )
        first = run_cycle(db, data_dir, options)
        second = run_cycle(db, data_dir, options)

    def order(run_id: int) -> list[tuple[str, bool]]:
        programs = json.loads((data_dir / "runs" / str(run_id) / "programs.json").read_text())
        return [(p["id"], p["retry_first"]) for p in programs]

    assert order(first) == [("aaa-up", False), ("zzz-down", False)]
    assert order(second) == [("zzz-down", True), ("aaa-up", False)]
