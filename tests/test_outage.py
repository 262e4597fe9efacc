"""A bad night on the program's side never wipes its values (audit A2).

Only two things make a page stop counting: the site says it is gone (404/410), or a page read
successfully no longer links to it. A site that is down, or a page that fails, leaves the last
good captures in place, and the run report says which programs were not reached.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crawler.demo_server import DemoServer
from db import queries
from db.models import Page, utcnow

from test_crawl import PAGES, crawl, register
from test_cycles import write_site

LINKED_THROUGH_ABOUT = {
    "index.html": '<title>Beta IM</title><a href="/about.html">About us</a>'
    "<p>We welcome applications from international medical graduates.</p>",
    "about.html": '<title>About</title><a href="/people/residents.html">Meet our residents</a>'
    '<a href="/visa.html">Visa</a>',
    "people/residents.html": "<title>Our Residents</title><h1>Current Residents</h1>"
    "<h2>PGY-1</h2><ul><li>Ana Ruiz, MD - Harvard Medical School</li>"
    "<li>Priya Raman, MBBS - Grant Government Medical College, Mumbai, India</li></ul>",
    "visa.html": "<title>Visa</title><p>We sponsor J-1 visas through ECFMG. "
    "We do not sponsor H-1B visas.</p>",
}


def month_later():
    """A clock a month on: every page is due again (the about page is not re-checked daily)."""
    return utcnow() + timedelta(days=31)


def _values(db, program_id: str = "alpha") -> dict:
    with db.session() as session:
        return {
            k: v["value"] for k, v in queries.program_values(session, program_id)["values"].items()
        }


def _report(db, run_id: int) -> dict:
    with db.session() as session:
        return queries.run_summary(session, run_id)["report"]


def test_a_site_down_for_a_cycle_keeps_every_value_and_is_reported_not_reached(db, tmp_path):
    site = write_site(tmp_path / "sites", {k: v for k, v in PAGES.items() if k != "_faults"})
    server = DemoServer(site).start()
    register(db, server)
    crawl(db, tmp_path / "data", server)
    before = _values(db)
    assert {"visa.h1b", "visa.j1", "roster.resident_count", "elig.img_accepted"} <= set(before)
    server.stop()  # connection refused for the whole cycle
    down = crawl(db, tmp_path / "data", server)
    assert _values(db) == before
    report = _report(db, down)
    assert report["failed_by_reason"] == {"connection_refused": 1}
    assert report["changes"] == 0
    assert report["programs_not_reached"] == ["alpha"]
    # Not reached is not "not found": the program still has its roster and visa statement.
    assert report["programs_without_roster"] == []
    assert report["programs_without_visa_statement"] == []
    with db.session() as session:
        residents = queries.program_values(session, "alpha")["residents"]
    assert [r["name"] for r in residents] == ["Ana Ruiz"]


def test_a_page_failing_keeps_the_pages_reached_only_through_it(db, tmp_path):
    site = write_site(tmp_path / "sites", LINKED_THROUGH_ABOUT)
    with DemoServer(site) as server:
        register(db, server)
        crawl(db, tmp_path / "data", server)
        before = _values(db)
        assert before["roster.resident_count"] == 2 and before["visa.h1b"] == "no"
        # The only page linking to the roster and the visa page fails for the whole cycle.
        write_site(site, {"_faults": "/about.html 500 99\n"})
        server._faults.pop("alpha", None)  # the demo server reads _faults once per site
        failing = crawl(db, tmp_path / "data", server, now=month_later())
    assert _values(db) == before
    report = _report(db, failing)
    assert report["failed_by_reason"] == {"http_500": 1}
    assert report["programs_not_reached"] == []  # the home page was read
    assert report["pages_dropped"] == {}
    assert report["changes"] == 0


def test_a_page_no_longer_linked_or_gone_stops_counting(db, tmp_path):
    site = write_site(tmp_path / "sites", LINKED_THROUGH_ABOUT)
    with DemoServer(site) as server:
        register(db, server)
        first = crawl(db, tmp_path / "data", server)
        assert "roster.resident_count" in _values(db)
        # The site is reached, the about page is read and links to the roster no more.
        write_site(site, {"about.html": '<title>About</title><a href="/visa.html">Visa</a>'})
        unlinked = crawl(db, tmp_path / "data", server, now=month_later())
        values = _values(db)
        assert "roster.resident_count" not in values and values["visa.h1b"] == "no"
        # And a page the site says is gone stops counting at once.
        (site / "alpha" / "site" / "visa.html").unlink()
        gone = crawl(db, tmp_path / "data", server)
    assert "visa.h1b" not in _values(db)
    assert _report(db, unlinked)["pages_dropped"] == {"unlinked": 1}
    assert _report(db, gone)["pages_dropped"] == {"gone": 1}
    with db.session() as session:
        dropped = {
            p.url.rsplit("/", 1)[1]: (p.dropped_reason, p.dropped_run_id)
            for p in session.scalars(select(Page).where(Page.dropped_run_id.is_not(None)))
        }
        events = queries.changes_since(session, run_id=first)
    assert dropped == {"residents.html": ("unlinked", unlinked), "visa.html": ("gone", gone)}
    gone_values = {e["indicator"] for e in events if e["new"] is None and e["run_id"] == gone}
    assert {"visa.h1b", "visa.j1"} <= gone_values


def test_a_dropped_page_counts_again_once_it_is_read(db, tmp_path):
    site = write_site(tmp_path / "sites", LINKED_THROUGH_ABOUT)
    with DemoServer(site) as server:
        register(db, server)
        crawl(db, tmp_path / "data", server)
        about = LINKED_THROUGH_ABOUT["about.html"]
        write_site(site, {"about.html": '<title>About</title><a href="/visa.html">Visa</a>'})
        crawl(db, tmp_path / "data", server, now=month_later())
        assert "roster.resident_count" not in _values(db)
        write_site(site, {"about.html": about})
        crawl(db, tmp_path / "data", server, now=month_later() + timedelta(days=31))
    assert _values(db)["roster.resident_count"] == 2
    with db.session() as session:
        assert session.scalars(select(Page).where(Page.dropped_reason == "unlinked")).all() == []


def test_a_page_moved_off_the_site_for_good_stops_counting_a_temporary_bounce_does_not(
    db, tmp_path
):
    site = write_site(tmp_path / "sites", LINKED_THROUGH_ABOUT)
    (site / "beta" / "site").mkdir(parents=True)  # another host, not among alpha's domains
    (site / "beta" / "site" / "visa.html").write_text("<p>We sponsor H-1B visas.</p>")
    redirects = site / "alpha" / "site" / "_redirects"
    with DemoServer(site) as server:
        register(db, server)
        crawl(db, tmp_path / "data", server)
        assert _values(db)["visa.h1b"] == "no"
        # A temporary redirect off the site (a login bounce, say) is a failure, not a move.
        redirects.write_text("/visa.html {{site:beta}}/visa.html 302\n")
        bounced = crawl(db, tmp_path / "data", server, now=month_later())
        assert _values(db)["visa.h1b"] == "no"
        redirects.write_text("/visa.html {{site:beta}}/visa.html 301\n")
        moved = crawl(db, tmp_path / "data", server, now=month_later() + timedelta(days=31))
    values = _values(db)
    assert "visa.h1b" not in values  # neither alpha's old statement nor beta's
    assert values["roster.resident_count"] == 2
    assert _report(db, bounced)["pages_dropped"] == {}
    assert _report(db, moved)["pages_dropped"] == {"moved_offsite": 1}
