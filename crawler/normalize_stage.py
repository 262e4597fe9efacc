"""The normalize stage: archived captures -> extractions, findings and residents in the database.

Works only from the capture store, so it can be re-run over any archived capture after an
extractor improves. A capture already extracted at the current version is skipped; a capture
whose body equals an already-extracted capture of the same page reuses that extraction.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from crawler.capture_store import CaptureStore
from db.models import Capture, Extraction, Finding, Page, Resident
from db.session import Database
from normalizers.document import PageResult
from normalizers.extract import VERSION, document_from, extract_page

logger = logging.getLogger(__name__)


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


def _pending_captures(session: Session, run_id: int | None) -> list[tuple[int, int, str, str]]:
    """(capture id, page id, body sha256, url) of successful captures not yet at VERSION."""
    already = exists().where(Extraction.capture_id == Capture.id, Extraction.version == VERSION)
    query = (
        select(Capture.id, Capture.page_id, Capture.body_sha256, Page.url)
        .join(Page, Page.id == Capture.page_id)
        .where(Capture.error.is_(None), Capture.body_sha256.is_not(None), ~already)
        .order_by(Capture.id)
    )
    if run_id is not None:
        query = query.where(Capture.run_id == run_id)
    return [tuple(row) for row in session.execute(query)]


def _extracted_twin(session: Session, page_id: int, sha256: str) -> Extraction | None:
    return session.scalars(
        select(Extraction)
        .join(Capture, Capture.id == Extraction.capture_id)
        .where(
            Capture.page_id == page_id, Capture.body_sha256 == sha256, Extraction.version == VERSION
        )
        .order_by(Extraction.id.desc())
        .limit(1)
    ).first()


def _store_result(session: Session, capture: Capture, result: PageResult) -> Extraction:
    text_sha = hashlib.sha256(result.document.text.encode("utf-8")).hexdigest()
    extraction = Extraction(
        capture_id=capture.id,
        version=VERSION,
        page_types=list(result.page_types),
        text_sha256=text_sha,
    )
    session.add(extraction)
    session.flush()
    program_id = capture.page.program_id
    for finding in result.findings:
        session.add(
            Finding(
                extraction_id=extraction.id,
                capture_id=capture.id,
                program_id=program_id,
                indicator=finding.indicator,
                value=finding.value,
                confidence=finding.confidence,
                strictness=finding.strictness,
                detail=finding.detail,
                quote=finding.evidence.quote,
                start=finding.evidence.start,
                end=finding.evidence.end,
                locator=finding.evidence.locator,
                extractor=finding.extractor,
            )
        )
    for resident in result.residents:
        session.add(
            Resident(
                extraction_id=extraction.id,
                capture_id=capture.id,
                program_id=program_id,
                name=resident.name,
                pgy=resident.pgy,
                class_year=resident.class_year,
                chief=resident.chief,
                school=resident.school,
                school_id=resident.school_id,
                country=resident.country,
                school_type=resident.school_type,
                quote=resident.evidence.quote,
                start=resident.evidence.start,
                end=resident.evidence.end,
            )
        )
    if capture.text_sha256 is None:
        capture.text_sha256 = text_sha  # derived from the stored body; fills in, never rewrites
    capture.page.page_types = list(result.page_types)
    return extraction


def normalize_captures(
    db: Database, store: CaptureStore, run_id: int | None = None
) -> NormalizeStats:
    """Extract every successful capture (of RUN_ID, or all) not yet extracted at VERSION."""
    stats = NormalizeStats()
    with db.session() as session:
        pending = _pending_captures(session, run_id)
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
                result = extract_page(document_from(body, capture.content_type, url), as_of)
            except Exception as error:  # one unreadable page must not stop the stage
                logger.warning("cannot extract capture %s (%s): %s", capture_id, url, error)
                stats.failed += 1
                continue
            _store_result(session, capture, result)
            stats.extracted += 1
            stats.findings += len(result.findings)
            stats.residents += len(result.residents)
    return stats
