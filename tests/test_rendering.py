"""Browser escalation: only pages that need it are rendered; without a browser, a clear
static-only crawl (or a one-line refusal when a browser is required)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from sqlalchemy import select

from crawler.browser import BrowserUnavailable
from crawler.cli import DEMO_PROGRAMS
from crawler.demo_server import DEFAULT_SITES_DIR, DemoServer
from crawler.orchestrate import CrawlError, CrawlOptions, run_cycle
from crawler.programs_io import import_programs, parse_program_list
from db import queries
from db.models import Capture, CrawlRun, Page
from db.session import Database


def lumen_only(db, server, data_dir, **options) -> int:
    import_programs(
        db, parse_program_list(DEMO_PROGRAMS, server.substitute(DEMO_PROGRAMS.read_text()))
    )
    return run_cycle(
        db,
        data_dir,
        CrawlOptions(
            program_ids=["lumen-im"],
            download_delay=0.05,
            allow_private_hosts=tuple(server.hosts()),
            **options,
        ),
    )


def test_both_captures_are_kept_and_the_rendered_one_is_flagged(db, demo_server, tmp_path):
    run_id = lumen_only(db, demo_server, tmp_path)
    with db.session() as session:
        rows = session.execute(
            select(Page.url, Capture.rendered, Capture.headers)
            .join(Capture, Capture.page_id == Page.id)
            .where(Capture.run_id == run_id, Page.url.like("%/residents.html"))
            .order_by(Capture.id)
        ).all()
        values = queries.program_values(session, "lumen-im")["values"]
    assert [rendered for _, rendered, _ in rows] == [False, True]
    assert rows[1].headers["X-Imgcrawl-Render-Reason"] == "empty_mount_point"
    assert values["roster.resident_count"]["value"] == 5
    assert (
        values["visa.j1"]["evidence"]["quote"]
        == "Lumen Health sponsors J-1 visas only, through ECFMG."
    )


def test_without_a_browser_the_crawl_is_static_only_and_says_so(
    db, demo_server, monkeypatch, tmp_path
):
    monkeypatch.setenv("IMGCRAWL_BROWSER_EXECUTABLE", "/nonexistent/chromium")
    run_id = lumen_only(db, demo_server, tmp_path)
    with db.session() as session:
        report = queries.run_summary(session, run_id)["report"]
    assert report["browser"] == "unavailable" and report["pages_rendered"] == 0
    assert report["programs_without_roster"] == ["lumen-im"]
    assert report["programs_without_visa_statement"] == ["lumen-im"]


def test_a_required_browser_that_is_missing_is_refused_before_any_run(
    db, demo_server, monkeypatch, tmp_path
):
    monkeypatch.setenv("IMGCRAWL_BROWSER_EXECUTABLE", "/nonexistent/chromium")
    with pytest.raises(BrowserUnavailable, match="no browser at /nonexistent/chromium"):
        lumen_only(db, demo_server, tmp_path, browser="required")
    with db.session() as session:
        assert session.scalars(select(CrawlRun)).all() == []


def test_the_cli_refuses_in_one_line(tmp_path, demo_server):
    programs = tmp_path / "programs.csv"
    programs.write_text(demo_server.substitute(DEMO_PROGRAMS.read_text()))
    base = [sys.executable, "-m", "crawler.cli", "--data-dir", str(tmp_path)]
    subprocess.run([*base, "programs", "import", str(programs)], check=True, capture_output=True)
    result = subprocess.run(
        [*base, "crawl", "--program", "lumen-im", "--browser", "required"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"IMGCRAWL_BROWSER_EXECUTABLE": "/nonexistent/chromium", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: no browser at /nonexistent/chromium: install Debian's chromium, or use "
        "--browser never"
    ]


def test_browser_mode_renders_pages_but_reads_pdfs_as_pdfs(demo_server, tmp_path):
    listing = tmp_path / "programs.csv"
    rows = [
        line.replace(",static,true", ",browser,true")
        for line in demo_server.substitute(DEMO_PROGRAMS.read_text()).splitlines()
        if line.startswith(("id,", "coastal-fm,"))
    ]
    listing.write_text("\n".join(rows) + "\n")
    db = Database(f"sqlite:///{tmp_path / 'browser-mode.sqlite3'}")
    import_programs(db, parse_program_list(listing))
    run_id = run_cycle(
        db,
        tmp_path,
        CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(demo_server.hosts())),
    )
    with db.session() as session:
        rows = session.execute(
            select(Page.url, Capture.rendered, Capture.content_type)
            .join(Capture, Capture.page_id == Page.id)
            .where(Capture.run_id == run_id)
        ).all()
        values = queries.program_values(session, "coastal-fm")["values"]
    pdfs = [(rendered, kind) for url, rendered, kind in rows if url.endswith(".pdf")]
    assert pdfs and all(not rendered and kind == "application/pdf" for rendered, kind in pdfs)
    assert all(rendered for url, rendered, _ in rows if not url.endswith(".pdf"))
    assert values["roster.resident_count"]["value"] == 6
    db.dispose()


def test_a_page_that_does_not_load_in_time_fails_clearly_and_its_page_is_closed(
    demo_server, tmp_path
):
    sites = tmp_path / "sites"
    shutil.copytree(DEFAULT_SITES_DIR / "lumen-im", sites / "lumen-im")
    (sites / "lumen-im" / "site" / "_delays").write_text("/visa.html 3\n")
    listing = tmp_path / "programs.csv"
    with DemoServer(sites) as server:
        listing.write_text(
            "\n".join(
                line.replace(",auto,true", ",browser,true")
                for line in server.substitute(DEMO_PROGRAMS.read_text()).splitlines()
                if line.startswith(("id,", "lumen-im,"))
            )
            + "\n"
        )
        db = Database(f"sqlite:///{tmp_path / 'timeout.sqlite3'}")
        import_programs(db, parse_program_list(listing))
        run_id = run_cycle(
            db,
            tmp_path,
            CrawlOptions(
                download_delay=0.05,
                allow_private_hosts=tuple(server.hosts()),
                extra_settings={"IMGCRAWL_BROWSER_NAVIGATION_TIMEOUT": 1},
            ),
        )
    with db.session() as session:
        report = queries.run_summary(session, run_id)["report"]
        values = queries.program_values(session, "lumen-im")["values"]
    assert report["status"] == "completed"
    assert report["failed_by_reason"] == {"browser_timeout": 1}
    use = report["browser_use"]
    assert use["pages_opened"] == use["pages_closed"] >= 3  # closed on the error path too
    assert values["roster.resident_count"]["value"] == 5  # the other pages were rendered
    db.dispose()


def test_conflicting_browser_settings_are_refused_before_the_run(db, demo_server, tmp_path):
    with pytest.raises(CrawlError, match="IMGCRAWL_BROWSER_ACTION_TIMEOUT is longer than"):
        lumen_only(
            db,
            demo_server,
            tmp_path,
            extra_settings={"IMGCRAWL_BROWSER_ACTION_TIMEOUT": 60},
        )
    with db.session() as session:
        assert session.scalars(select(CrawlRun)).all() == []
