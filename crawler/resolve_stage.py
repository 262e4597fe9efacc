"""The resolve stage: a program's current pages -> its current values, change events, flags.

Which pages count: those fetched in the program's latest run. A page that failed transiently in
that run (timeout, 5xx) keeps its last good capture; a page that is gone (404, 410) counts no
more. Reviewer decisions outrank extraction: a confirmed, corrected or rejected value is kept,
and a confirmed one whose quote no longer appears in the evidence becomes `stale_review`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.models import Capture, ChangeEvent, Extraction, Finding, Page, ProgramIndicator, Resident
from db.session import Database
from normalizers.document import Evidence, ResidentRecord
from normalizers.extract import VERSION
from normalizers.resolve import resolve_values, roster_aggregates

GONE_STATUSES = (404, 410)
REVIEWED = ("confirmed", "corrected", "rejected")


@dataclass
class ResolveStats:
    programs: int = 0
    values: int = 0
    changes: int = 0
    conflicts: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def current_extractions(session: Session, program_id: str) -> list[Extraction]:
    """The extraction behind each of the program's current pages."""
    latest_run = session.scalar(
        select(func.max(Capture.run_id))
        .join(Page, Page.id == Capture.page_id)
        .where(Page.program_id == program_id)
    )
    if latest_run is None:
        return []
    out = []
    captures = session.scalars(
        select(Capture)
        .join(Page, Page.id == Capture.page_id)
        .where(Page.program_id == program_id, Capture.run_id == latest_run)
        .order_by(Capture.id)
    ).all()
    seen_pages: set[int] = set()
    for capture in reversed(captures):
        if capture.page_id in seen_pages:
            continue
        seen_pages.add(capture.page_id)
        if capture.http_status in GONE_STATUSES:
            continue
        extraction = session.scalars(
            select(Extraction)
            .join(Capture, Capture.id == Extraction.capture_id)
            .where(
                Capture.page_id == capture.page_id,
                Extraction.version == VERSION,
                Capture.id <= capture.id,
            )
            .order_by(Capture.id.desc())
            .limit(1)
        ).first()
        # Not modified or not due: the body we read last time still holds.
        not_modified = capture.http_status == 304 or capture.not_due
        if extraction is not None and (
            capture.error is not None or not_modified or _same_body(session, extraction, capture)
        ):
            out.append(extraction)
    return out


def _same_body(session: Session, extraction: Extraction, capture: Capture) -> bool:
    extracted = session.get(Capture, extraction.capture_id)
    return extracted.body_sha256 == capture.body_sha256


def _records(residents: list[Resident]) -> list[ResidentRecord]:
    return [
        ResidentRecord(
            name=r.name,
            evidence=Evidence(r.quote, r.start, r.end),
            pgy=r.pgy,
            class_year=r.class_year,
            chief=r.chief,
            school=r.school,
            school_id=r.school_id,
            school_type=r.school_type,
            country=r.country,
        )
        for r in residents
    ]


def compute_program_values(
    session: Session, program_id: str
) -> dict[str, tuple[Any, float | None, Finding | None, str, list]]:
    """indicator -> (value, confidence, source finding, status, conflicting values)."""
    extraction_ids = [e.id for e in current_extractions(session, program_id)]
    if not extraction_ids:
        return {}
    findings = session.scalars(
        select(Finding).where(Finding.extraction_id.in_(extraction_ids)).order_by(Finding.id)
    ).all()
    residents = session.scalars(
        select(Resident).where(Resident.extraction_id.in_(extraction_ids)).order_by(Resident.id)
    ).all()
    values: dict[str, tuple[Any, float | None, Finding | None, str, list]] = {}
    for indicator, resolved in resolve_values(
        [(f.indicator, f.value, f.confidence, f) for f in findings]
    ).items():
        best = max(resolved.sources, key=lambda f: f.confidence)
        values[indicator] = (
            resolved.value,
            resolved.confidence,
            best,
            resolved.status,
            resolved.conflicting,
        )
    for indicator, value in roster_aggregates(_records(list(residents))).items():
        values[indicator] = (value, None, None, "auto", [])
    return values


def _apply(
    session: Session, program_id: str, values: dict, run_id: int | None, stats: ResolveStats
) -> None:
    existing = {
        row.indicator: row
        for row in session.scalars(
            select(ProgramIndicator).where(ProgramIndicator.program_id == program_id)
        )
    }
    for indicator, (value, confidence, source, status, conflicting) in values.items():
        row = existing.pop(indicator, None)
        stats.values += 1
        stats.conflicts += status == "conflicting"
        if row is None:
            session.add(
                ProgramIndicator(
                    program_id=program_id,
                    indicator=indicator,
                    value=value,
                    confidence=confidence,
                    status=status,
                    source_finding_id=source.id if source else None,
                    conflicting_values=conflicting or None,
                )
            )
            session.add(
                ChangeEvent(
                    program_id=program_id,
                    indicator=indicator,
                    old_value=None,
                    new_value=value,
                    run_id=run_id,
                )
            )
            stats.changes += 1
            continue
        if row.status in REVIEWED:
            old_quote = row.source_finding.quote if row.source_finding else None
            if row.status == "confirmed" and source is not None and old_quote != source.quote:
                row.status = "stale_review"
            continue
        if row.value != value:
            session.add(
                ChangeEvent(
                    program_id=program_id,
                    indicator=indicator,
                    old_value=row.value,
                    new_value=value,
                    run_id=run_id,
                )
            )
            stats.changes += 1
        row.value, row.confidence, row.status = value, confidence, status
        row.source_finding_id = source.id if source else None
        row.conflicting_values = conflicting or None
    for indicator, row in existing.items():
        if row.status in ("corrected", "rejected"):
            continue  # a reviewer's decision outlives the evidence that prompted it
        session.add(
            ChangeEvent(
                program_id=program_id,
                indicator=indicator,
                old_value=row.value,
                new_value=None,
                run_id=run_id,
            )
        )
        stats.changes += 1
        session.execute(delete(ProgramIndicator).where(ProgramIndicator.id == row.id))


def resolve_programs(
    db: Database, program_ids: list[str], run_id: int | None = None
) -> ResolveStats:
    """Recompute the current values of PROGRAM_IDS, one transaction per program."""
    stats = ResolveStats()
    for program_id in program_ids:
        with db.session() as session:
            _apply(session, program_id, compute_program_values(session, program_id), run_id, stats)
        stats.programs += 1
    return stats
