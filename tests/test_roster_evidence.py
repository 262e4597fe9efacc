"""Roster figures carry their evidence and can be reviewed (audit A11, data side).

roster.* and people.img_chief point at the roster capture(s) they were computed from: page,
URL, fetch time, extractor and each counted resident's line, in `show`, the API detail and the
export; they are review items like any other value. A merged yes + conditional H-1B value is
shown with the statement of the condition.
"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from test_review import csrf_of, item_id, sign_in
from typer.testing import CliRunner

from crawler.cli import app as cli
from crawler.demo_server import DemoServer
from crawler.orchestrate import CrawlOptions, run_cycle
from db import queries
from db.models import ProgramIndicator
from web import reviews
from web.api import create_app
from web.auth import add_user

from test_crawl import register
from test_cycles import write_site

ROSTER = (
    "<title>Our Residents</title><h1>Current Residents</h1>"
    "<h2>Chief Residents</h2><ul><li>Omar Haddad, MD - Cairo University Faculty of Medicine</li></ul>"
    "<h2>PGY-1</h2><ul><li>Ana Ruiz, MD - Harvard Medical School</li>"
    "<li>Priya Raman, MBBS - Grant Government Medical College, Mumbai, India</li></ul>"
    "<h2>PGY-3</h2><ul><li>Omar Haddad, MD - Cairo University Faculty of Medicine</li></ul>"
)
VISA = (
    "<title>Visa</title><p>We sponsor H-1B visas.</p>"
    "<p>H-1B sponsorship is available only for applicants who have passed USMLE Step 3 "
    "before the match.</p><p>We sponsor J-1 visas through ECFMG.</p>"
)
CONDITION = (
    "H-1B sponsorship is available only for applicants who have passed USMLE Step 3 "
    "before the match."
)


@pytest.fixture
def roster_site(db, tmp_path):
    site = write_site(
        tmp_path / "sites",
        {
            "index.html": '<title>Home</title><a href="/residents.html">Our residents</a>'
            '<a href="/visa.html">Visa</a>',
            "residents.html": ROSTER,
            "visa.html": VISA,
        },
    )
    server = DemoServer(site).start()
    register(db, server)
    options = CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(server.hosts()))
    run_cycle(db, tmp_path / "data", options)
    add_user(db, "alice", "correct horse battery")
    client = TestClient(create_app(db.url, data_dir=tmp_path / "data", secret_key="s3cret"))
    yield db, tmp_path / "data", server, client, options
    server.stop()


def test_roster_figures_name_their_pages_lines_and_extractor(roster_site):
    db, data_dir, server, client, _ = roster_site
    url = server.url("alpha") + "/residents.html"
    detail = client.get("/api/programs/alpha").json()["values"]
    share = detail["roster.img_share"]
    assert share["value"]["img"] == 2 and share["value"]["total"] == 3
    evidence = share["evidence"]
    assert evidence["kind"] == "roster" and evidence["url"] == url
    assert evidence["fetched_at"] and re.fullmatch(r"roster@\d+", evidence["extractor"])
    assert [(p["url"], p["residents"]) for p in evidence["pages"]] == [(url, 3)]
    lines = {line["name"]: line["quote"] for line in evidence["residents"]}
    assert lines["Ana Ruiz"] == "Ana Ruiz, MD - Harvard Medical School"
    assert set(lines) == {"Omar Haddad", "Ana Ruiz", "Priya Raman"}
    chief = detail["people.img_chief"]["evidence"]
    assert [line["name"] for line in chief["residents"]] == ["Omar Haddad"]
    assert "Cairo University" in chief["quote"]
    # The offsets are the roster line's in the page's extracted text.
    with db.session() as session:
        rows = {r["indicator"]: r for r in queries.indicator_rows(session)}
    assert rows["roster.img_share"]["url"] == url
    assert "Priya Raman, MBBS" in rows["roster.img_share"]["quote"]
    assert rows["people.img_chief"]["extractor"] == evidence["extractor"]
    shown = CliRunner().invoke(cli, ["--db", db.url, "--data-dir", str(data_dir), "show", "alpha"])
    assert shown.exit_code == 0, shown.output
    assert f"3 residents on {url}" in shown.output
    assert "Omar Haddad, MD - Cairo University Faculty of Medicine" in shown.output


def test_a_merged_conditional_h1b_value_shows_the_condition(roster_site):
    db, *_ = roster_site
    with db.session() as session:
        values = queries.program_values(session, "alpha")["values"]
    assert values["visa.h1b"]["value"] == "conditional"
    assert values["visa.h1b"]["evidence"]["quote"] == CONDITION
    assert values["visa.h1b_conditions"]["value"] == ["step3_required"]


def test_roster_figures_are_review_items_whose_decisions_follow_the_roster(roster_site):
    db, data_dir, server, client, options = roster_site
    sign_in(client)
    with db.session() as session:
        queued = {i["indicator"]: i for i in reviews.queue(session, program="alpha")}
    assert queued["roster.img_share"]["evidence_kind"] == "roster"
    assert "Ana Ruiz, MD" in queued["roster.img_share"]["quote"]
    target = item_id(db, "roster.img_share")
    page = client.get(f"/review/items/{target}")
    assert page.status_code == 200 and "Omar Haddad" in page.text
    token = csrf_of(client.get("/review/login").text)
    client.post(f"/review/items/{target}", data={"action": "confirm", "csrf": token})
    run_cycle(db, data_dir, options)  # same roster: the decision holds
    with db.session() as session:
        assert session.get(ProgramIndicator, target).status == "confirmed"
    write_site(
        server.sites_dir,
        {
            "residents.html": ROSTER.replace(
                "Priya Raman, MBBS - Grant Government Medical College, Mumbai, India",
                "Lena Fischer, MD - Yale School of Medicine",
            )
        },
    )
    run_cycle(db, data_dir, options)
    with db.session() as session:
        row = session.get(ProgramIndicator, target)
        assert (row.status, row.value["img"]) == ("stale_review", 1)
        detail = queries.program_values(session, "alpha")["values"]["roster.img_share"]
    assert "Lena Fischer, MD" in detail["evidence"]["quote"]
    assert json.dumps(detail["value"])  # served, flagged for the reviewer
