"""No crawled content can block the pipeline, on SQLite or PostgreSQL (audit A3).

NUL characters (PostgreSQL text cannot hold them), strings longer than their column, and any
storage error: the capture is recorded as failed to extract, with its reason, and the cycle
(and every later one) completes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import DataError

import crawler.normalize_stage as normalize_stage
from crawler.capture_store import CaptureStore
from crawler.demo_server import DemoServer
from crawler.normalize_stage import normalize_captures
from db import queries
from db.models import Capture, CrawlRun, Extraction, Finding, Page, Program, Resident
from normalizers.document import Document, Evidence, PageResult, ResidentRecord
from normalizers.document import Finding as PageFinding
from normalizers.extract import VERSION, document_from

from test_crawl import crawl, register
from test_cycles import write_site

NUL_SITE = {
    "index.html": '<title>Home</title><a href="/visa.txt">Visa</a>'
    "<p>We sponsor J-1 visas through ECFMG.</p>",
    "visa.txt": "We do not sponsor H-1B\x00 visas.\n",
}


def test_a_page_with_a_nul_byte_is_read_and_every_cycle_completes(db, tmp_path):
    site = write_site(tmp_path / "sites", NUL_SITE)
    with DemoServer(site) as server:
        register(db, server)
        first = crawl(db, tmp_path / "data", server)
        second = crawl(db, tmp_path / "data", server)
    with db.session() as session:
        statuses = [session.get(CrawlRun, run).status for run in (first, second)]
        values = queries.program_values(session, "alpha")["values"]
        failed = session.scalars(select(Extraction).where(Extraction.error.is_not(None))).all()
    assert statuses == ["completed", "completed"]
    assert values["visa.h1b"]["value"] == "no"
    # One character for one: the offsets still point at the quote in the page's text.
    assert values["visa.h1b"]["evidence"]["quote"] == "We do not sponsor H-1B\ufffd visas."
    assert values["visa.j1"]["value"] == "yes"
    assert failed == []


def test_plain_text_and_html_agree_on_nul():
    text = document_from(b"Visa\x00 policy", "text/plain").text
    html = document_from(b"<p>Visa\x00 policy</p>", "text/html").text
    assert "\x00" not in text and text.strip() == html.strip() == "Visa\ufffd policy"


def _stored_capture(db, tmp_path, body: bytes) -> int:
    """One archived capture of one page, as the crawl stage leaves it."""
    sha, _ = CaptureStore(tmp_path / "data").put(body)
    with db.session() as session:
        session.add(Program(id="alpha", name="Alpha IM", website="https://alpha.example.org/"))
        run = CrawlRun(status="completed")
        page = Page(program_id="alpha", url="https://alpha.example.org/residents")
        session.add_all([run, page])
        session.flush()
        capture = Capture(
            page_id=page.id,
            run_id=run.id,
            http_status=200,
            content_type="text/html",
            body_sha256=sha,
            size=len(body),
            fetched_at=datetime.now(UTC),
        )
        session.add(capture)
        session.flush()
        return capture.id


def test_over_long_strings_are_fitted_to_their_columns(db, tmp_path, monkeypatch):
    capture_id = _stored_capture(db, tmp_path, b"<p>roster</p>")
    doc = Document("https://alpha.example.org/residents", "x" * 20_000, ())
    locator = "body > " + " > ".join(["div"] * 300) + " > p"
    quote = "We do not sponsor H-1B visas. " * 400  # 12,000 characters
    finding = PageFinding(
        "visa.h1b", "no", 0.9, Evidence(quote, 10, 10 + len(quote), locator), "visa@2"
    )
    resident = ResidentRecord(
        name="Dr " + "Ana " * 200,
        evidence=Evidence("Ana Ruiz\x00, MD", 5, 18, locator),
        pgy="PGY-1",
        school="University of " + "Somewhere " * 100,
        school_type="UNKNOWN",
        country="C" * 300,
    )
    result = PageResult(doc, ("roster",), (finding,), (resident,), VERSION)
    monkeypatch.setattr(normalize_stage.extract, "extract_page", lambda *_: result)
    stats = normalize_captures(db, CaptureStore(tmp_path / "data"))
    assert (stats.extracted, stats.failed) == (1, 0)
    with db.session() as session:
        stored = session.scalars(select(Finding).where(Finding.capture_id == capture_id)).one()
        person = session.scalars(select(Resident)).one()
    assert len(stored.locator) == 1000
    assert stored.locator.startswith("body > div") and stored.locator.endswith("div > p")
    assert len(stored.quote) == normalize_stage.QUOTE_LIMIT
    assert stored.end - stored.start == len(stored.quote)  # still exactly text[start:end]
    assert quote.startswith(stored.quote)
    assert (len(person.name), len(person.school), len(person.country)) == (300, 500, 100)
    assert person.quote == "Ana Ruiz\ufffd, MD"


def test_a_storage_error_fails_that_capture_only_and_is_not_retried(db, tmp_path, monkeypatch):
    site = write_site(
        tmp_path / "sites",
        {
            **NUL_SITE,
            "visa.txt": "We do not sponsor H-1B visas.\n",
            "residents.html": "<title>Our Residents</title><h1>Current Residents</h1>"
            "<h2>PGY-1</h2><ul><li>Ana Ruiz, MD - Harvard Medical School</li></ul>",
            "index.html": NUL_SITE["index.html"] + '<a href="/residents.html">Residents</a>',
        },
    )
    real_store = normalize_stage._store_result

    def refuse_the_roster(session, capture, result, links):
        if capture.page.url.endswith("/residents.html"):
            raise DataError("INSERT INTO residents", {}, ValueError("value too long"))
        return real_store(session, capture, result, links)

    monkeypatch.setattr(normalize_stage, "_store_result", refuse_the_roster)
    with DemoServer(site) as server:
        register(db, server)
        first = crawl(db, tmp_path / "data", server)
        second = crawl(db, tmp_path / "data", server)
    with db.session() as session:
        runs = [session.get(CrawlRun, run) for run in (first, second)]
        failures = session.execute(
            select(Extraction.error, Page.url)
            .join(Capture, Capture.id == Extraction.capture_id)
            .join(Page, Page.id == Capture.page_id)
            .where(Extraction.error.is_not(None))
        ).all()
        values = queries.program_values(session, "alpha")["values"]
    assert [run.status for run in runs] == ["completed", "completed"]
    assert runs[0].stats["normalize"]["failed"] == 1
    assert runs[1].stats["normalize"]["failed"] == 0  # recorded, so not retried every cycle
    assert len(failures) == 1
    reason, url = failures[0]
    assert url.endswith("/residents.html") and reason.startswith("store: DataError")
    assert values["visa.h1b"]["value"] == "no" and values["visa.j1"]["value"] == "yes"
