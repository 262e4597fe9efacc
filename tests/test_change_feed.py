"""The change feed misses nothing (audit A8) and re-normalizing never wipes values (A9).

Residents added or gone are change events of their own, with the roster page as evidence.
Every change has an id, whoever made it (a cycle, a reviewer, `imgcrawl normalize`), and
`since_id` follows them all; `--since RUN` also lists reviewers' and normalize changes made
since that run started.
"""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

import normalizers.extract
from crawler.cli import app as cli
from crawler.demo_server import DemoServer
from db import queries
from db.models import ProgramIndicator
from web import reviews
from web.api import create_app

from test_crawl import PAGES, crawl, register
from test_cycles import write_site

ROSTER = PAGES["residents/index.html"]


def _imgcrawl(db, data_dir, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db.url, "--data-dir", str(data_dir), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_residents_added_or_gone_are_change_events_with_their_roster_page(db, tmp_path):
    site = write_site(tmp_path / "sites", {k: v for k, v in PAGES.items() if k != "_faults"})
    with DemoServer(site) as server:
        register(db, server)
        first = crawl(db, tmp_path / "data", server)
        # One resident swapped for another of the same year and school type: the figures stay.
        write_site(site, {"residents/index.html": ROSTER.replace("Ana Ruiz", "Bob Stone")})
        second = crawl(db, tmp_path / "data", server)
        roster_url = server.url("alpha") + "/residents/"
    with db.session() as session:
        events = queries.changes_since(session, run_id=first)
    assert {(e["indicator"], e["run_id"]) for e in events} == {("roster.resident", second)}
    added = next(e for e in events if e["old"] is None)
    gone = next(e for e in events if e["new"] is None)
    assert added["new"]["name"] == "Bob Stone" and added["new"]["school_type"] == "US_MD"
    assert gone["old"]["name"] == "Ana Ruiz"
    for event in (added, gone):
        assert event["evidence"]["url"] == roster_url and event["evidence"]["fetched_at"]


def test_reviewer_and_normalize_changes_are_in_the_feed(db, tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    site = write_site(tmp_path / "sites", {k: v for k, v in PAGES.items() if k != "_faults"})
    with DemoServer(site) as server:
        register(db, server)
        crawl(db, data_dir, server)
        latest = crawl(db, data_dir, server)
    with db.session() as session:
        cursor = max(e["id"] for e in queries.changes_since(session, since_id=0))
        h1b = session.scalar(
            select(ProgramIndicator.id).where(ProgramIndicator.indicator == "visa.h1b")
        )
        reviews.decide(session, h1b, "alice", "correct", "conditional", "J-1 and H-1B, per PD")
    # A new extractor version that no longer reads "we welcome IMGs" as elig.img_accepted.
    monkeypatch.setattr(normalizers.extract, "VERSION", normalizers.extract.VERSION + "+x@1")
    monkeypatch.setattr(
        normalizers.extract,
        "extract_page",
        _without_img_statement(normalizers.extract.extract_page),
    )
    _imgcrawl(db, data_dir, "normalize", "--run", str(latest))
    by_cursor = json.loads(_imgcrawl(db, data_dir, "changes", "--since-id", str(cursor)))
    by_run = json.loads(_imgcrawl(db, data_dir, "changes", "--since", str(latest)))
    api = TestClient(create_app(db.url)).get("/api/changes", params={"since_id": cursor}).json()
    expected = [
        ("visa.h1b", "no", "conditional", "review", None),
        ("elig.img_accepted", "yes", None, "normalize", None),
    ]
    for feed in (by_cursor, by_run, api):
        assert [(c["indicator"], c["old"], c["new"], c["cause"], c["run_id"]) for c in feed] == (
            expected
        )
    table = _imgcrawl(db, data_dir, "changes", "--since-id", str(cursor), "--table")
    assert "review" in table and "normalize" in table
    last = by_cursor[-1]["id"]
    assert TestClient(create_app(db.url)).get("/api/changes?since_id=" + str(last)).json() == []


def _without_img_statement(extract_page):
    """extract_page, minus the home page's 'we welcome IMGs' finding (a changed extractor)."""

    def extract(doc, as_of=None):
        result = extract_page(doc, as_of)
        kept = tuple(f for f in result.findings if f.indicator != "elig.img_accepted")
        return type(result)(
            result.document, result.page_types, kept, result.residents, result.version
        )

    return extract


def test_normalize_run_after_an_extractor_upgrade_keeps_every_value(db, tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    site = write_site(tmp_path / "sites", {k: v for k, v in PAGES.items() if k != "_faults"})
    with DemoServer(site) as server:
        register(db, server)
        crawl(db, data_dir, server)
        second = crawl(db, data_dir, server)  # every page answers 304
    with db.session() as session:
        before = queries.program_values(session, "alpha")
        cursor = max(e["id"] for e in queries.changes_since(session, since_id=0))
    monkeypatch.setattr(normalizers.extract, "VERSION", normalizers.extract.VERSION + "+next@2")
    out = json.loads(_imgcrawl(db, data_dir, "normalize", "--run", str(second)))
    assert out["normalize"]["extracted"] >= 3  # the bodies run 2's 304s stand for
    assert out["resolve"]["changes"] == 0
    with db.session() as session:
        after = queries.program_values(session, "alpha")
        assert queries.changes_since(session, since_id=cursor) == []
    assert {k: v["value"] for k, v in after["values"].items()} == {
        k: v["value"] for k, v in before["values"].items()
    }
    # The same residents, read again by the new version (new roster line rows).
    assert [{**r, "resident_id": None} for r in after["residents"]] == [
        {**r, "resident_id": None} for r in before["residents"]
    ]
    # Read again by the new version: the evidence is the new extraction's finding.
    new, old = after["values"]["visa.h1b"]["evidence"], before["values"]["visa.h1b"]["evidence"]
    assert new["quote"] == old["quote"] and new["finding_id"] != old["finding_id"]
    # --all after the same upgrade: nothing left to extract, nothing changes either.
    again = json.loads(_imgcrawl(db, data_dir, "normalize", "--all"))
    assert again["resolve"]["changes"] == 0
