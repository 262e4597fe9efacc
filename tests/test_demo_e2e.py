"""The demo end to end: every demo program's values match what its site states.

Each site under tests/fixtures/sites/ keeps beside it the `expected.json` a careful reader of
the site wrote. One crawl per database backend; every assertion reads the database.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from crawler.cli import DEMO_PROGRAMS
from crawler.demo_server import DEFAULT_SITES_DIR, substitute_class_years
from db import queries
from db.models import Capture, Page

EXPECTED = {
    p.parent.name: json.loads(substitute_class_years(p.read_text()))
    for p in sorted(DEFAULT_SITES_DIR.glob("*/expected.json"))
}


def test_there_are_enough_demo_programs():
    assert len(EXPECTED) >= 8
    with DEMO_PROGRAMS.open(newline="") as handle:
        program_ids = {row["id"] for row in csv.DictReader(handle)}
    assert program_ids == set(EXPECTED)


def test_the_run_completes_and_reports(demo_run):
    db, run_id, _ = demo_run
    with db.session() as session:
        summary = queries.run_summary(session, run_id)
    assert summary["status"] == "completed"
    report = summary["report"]
    assert report["programs"] == len(EXPECTED)
    assert report["pages_fetched"] >= 3 * len(EXPECTED)
    # Only the pages that need a browser were rendered, each for its stated reason
    # (client-side routes keep their fragment: "/#/residents").
    rendered = {
        (urlparse(p["url"])._replace(scheme="", netloc="").geturl(), p["reason"])
        for p in report["rendered_pages"]
    }
    assert rendered == {
        (path, reason) for e in EXPECTED.values() for path, reason in e.get("rendered", {}).items()
    }
    assert report["pages_rendered"] == len(rendered)
    # One browser, every page it opened closed again, the page cap held, memory reported.
    use, memory = report["browser_use"], report["memory"]
    assert use["launches"] == 1 and use["pages_opened"] == use["pages_closed"] == len(rendered)
    assert 1 <= use["max_concurrent_pages"] <= 4
    assert memory["browser_peak_pss_mib"] > 0 and memory["crawl_peak_rss_mib"] > 0
    without_roster = sorted(p for p, e in EXPECTED.items() if not e.get("roster"))
    assert report["programs_without_roster"] == without_roster
    without_visa = sorted(
        p for p, e in EXPECTED.items() if not any(k.startswith("visa.") for k in e["indicators"])
    )
    assert report["programs_without_visa_statement"] == without_visa


@pytest.mark.parametrize("program_id", sorted(EXPECTED))
def test_program_values_match_the_site(demo_run, program_id):
    db, _, _ = demo_run
    expected = EXPECTED[program_id]
    with db.session() as session:
        values = queries.program_values(session, program_id)["values"]
    found = {k: v["value"] for k, v in values.items() if not k.startswith("roster.")}
    assert found == expected["indicators"]
    for indicator, entry in values.items():
        if not indicator.startswith(("roster.", "people.")):
            assert entry["evidence"]["quote"], indicator
            assert entry["evidence"]["extractor"] and entry["evidence"]["fetched_at"]


@pytest.mark.parametrize(
    "program_id", sorted(p for p, e in EXPECTED.items() if e.get("pdf_evidence"))
)
def test_values_read_from_pdfs_name_their_page(demo_run, program_id):
    db, _, _ = demo_run
    with db.session() as session:
        values = queries.program_values(session, program_id)["values"]
        residents = queries.program_values(session, program_id)["residents"]
    for indicator, page in EXPECTED[program_id]["pdf_evidence"].items():
        evidence = values[indicator]["evidence"]
        assert evidence["url"].endswith(".pdf") and evidence["locator"].startswith(page + " ")
    assert residents and all(r["url"].endswith(".pdf") for r in residents)


@pytest.mark.parametrize("program_id", sorted(p for p, e in EXPECTED.items() if e.get("roster")))
def test_roster_matches_the_site(demo_run, program_id):
    db, _, _ = demo_run
    expected = EXPECTED[program_id]
    with db.session() as session:
        data = queries.program_values(session, program_id)
    values = {k: v["value"] for k, v in data["values"].items()}
    roster = expected["roster"]
    share = values["roster.img_share"]
    assert (share["total"], share["img"], share["us_canadian"], share["unknown"]) == (
        roster["residents"],
        roster["img"],
        roster["us_canadian"],
        roster["unknown"],
    )
    for key, indicator in (
        ("by_pgy", "roster.img_share_by_pgy"),
        ("by_class_year", "roster.img_share_by_class_year"),
    ):
        if key in roster:
            got = {k: {"total": v["total"], "img": v["img"]} for k, v in values[indicator].items()}
            assert got == roster[key]

    def people(rows):
        return sorted((r["name"], r["pgy"], r["class_year"], r["school_type"]) for r in rows)

    assert people(data["residents"]) == people(expected["residents"])


@pytest.mark.parametrize("program_id", sorted(EXPECTED))
def test_robots_disallowed_pages_are_never_fetched(demo_run, program_id):
    _, _, requested = demo_run
    for path in EXPECTED[program_id].get("robots_disallowed_paths", []):
        assert path not in requested.get(program_id, set())


@pytest.mark.parametrize(
    "program_id",
    sorted(p for p, e in EXPECTED.items() if e.get("broken_links") or e.get("redirects")),
)
def test_broken_links_are_recorded_failures_and_redirects_are_followed(demo_run, program_id):
    db, run_id, requested = demo_run
    with db.session() as session:
        rows = session.execute(
            select(Page.url, Capture.error, Capture.http_status)
            .join(Capture, Capture.page_id == Page.id)
            .where(Page.program_id == program_id, Capture.run_id == run_id)
        ).all()
    by_path = {urlparse(url).path: (error, status) for url, error, status in rows}
    for path in EXPECTED[program_id].get("broken_links", []):
        assert by_path[path] == ("http_404", 404)
    for old, new in EXPECTED[program_id].get("redirects", {}).items():
        assert old in requested[program_id]
        assert by_path.get(new, ("missing", None))[0] is None  # stored under its final URL


def test_show_prints_the_quotes_behind_the_values(demo_run):
    db, _, _ = demo_run
    program_id = next(
        p for p, e in EXPECTED.items() if any(k.startswith("visa.") for k in e["indicators"])
    )
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "--db", db.url, "show", program_id],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "400", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    with db.session() as session:
        values = queries.program_values(session, program_id)["values"]
    for entry in values.values():
        evidence = entry.get("evidence")
        if evidence and evidence["kind"] == "roster":
            # A roster figure: its roster pages, and every resident it counts in the list.
            assert all(page["url"] in result.stdout for page in evidence["pages"])
            assert all(line["name"] in result.stdout for line in evidence["residents"])
        elif evidence:
            assert evidence["quote"] in result.stdout
            assert evidence["url"] in result.stdout
