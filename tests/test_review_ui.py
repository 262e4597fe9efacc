"""The review UI as a reviewer uses it: programs, residents, evidence in context, archived PDFs,
the paged queue, quotes whose text version changed, and the API docs offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_review import sign_in

from crawler.demo_server import DemoServer
from crawler.orchestrate import CrawlOptions, run_cycle
from db.models import Extraction, ProgramIndicator
from web import reviews, ui
from web.api import create_app
from web.auth import add_user
from web.evidence import place_quote

from test_crawl import register
from test_cycles import write_site

PDF = Path(__file__).parent / "fixtures/sites/coastal-fm/site/docs/gme-visa-policy.pdf"
ROSTER = (
    "<title>Our Residents</title><h1>Current Residents</h1><h2>PGY-1</h2><ul>"
    "<li>Ana Ruiz, MD - Harvard Medical School</li>"
    "<li>Priya Raman, MBBS - Grant Govt. Medical College, Mumbai, India</li>"
    "<li>Omar Haddad, MD - St. George's University</li></ul>"
)


@pytest.fixture
def roster_site(db, tmp_path):
    """A program with a roster, an HTML visa statement and a PDF policy; a signed-in client."""
    root = write_site(
        tmp_path / "sites",
        {
            "index.html": '<title>Alpha IM</title><a href="/residents.html">Our residents</a> '
            '<a href="/policy.pdf">GME visa policy (PDF)</a>'
            "<p>We sponsor J-1 visas through ECFMG.</p>",
            "residents.html": ROSTER,
        },
    )
    (root / "alpha" / "site" / "policy.pdf").write_bytes(PDF.read_bytes())
    data_dir = tmp_path / "data"
    with DemoServer(root) as server:
        register(db, server)
        run_cycle(
            db,
            data_dir,
            CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(server.hosts())),
        )
    add_user(db, "alice", "correct horse battery")
    client = TestClient(create_app(db.url, data_dir=data_dir, secret_key="test-secret"))
    sign_in(client)
    return db, client


def value_id(db, indicator: str) -> int:
    with db.session() as session:
        return session.scalar(
            select(ProgramIndicator.id).where(
                ProgramIndicator.program_id == "alpha", ProgramIndicator.indicator == indicator
            )
        )


def test_the_program_page_links_every_value_to_its_evidence_and_lists_residents(roster_site):
    db, client = roster_site
    page = client.get("/review/programs/alpha").text
    evidenced = re.findall(r'href="/review/items/(\d+)">evidence in context', page)
    assert str(value_id(db, "visa.j1")) in evidenced and str(value_id(db, "visa.h1b")) in evidenced
    # Residents: the school as written, its classification, and the roster line read.
    rows = re.findall(r'<tr class="resident">(.*?)</tr>', page, re.S)
    assert len(rows) == 3
    priya = next(row for row in rows if "Priya Raman" in row)
    assert "Grant Govt. Medical College" in priya and "IMG_OTHER (IMG)" in priya
    assert "“Priya Raman, MBBS - Grant Govt. Medical College, Mumbai, India”" in priya
    ana = next(row for row in rows if "Ana Ruiz" in row)
    assert "US_MD" in ana and "(IMG)" not in ana
    # Roster values say what they were computed from.
    share = re.search(r'<tr id="roster.img_share">(.*?)</tr>', page, re.S).group(1)
    assert "computed from 3 roster line(s)" in share and "/residents.html" in share
    # ... and open on the lines they count, the first one highlighted in its page.
    item = client.get(f"/review/items/{value_id(db, 'roster.img_share')}").text
    counted = re.findall(r'<li>“(.*?)” · <a href="/review/residents/\d+">in context</a>', item)
    assert len(counted) == 3 and "<mark>Ana Ruiz, MD - Harvard Medical School</mark>" in item
    # A resident's line, highlighted in the roster page.
    resident = re.search(r'<a href="/review/residents/(\d+)">in context</a>', priya).group(1)
    shown = client.get(f"/review/residents/{resident}").text
    assert "<mark>Priya Raman, MBBS - Grant Govt. Medical College, Mumbai, India</mark>" in shown
    assert "IMG_OTHER" in shown


def test_a_value_read_from_a_pdf_shows_its_text_never_the_raw_pdf(roster_site):
    db, client = roster_site
    item = client.get(f"/review/items/{value_id(db, 'visa.h1b')}").text
    assert "<mark>H-1B visas are not sponsored by Coastal Health.</mark>" in item
    capture = re.search(r'href="/review/captures/(\d+)">archived page', item).group(1)
    assert f'href="/review/captures/{capture}/original">original PDF (download)' in item
    archived = client.get(f"/review/captures/{capture}")
    assert archived.status_code == 200
    assert archived.headers["content-type"].startswith("text/html")
    assert "sandbox" in archived.headers["content-security-policy"]
    assert "%PDF" not in archived.text and "endobj" not in archived.text
    assert "H-1B visas are not sponsored by Coastal Health." in archived.text
    assert re.search(r'<td class="locator">page:1 line:\d+</td>', archived.text)
    original = client.get(f"/review/captures/{capture}/original")
    assert original.headers["content-type"] == "application/octet-stream"
    assert original.headers["content-disposition"].startswith("attachment;")
    assert original.content == PDF.read_bytes()


def test_the_item_page_never_highlights_a_span_that_is_not_the_stored_quote(roster_site):
    db, client = roster_site
    target = value_id(db, "visa.j1")
    with db.session() as session:
        finding = session.get(ProgramIndicator, target).source_finding
        quote, start = finding.quote, finding.start
        # As if extracted by an older text stage: the offsets point elsewhere today.
        session.get(Extraction, finding.extraction_id).version = "text@1+visa@1"
        finding.start, finding.end = start + 3, start + 3 + len(quote)
    moved = client.get(f"/review/items/{target}").text
    assert f"<mark>{quote}</mark>" in moved
    assert "no longer point at the quote" in moved and "text@1" in moved
    with db.session() as session:
        session.get(
            ProgramIndicator, target
        ).source_finding.quote = "We sponsor every visa there is."
    missing = client.get(f"/review/items/{target}").text
    assert "<mark>" not in missing
    assert "The stored quote does not match the archived page" in missing
    assert "We sponsor every visa there is." in missing  # the stored quote, shown as stored


def test_place_quote_states():
    text = "Visa policy.\nWe sponsor J-1\nvisas through ECFMG. We do not sponsor H-1B visas."
    start = text.index("We do not")
    quote = "We do not sponsor H-1B visas."
    assert place_quote(text, quote, start, start + len(quote)).state == "exact"
    moved = place_quote(text, quote, 0, len(quote), "text@1")
    assert (moved.state, moved.highlighted) == ("relocated", quote)
    wrapped = place_quote(text, "We sponsor J-1 visas through ECFMG.", 0, 10, "text@1")
    assert wrapped.state == "relocated" and "line breaks" in wrapped.note
    assert wrapped.highlighted == "We sponsor J-1\nvisas through ECFMG."
    gone = place_quote(text, "We sponsor H-1B visas.", start, start + 22, "text@1")
    assert (gone.state, gone.highlighted) == ("missing", "")


def test_the_queue_is_paged_and_keeps_its_filters(roster_site, monkeypatch):
    db, client = roster_site
    monkeypatch.setattr(ui, "PAGE_SIZE", 1)
    with db.session() as session:
        expected = [item["id"] for item in reviews.queue(session, limit=10_000, status="auto")]
    assert len(expected) >= 2
    listed, url = [], "/review?status=auto"
    while url:
        page = client.get(url).text
        ids = [int(i) for i in re.findall(r'href="/review/items/(\d+)"', page)]
        assert len(ids) == 1
        listed += ids
        following = re.search(r'rel="next" href="([^"]+)"', page)
        url = following.group(1).replace("&amp;", "&") if following else None
        assert url is None or "status=auto" in url  # the filter is kept from page to page
    assert listed == expected  # every value once, in the queue's order
    second = client.get("/review?status=auto&page=2").text
    assert 'rel="prev" href="/review?status=auto"' in second
    filtered = client.get("/review", params={"status": "auto", "indicator": "visa.j1"}).text
    assert re.findall(r'href="/review/items/(\d+)"', filtered) == [str(value_id(db, "visa.j1"))]
    assert '<option value="visa.j1" selected>' in filtered
    assert client.get("/review?page=0").status_code == 422


def test_the_api_docs_work_offline(roster_site):
    _, client = roster_site
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "script-src" not in docs.headers["content-security-policy"]
    urls = re.findall(r'(?:src|href)="([^"#]+)"', docs.text)
    assert urls == ["/openapi.json"]  # nothing loaded from anywhere, let alone a CDN
    assert "<script" not in docs.text
    for path in client.get("/openapi.json").json()["paths"]:
        assert f"<code>{path}</code>" in docs.text
    assert "img_share_min" in docs.text and "ProgramDetail" in docs.text


def test_every_review_page_needs_a_reviewer(roster_site, tmp_path):
    db, _ = roster_site
    anonymous = TestClient(create_app(db.url, data_dir=tmp_path / "data", secret_key="x"))
    for path in ("/review/programs/alpha", "/review/residents/1", "/review/captures/1/original"):
        assert anonymous.get(path, follow_redirects=False).headers["location"] == "/review/login"
