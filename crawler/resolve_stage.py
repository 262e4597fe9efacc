"""The resolve stage: a program's counting pages -> its current values, residents, change events.

Which pages count is crawler/current_pages.py's business: a page is dropped only when gone or no
longer linked, never because the site was down for a cycle.

Reviewer decisions outrank extraction, and each row keeps a fingerprint of the evidence behind
its value (`evidence_sha256`: the source quote; for roster figures the figure, for an IMG chief
the chiefs' lines):
- `corrected`: the reviewer's value stands, whatever the pages say;
- `confirmed` and `rejected`: kept while the evidence is the same; when it changes the row
  becomes `stale_review` with the new evidence (and value) attached;
- `stale_review`: a reviewer's state too: it follows the evidence but stays flagged until a
  reviewer confirms, rejects or corrects it;
- a confirmed or stale value whose evidence vanished is flagged (`stale_review`, no source),
  never deleted; corrected and rejected values outlive their evidence.
A rejected value is served as no value, so a change event records what consumers see.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crawler.current_pages import current_extractions, update_membership
from db.models import (
    Capture,
    ChangeEvent,
    Finding,
    ProgramIndicator,
    ProgramResident,
    Resident,
)
from db.session import Database
from normalizers.document import Evidence, ResidentRecord
from normalizers.resolve import resolve_values, roster_aggregates
from normalizers.roster import merge_residents

logger = logging.getLogger(__name__)

KEEPS_VALUE = ("corrected",)  # the reviewer's value outlives any evidence
RECHECKED = ("confirmed", "rejected")  # held while their evidence stays the same
OUTLIVE_EVIDENCE = ("corrected", "rejected")  # kept as they are when the evidence vanishes
RESIDENT = "roster.resident"  # change events of one resident: added, gone, changed
CAUSES = ("crawl", "review", "normalize")


@dataclass
class ResolveStats:
    programs: int = 0
    values: int = 0
    changes: int = 0
    conflicts: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Computed:
    """One indicator's value as the counting pages give it."""

    value: Any
    confidence: float | None
    source: Finding | None
    status: str
    conflicting: list[Any]
    evidence_sha256: str


@dataclass
class CurrentResident:
    key: str
    record: dict[str, Any]
    evidence: Resident  # the roster line read


@dataclass
class ProgramState:
    values: dict[str, Computed] = field(default_factory=dict)
    residents: list[CurrentResident] = field(default_factory=list)


