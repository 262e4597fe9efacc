from datetime import timedelta

import pytest

from crawler.demo_server import DemoServer
from crawler.orchestrate import CrawlOptions, run_cycle
from crawler.refresh import MAX_HOURS, MIN_HOURS, is_due, next_interval
from db import queries
from db.models import utcnow
from normalizers.page_types import classify_page
from normalizers.roster import extract_residents
from normalizers.text import html_to_document

from test_crawl import register
from test_cycles import write_site


def test_intervals_shrink_after_changes_and_grow_after_none_within_bounds():
    assert next_interval(None, changed=True) == 24.0
    assert next_interval(24.0, changed=True) == 12.0
    assert next_interval(24.0, changed=False) == 36.0
    assert next_interval(MIN_HOURS, changed=True) == MIN_HOURS
    assert next_interval(MAX_HOURS, changed=False) == MAX_HOURS


def test_roster_visa_and_eligibility_pages_are_always_due():
    later = utcnow() + timedelta(days=3)
    assert is_due(["visa"], later, utcnow())
    assert is_due(["roster", "faq"], later, utcnow())
    assert not is_due(["other"], later, utcnow())
    assert is_due(["other"], later, later)


@pytest.mark.parametrize(
    ("url", "html", "types"),
    [
        # Words of a roster in a heading are not a roster: such pages would be fetched every cycle.
        (
            "/wellness.html",
            "<title>Resident Wellness</title><h1>Resident Wellness</h1>",
            ["support"],
        ),
        ("/gme/visas.html", "<title>Visas</title><h2>International Residents</h2>", ["visa"]),
        # An address or title that says roster is one, even before residents are read from it.
        ("/residents.html", "<title>Residents</title><p>Coming soon.</p>", ["roster"]),
        ("/people/", "<title>Meet Our Residents</title>", ["roster"]),
        (
            "/p/",
            "<h2>PGY-1</h2><ul><li>Ana Ruiz, MD - Harvard Medical School</li></ul>",
            ["roster"],
        ),
    ],
)
def test_only_pages_that_are_rosters_are_typed_roster(url, html, types):
    doc = html_to_document(html, url=f"http://example.org{url}")
    assert classify_page(doc, residents=extract_residents(doc)) == types


def test_stable_pages_are_skipped_until_due_and_visa_pages_every_cycle(db, tmp_path):
    site = write_site(
        tmp_path / "sites",
        {
            "index.html": '<title>Home</title><p>Hello.</p><a href="/research.html">Research</a>'
            ' <a href="/visa.html">Visa</a>',
            "research.html": "<title>Research</title><p>Our labs study sleep.</p>",
            "visa.html": "<title>Visa</title><p>We sponsor J-1 visas only.</p>",
        },
    )
    data_dir = tmp_path / "data"
    with DemoServer(site) as server:
        register(db, server)

        def cycle(hours_later: float) -> dict:
            options = CrawlOptions(
                download_delay=0.05,
                allow_private_hosts=tuple(server.hosts()),
                now=utcnow() + timedelta(hours=hours_later),
            )
            with db.session() as session:
                return queries.run_summary(session, run_cycle(db, data_dir, options))["report"]

        cycle(0)
        soon = cycle(1)  # an hour later: only the visa page is due
        research_fetches = sum(path == "/research.html" for _, _, path in server.requests)
        later = cycle(48)  # two days later: everything is due again
    assert (soon["pages_not_due"], soon["pages_fetched"]) == (2, 1)
    assert research_fetches == 1
    assert (later["pages_not_due"], later["pages_fetched"]) == (0, 3)
    with db.session() as session:
        values = queries.program_values(session, "alpha")["values"]
    assert (values["visa.j1"]["value"], values["visa.h1b"]["value"]) == ("yes", "no")
