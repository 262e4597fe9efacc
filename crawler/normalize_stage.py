"""The normalize stage: archived captures -> extractions, findings and residents in the database.

Works only from the capture store, so it can be re-run over any archived capture after an
extractor improves. A capture already extracted at the current version is skipped; a capture
whose body equals an already-extracted capture of the same page reuses that extraction.

Re-running over one run (`normalize --run N`) also extracts the bodies that run's 304 and
not-due captures stand for, and the bodies every program's values are read from: after an
extractor upgrade, resolving must find the current version of every page it reads, or values
would vanish for no reason on the site's side.

A page that cannot be extracted or stored (whatever is in it) is recorded as an extraction
with its error and not retried until the extractor version changes; the stage goes on.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import exists, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crawler.capture_store import CaptureStore
from crawler.current_pages import GONE_STATUSES, latest_bodies
from crawler.links import page_links
from db.bounds import bounded_span, fit_column, storable_json
from db.models import Capture, Extraction, Finding, Page, Resident
from db.session import Database
from normalizers import extract
from normalizers.document import PageResult

logger = logging.getLogger(__name__)

# Longest quote stored; a longer one is cut from its end and its end offset moved with it.
QUOTE_LIMIT = 5000


@dataclass
class NormalizeStats:
    captures: int = 0
    extracted: int = 0
    reused: int = 0
    failed: int = 0
    findings: int = 0
    residents: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class Pending(NamedTuple):
    capture_id: int
    page_id: int
    sha256: str
    url: str


def _not_extracted():
    return ~exists().where(
        Extraction.capture_id == Capture.id, Extraction.version == extract.VERSION
    )


def _pending_captures(session: Session, run_id: int | None) -> list[Pending]:
    """Successful captures with a body not yet at VERSION (of RUN_ID, or all)."""
    query = (
        select(Capture.id, Capture.page_id, Capture.body_sha256, Page.url)
        .join(Page, Page.id == Capture.page_id)
        .where(Capture.error.is_(None), Capture.body_sha256.is_not(None), _not_extracted())
        .order_by(Capture.id)
    )
    if run_id is not None:
        query = query.where(Capture.run_id == run_id)
    return [Pending(*row) for row in session.execute(query)]


def _bodies_behind(session: Session, run_id: int) -> list[Pending]:
    """The bodies run RUN_ID's body-less captures stand for (304, not due, failed transiently),
    and the bodies every page that counts is read from now."""
    stand_ins = session.execute(
        select(Capture.page_id, Capture.id)
        .where(
            Capture.run_id == run_id,
            Capture.body_sha256.is_(None),
            Capture.http_status.is_(None) | Capture.http_status.not_in(GONE_STATUSES),
        )
        .order_by(Capture.id)
    ).all()
    capture_ids = set()
    for page_id, before in stand_ins:
        body = session.scalar(
            select(Capture.id)
            .where(
                Capture.page_id == page_id,
                Capture.id < before,
                Capture.body_sha256.is_not(None),
                Capture.error.is_(None),
            )
            .order_by(Capture.id.desc())
            .limit(1)
        )
        if body is not None:
            capture_ids.add(body)
    counting = select(Page.id).where(Page.dropped_run_id.is_(None))
    capture_ids.update(c.id for c in latest_bodies(session, session.scalars(counting)).values())
    if not capture_ids:
        return []
    rows = session.execute(
        select(Capture.id, Capture.page_id, Capture.body_sha256, Page.url)
        .join(Page, Page.id == Capture.page_id)
        .where(Capture.id.in_(capture_ids), _not_extracted())
    )
    return [Pending(*row) for row in rows]


def _extracted_twin(session: Session, page_id: int, sha256: str) -> Extraction | None:
    return session.scalars(
        select(Extraction)
        .join(Capture, Capture.id == Extraction.capture_id)
        .where(
            Capture.page_id == page_id,
            Capture.body_sha256 == sha256,
            Extraction.version == extract.VERSION,
        )
        .order_by(Extraction.id.desc())
        .limit(1)
    ).first()


def _store_result(
    session: Session, capture: Capture, result: PageResult, links: list[str]
) -> Extraction:
    text_sha = hashlib.sha256(result.document.text.encode("utf-8", "surrogatepass")).hexdigest()
    extraction = Extraction(
        capture_id=capture.id,
        version=extract.VERSION,
        page_types=storable_json(list(result.page_types)),
        text_sha256=text_sha,
        links=storable_json(links),
    )
    session.add(extraction)
    session.flush()
    program_id = capture.page.program_id
    # Crawled text goes through db/bounds.py: PostgreSQL refuses NUL and over-long strings.
    for finding in result.findings:
        quote, start, end = bounded_span(
            finding.evidence.quote, finding.evidence.start, QUOTE_LIMIT
        )
        session.add(
            Finding(
                extraction_id=extraction.id,
                capture_id=capture.id,
                program_id=program_id,
                indicator=finding.indicator,
                value=storable_json(finding.value),
                confidence=finding.confidence,
                strictness=fit_column(Finding.strictness, finding.strictness),
                detail=storable_json(finding.detail),
                quote=quote,
                start=start,
                end=end,
                locator=fit_column(Finding.locator, finding.evidence.locator),
                extractor=fit_column(Finding.extractor, finding.extractor),
            )
        )
    for resident in result.residents:
        quote, start, end = bounded_span(
            resident.evidence.quote, resident.evidence.start, QUOTE_LIMIT
        )
        session.add(
            Resident(
                extraction_id=extraction.id,
                capture_id=capture.id,
                program_id=program_id,
                name=fit_column(Resident.name, resident.name),
                pgy=fit_column(Resident.pgy, resident.pgy),
                class_year=resident.class_year,
                chief=resident.chief,
                school=fit_column(Resident.school, resident.school),
                school_id=fit_column(Resident.school_id, resident.school_id),
                country=fit_column(Resident.country, resident.country),
                school_type=fit_column(Resident.school_type, resident.school_type),
                quote=quote,
                start=start,
                end=end,
            )
        )
    if capture.text_sha256 is None:
        capture.text_sha256 = text_sha  # derived from the stored body; fills in, never rewrites
    capture.page.page_types = storable_json(list(result.page_types))
    return extraction


def _record_failure(db: Database, capture_id: int, url: str, reason: str) -> None:
    """Remember that this body cannot be read at this version, so no cycle retries it."""
    logger.warning("cannot extract capture %s (%s): %s", capture_id, url, reason)
    try:
        with db.session() as session:
            session.add(
                Extraction(
                    capture_id=capture_id,
                    version=extract.VERSION,
                    page_types=[],
                    error=fit_column(Extraction.error, reason),
                )
            )
    except SQLAlchemyError as error:  # the database itself is in trouble: the next cycle retries
        logger.error("cannot record the failure of capture %s: %s", capture_id, error)


def _reason(stage: str, error: Exception) -> str:
    return f"{stage}: {type(error).__name__}: {error}"


def normalize_captures(
    db: Database, store: CaptureStore, run_id: int | None = None
) -> NormalizeStats:
    """Extract every successful capture (of RUN_ID, or all) not yet extracted at VERSION.

    With RUN_ID, also the bodies its body-less captures stand for and the bodies current
    values are read from (see the module docstring).
    """
    stats = NormalizeStats()
    with db.session() as session:
        pending = _pending_captures(session, run_id)
        if run_id is not None:
            pending = sorted({*pending, *_bodies_behind(session, run_id)})
    for capture_id, page_id, sha256, url in pending:
        stats.captures += 1
        with db.session() as session:
            if _extracted_twin(session, page_id, sha256) is not None:
                stats.reused += 1  # same bytes as a page version we already read
                continue
            capture = session.get(Capture, capture_id)
            try:
                body = store.get(sha256)
                # Staleness is judged against the day the page was fetched, not today.
                as_of = capture.fetched_at.date() if capture.fetched_at else None
                document = extract.document_from(body, capture.content_type, url)
                result = extract.extract_page(document, as_of)
                links = page_links(body, capture.content_type, url)
            except Exception as error:  # one unreadable page must not stop the stage
                failure = _reason("extract", error)
            else:
                failure = None
        if failure is None:
            try:
                with db.session() as session:
                    _store_result(session, session.get(Capture, capture_id), result, links)
            except SQLAlchemyError as error:  # e.g. a value the database refuses
                failure = _reason("store", error).splitlines()[0]
        if failure is not None:
            _record_failure(db, capture_id, url, failure)
            stats.failed += 1
            continue
        stats.extracted += 1
        stats.findings += len(result.findings)
        stats.residents += len(result.residents)
    return stats