def fingerprint(key: Any) -> str:
    """The evidence fingerprint stored on a value: a quote, or a JSON-able figure."""
    text = key if isinstance(key, str) else json.dumps(key, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def name_key(name: str) -> str:
    """Who is who on a roster (the rule of normalizers.roster.merge_residents)."""
    return " ".join(name.casefold().split())


def _record(r: ResidentRecord) -> dict[str, Any]:
    return {
        "name": r.name,
        "pgy": r.pgy,
        "class_year": r.class_year,
        "chief": r.chief,
        "school": r.school,
        "school_type": r.school_type,
        "country": r.country,
    }


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


def _evidence_line(rows: list[Resident]) -> Resident:
    """The roster line shown for a resident listed more than once: the one naming a school."""
    return next((r for r in rows if r.school), rows[0])


def _best_source(resolved_value: Any, sources: list[Finding]) -> Finding:
    # A finding that states the value itself first: for "yes" + "conditional" merged into
    # conditional, the evidence must be a statement of the condition.
    return max(sources, key=lambda f: (f.value == resolved_value, f.confidence))


def compute_program_values(session: Session, program_id: str) -> ProgramState:
    """The values and residents the program's counting pages give."""
    state = ProgramState()
    extraction_ids = [e.id for e in current_extractions(session, program_id)]
    if not extraction_ids:
        return state
    findings = session.scalars(
        select(Finding).where(Finding.extraction_id.in_(extraction_ids)).order_by(Finding.id)
    ).all()
    residents = session.scalars(
        select(Resident).where(Resident.extraction_id.in_(extraction_ids)).order_by(Resident.id)
    ).all()
    for indicator, resolved in resolve_values(
        [(f.indicator, f.value, f.confidence, f) for f in findings]
    ).items():
        best = _best_source(resolved.value, resolved.sources)
        state.values[indicator] = Computed(
            resolved.value,
            resolved.confidence,
            best,
            resolved.status,
            resolved.conflicting,
            fingerprint(best.quote),
        )
    lines: dict[str, list[Resident]] = {}
    for row in residents:
        lines.setdefault(name_key(row.name), []).append(row)
    merged = merge_residents(_records(list(residents)))
    state.residents = [
        CurrentResident(name_key(r.name), _record(r), _evidence_line(lines[name_key(r.name)]))
        for r in merged
    ]
    chiefs = sorted(c.evidence.quote for c in state.residents if _img_chief(c.record))
    for indicator, value in roster_aggregates(merged).items():
        key = chiefs if indicator == "people.img_chief" else value
        state.values[indicator] = Computed(value, None, None, "auto", [], fingerprint(key))
    return state


def _img_chief(record: dict[str, Any]) -> bool:
    return record["chief"] and record["school_type"] in ("IMG_CARIBBEAN", "IMG_OTHER")


def served(row: ProgramIndicator) -> Any:
    """What consumers see of a value: a rejected value is no value."""
    return None if row.status == "rejected" else row.value


class _Changes:
    """Change events of one program in one resolve."""

    def __init__(self, session, program_id, run_id, cause, stats) -> None:
        self.session, self.program_id, self.run_id = session, program_id, run_id
        self.cause, self.stats = cause, stats

    def add(self, indicator: str, old: Any, new: Any, capture_id: int | None = None) -> None:
        if old == new:
            return
        self.session.add(
            ChangeEvent(
                program_id=self.program_id,
                indicator=indicator,
                old_value=old,
                new_value=new,
                run_id=self.run_id,
                cause=self.cause,
                capture_id=capture_id,
            )
        )
        self.stats.changes += 1


def _take(row: ProgramIndicator, computed: Computed) -> None:
    row.value, row.confidence = computed.value, computed.confidence
    row.source_finding_id = computed.source.id if computed.source else None
    row.conflicting_values = computed.conflicting or None
    row.evidence_sha256 = computed.evidence_sha256


def _apply(
    session: Session, program_id: str, state: ProgramState, changes: _Changes, stats: ResolveStats
) -> None:
    existing = {
        row.indicator: row
        for row in session.scalars(
            select(ProgramIndicator).where(ProgramIndicator.program_id == program_id)
        )
    }
    had_roster = "roster.resident_count" in existing
    for indicator, computed in state.values.items():
        row = existing.pop(indicator, None)
        stats.values += 1
        stats.conflicts += computed.status == "conflicting"
        capture_id = computed.source.capture_id if computed.source else None
        if row is None:
            row = ProgramIndicator(program_id=program_id, indicator=indicator)
            _take(row, computed)
            row.status = computed.status
            session.add(row)
            changes.add(indicator, None, computed.value, capture_id)
            continue
        if row.status in KEEPS_VALUE:
            continue
        same_evidence = row.evidence_sha256 == computed.evidence_sha256
        if row.status in RECHECKED and same_evidence:
            # Same words, perhaps a newer reading of them: point at the current finding.
            row.source_finding_id = computed.source.id if computed.source else None
            continue
        before = served(row)
        if row.status in RECHECKED or row.status == "stale_review":
            # The evidence a reviewer saw has changed: back to them, with what the page says now.
            row.status = "stale_review"
        else:
            row.status = computed.status
        _take(row, computed)
        changes.add(indicator, before, computed.value, capture_id)
    for indicator, row in existing.items():
        if row.status in OUTLIVE_EVIDENCE:
            continue
        if row.status in ("confirmed", "stale_review"):
            # A reviewed value is flagged, not deleted, when its evidence vanishes.
            if row.evidence_sha256 is not None:
                row.status = "stale_review"
                row.source_finding_id = None
                row.conflicting_values = None
                row.evidence_sha256 = None
            continue
        changes.add(indicator, row.value, None)
        session.execute(delete(ProgramIndicator).where(ProgramIndicator.id == row.id))
    _apply_residents(session, program_id, state.residents, had_roster, changes)


def _apply_residents(
    session: Session,
    program_id: str,
    residents: list[CurrentResident],
    had_roster: bool,
    changes: _Changes,
) -> None:
    """Keep the program's current residents; a change event per resident added, gone or
    changed, with the roster capture it was read from."""
    existing = {
        pr.name_key: pr
        for pr in session.scalars(
            select(ProgramResident).where(ProgramResident.program_id == program_id)
        )
    }
    # Roster values from before residents were kept (an upgraded database): fill in silently.
    baseline = had_roster and not existing
    for current in residents:
        known = existing.pop(current.key, None)
        if known is None:
            session.add(
                ProgramResident(
                    program_id=program_id,
                    name_key=current.key,
                    resident_id=current.evidence.id,
                    record=current.record,
                )
            )
            if not baseline:
                changes.add(RESIDENT, None, current.record, current.evidence.capture_id)
            continue
        if known.record != current.record:
            changes.add(RESIDENT, known.record, current.record, current.evidence.capture_id)
            known.record = current.record
        known.resident_id = current.evidence.id
    for gone in existing.values():
        changes.add(RESIDENT, gone.record, None, _latest_capture_of_line(session, gone))
        session.delete(gone)


def _latest_capture_of_line(session: Session, resident: ProgramResident) -> int | None:
    """The latest capture of the roster page a resident was listed on: where they are missing."""
    if resident.resident is None:
        return None
    page_id = session.scalar(
        select(Capture.page_id).where(Capture.id == resident.resident.capture_id)
    )
    return session.scalar(select(func.max(Capture.id)).where(Capture.page_id == page_id))


def resolve_programs(
    db: Database, program_ids: list[str], run_id: int | None = None, cause: str = "crawl"
) -> ResolveStats:
    """Recompute the current values of PROGRAM_IDS, one transaction per program.

    With a crawl RUN_ID, first update which pages count from what that run fetched. CAUSE is
    recorded on the change events (`normalize` for a re-extraction without crawling).
    """
    if cause not in CAUSES:
        raise ValueError(f"unknown cause {cause!r}")
    stats = ResolveStats()
    for program_id in program_ids:
        try:
            with db.session() as session:
                if run_id is not None and cause == "crawl":
                    update_membership(session, program_id, run_id)
                changes = _Changes(session, program_id, run_id, cause, stats)
                _apply(
                    session, program_id, compute_program_values(session, program_id), changes, stats
                )
        except SQLAlchemyError as error:  # one program's trouble must not stop the others
            logger.error("cannot resolve program %s: %s", program_id, error)
            stats.failed += 1
            continue
        stats.programs += 1
    return stats
