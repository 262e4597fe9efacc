"""Reviewer decisions over many cycles (audit A4) and rejected values served nowhere (A10).

stale_review is a reviewer's state: it lasts until a reviewer acts, it shows the evidence the
page gives now, and re-confirming sticks. A confirmed value whose evidence vanished is flagged,
not deleted. A rejected value is no value in every list, filter, summary and export.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_review import csrf_of, item_id, reviewed_site, sign_in  # noqa: F401 - a fixture

from crawler.orchestrate import run_cycle
from db import queries
from db.models import ProgramIndicator, Review

from test_cycles import write_site

REWORDED = "<title>Visa</title><p>H-1B visas are not sponsored by our hospital.</p>"
SILENT = "<title>Visa</title><p>Contact the GME office about visas.</p>"
NOW_SPONSORS = "<title>Visa</title><p>We sponsor H-1B visas.</p>"


@pytest.fixture
def review(db, request):  # db: so each test runs on SQLite and PostgreSQL
    """test_review's crawled program with a reviewer's client: (db, data dir, server, client,
    cycle options)."""
    return request.getfixturevalue("reviewed_site")


def _decide(client, target: int, action: str, **fields) -> None:
    token = csrf_of(client.get("/review/login").text)  # the session's token
    response = client.post(
        f"/review/items/{target}", data={"action": action, "csrf": token, **fields}
    )
    assert response.status_code == 200, response.text


def _row(db, target: int) -> tuple[str, object, str | None]:
    with db.session() as session:
        row = session.get(ProgramIndicator, target)
        return row.status, row.value, row.source_finding.quote if row.source_finding else None


def test_stale_review_lasts_until_a_reviewer_acts_and_reconfirming_sticks(review):
    db, data_dir, server, client, options = review
    sign_in(client)
    target = item_id(db, "visa.h1b")
    _decide(client, target, "confirm")
    write_site(server.sites_dir, {"visa.html": REWORDED})
    run_cycle(db, data_dir, options)
    new_quote = "H-1B visas are not sponsored by our hospital."
    assert _row(db, target) == ("stale_review", "no", new_quote)
    page = client.get(f"/review/items/{target}").text
    assert f"<mark>{new_quote}</mark>" in page  # the reviewer sees what the page says now
    for _quiet in range(2):  # nothing changes on the site: the flag stays
        run_cycle(db, data_dir, options)
        assert _row(db, target) == ("stale_review", "no", new_quote)
    _decide(client, target, "confirm", note="re-checked")
    assert _row(db, target) == ("confirmed", "no", new_quote)
    run_cycle(db, data_dir, options)
    assert _row(db, target) == ("confirmed", "no", new_quote)
    with db.session() as session:
        reviewed = session.scalars(select(Review.finding_id).order_by(Review.id)).all()
    assert len(reviewed) == 2 and reviewed[0] != reviewed[1]  # each decision names its evidence


def test_a_confirmed_value_whose_evidence_vanished_is_flagged_not_deleted(review):
    db, data_dir, server, client, options = review
    sign_in(client)
    target = item_id(db, "visa.h1b")
    _decide(client, target, "confirm")
    write_site(server.sites_dir, {"visa.html": SILENT})
    run_cycle(db, data_dir, options)
    assert _row(db, target) == ("stale_review", "no", None)
    api = client.get("/api/programs/alpha").json()["values"]["visa.h1b"]
    assert (api["value"], api["status"], api["evidence"]) == ("no", "stale_review", None)
    assert client.get(f"/review/items/{target}").status_code == 200  # a reviewer can act on it
    run_cycle(db, data_dir, options)
    assert _row(db, target) == ("stale_review", "no", None)
    _decide(client, target, "confirm", note="still true, says the coordinator")
    run_cycle(db, data_dir, options)
    assert _row(db, target) == ("confirmed", "no", None)  # not flagged again for the same gap
    # The page speaks again, differently: back to the reviewer with the new statement.
    write_site(server.sites_dir, {"visa.html": NOW_SPONSORS})
    latest = run_cycle(db, data_dir, options)
    assert _row(db, target) == ("stale_review", "yes", "We sponsor H-1B visas.")
    with db.session() as session:
        events = [
            (e["indicator"], e["old"], e["new"], e["cause"])
            for e in queries.changes_since(session, run_id=latest - 1)
            if e["run_id"] == latest
        ]
    assert ("visa.h1b", "no", "yes", "crawl") in events


def test_a_rejected_value_is_served_nowhere_and_a_correction_everywhere(review):
    db, data_dir, _, client, options = review
    sign_in(client)
    with db.session() as session:
        last_event = max(e["id"] for e in queries.changes_since(session, since_id=0))
    _decide(client, item_id(db, "visa.h1b"), "reject", note="misread")
    _decide(client, item_id(db, "visa.j1"), "correct", value="conditional")
    run_cycle(db, data_dir, options)  # a later cycle reads the same statement again

    def listed(**filters) -> list[dict]:
        return client.get("/api/programs", params=filters).json()["items"]

    assert listed(**{"visa.h1b": "no"}) == [] and listed(has="visa.h1b") == []
    assert "visa.h1b" not in listed()[0]["values"]
    assert [p["id"] for p in listed(**{"visa.j1": "conditional"})] == ["alpha"]
    detail = client.get("/api/programs/alpha").json()["values"]
    h1b = detail["visa.h1b"]
    assert (h1b["value"], h1b["status"], h1b["rejected_value"]) == (None, "rejected", "no")
    assert h1b["evidence"]["quote"] == "We do not sponsor H-1B visas."  # why it was rejected
    assert (detail["visa.j1"]["value"], detail["visa.j1"]["status"]) == ("conditional", "corrected")
    with db.session() as session:
        summary = queries.program_summaries(session)[0]["values"]
        exported = {r["indicator"]: r for r in queries.indicator_rows(session)}
        feed = queries.changes_since(session, since_id=last_event)
    assert "visa.h1b" not in summary and summary["visa.j1"] == "conditional"
    assert (exported["visa.h1b"]["value"], exported["visa.h1b"]["status"]) == (None, "rejected")
    assert exported["visa.j1"]["value"] == "conditional"
    programs_page = client.get("/review/programs").text
    assert "<td>no</td>" not in programs_page and "conditional" in programs_page
    # Consumers following the feed see both decisions, as reviewers' changes.
    assert [(c["indicator"], c["old"], c["new"], c["cause"]) for c in feed] == [
        ("visa.h1b", "no", None, "review"),
        ("visa.j1", "yes", "conditional", "review"),
    ]
