"""Reviewer decisions: the queue of values to audit, and confirm / reject / correct."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from crawler.capture_store import CaptureStore
from db import queries
from db.models import Capture, ChangeEvent, CrawlRun, Finding, Page, ProgramIndicator, Review
from normalizers.extract import document_from
from normalizers.vocabulary import parse_value

LOW_CONFIDENCE = 0.8  # below this an automatic value is worth a human look
ACTIONS = ("confirm", "reject", "correct")
STATUS_AFTER = {"confirm": "confirmed", "reject": "rejected", "correct": "corrected"}
CONTEXT_CHARS = 400  # extracted text shown either side of the quote


class ReviewError(ValueError):
    """A decision that cannot be applied (unknown item or action, value outside vocabulary)."""


def queue(
    session: Session,
    program: str | None = None,
    indicator: str | None = None,
    limit: int = 200,
    offset: int = 0,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Current values, most in need of review first.

    Roster figures and people.img_chief are items too: their `quote` is the roster lines they
    were computed from, `evidence_kind` says "roster".
    """
    latest_run = session.scalar(select(CrawlRun.id).order_by(CrawlRun.id.desc()).limit(1))
    changed = select(ChangeEvent.program_id + "|" + ChangeEvent.indicator).where(
        ChangeEvent.run_id == latest_run
    )
    key = ProgramIndicator.program_id + "|" + ProgramIndicator.indicator
    priority = case(
        (ProgramIndicator.status.in_(("conflicting", "stale_review")), 0),
        (ProgramIndicator.confidence < LOW_CONFIDENCE, 1),
        (key.in_(changed), 2),
        (ProgramIndicator.status == "auto", 3),
        else_=4,
    )
    query = (
        select(ProgramIndicator, Finding, priority.label("priority"))
        .outerjoin(Finding, Finding.id == ProgramIndicator.source_finding_id)
        .order_by(priority, ProgramIndicator.program_id, ProgramIndicator.indicator)
        .limit(limit)
        .offset(offset)
    )
    if program:
        query = query.where(ProgramIndicator.program_id == program)
    if indicator:
        query = query.where(ProgramIndicator.indicator == indicator)
    if status:
        query = query.where(ProgramIndicator.status == status)
    reasons = {0: "status", 1: "low confidence", 2: "changed", 3: "unreviewed", 4: "reviewed"}
    lines: dict[str, list[dict[str, Any]]] = {}
    out = []
    for row, finding, rank in session.execute(query):
        evidence = _evidence(session, row, finding, lines)
        out.append(
            {
                "id": row.id,
                "program_id": row.program_id,
                "indicator": row.indicator,
                "value": queries.served_value(row),
                "status": row.status,
                "confidence": row.confidence,
                "quote": evidence["quote"] if evidence else "",
                "evidence_kind": evidence["kind"] if evidence else None,
                "why": reasons[rank],
            }
        )
    return out


def _evidence(
    session: Session,
    row: ProgramIndicator,
    finding: Finding | None,
    lines: dict[str, list[dict[str, Any]]],
) -> dict[str, Any] | None:
    """The evidence of one value: its finding, or the roster lines it was computed from."""
    if finding is not None:
        capture = session.get(Capture, finding.capture_id)
        return queries.finding_evidence(finding, capture, session.get(Page, capture.page_id))
    if queries.is_roster_indicator(row.indicator) and row.evidence_sha256 is not None:
        if row.program_id not in lines:
            lines[row.program_id] = queries.roster_lines(session, row.program_id)
        return queries.roster_evidence(row.indicator, lines[row.program_id])
    return None


def _last_reviewed_evidence(session: Session, row: ProgramIndicator) -> dict[str, Any] | None:
    """The finding a reviewer last decided on: what a value whose evidence vanished rested on."""
    finding = session.scalar(
        select(Finding)
        .join(Review, Review.finding_id == Finding.id)
        .where(Review.program_id == row.program_id, Review.indicator == row.indicator)
        .order_by(Review.id.desc())
        .limit(1)
    )
    if finding is None:
        return None
    capture = session.get(Capture, finding.capture_id)
    return queries.finding_evidence(finding, capture, session.get(Page, capture.page_id))


def item(session: Session, store: CaptureStore, item_id: int) -> dict[str, Any]:
    """One value with its evidence: the quote inside the surrounding extracted text.

    Keys: `row`, `finding` (None for roster figures and for values whose evidence vanished),
    `evidence` (queries.finding_evidence or queries.roster_evidence: for a roster figure its
    pages and the line of every resident counted, each with capture id and offsets; None when
    the evidence vanished), `last_evidence` (when it vanished: the finding last reviewed),
    `capture`, `url`, `before` / `quote` / `after` (the first quoted line in its page's text;
    empty when there is no evidence) and `reviews`.
    """
    row = session.get(ProgramIndicator, item_id)
    if row is None:
        raise ReviewError(f"no reviewable value with id {item_id}")
    finding = row.source_finding
    evidence = _evidence(session, row, finding, {})
    history = session.scalars(
        select(Review)
        .where(Review.program_id == row.program_id, Review.indicator == row.indicator)
        .order_by(Review.id)
    ).all()
    out: dict[str, Any] = {
        "row": row,
        "finding": finding,
        "evidence": evidence,
        "last_evidence": _last_reviewed_evidence(session, row) if evidence is None else None,
        "capture": None,
        "url": None,
        "before": "",
        "quote": "",
        "after": "",
        "reviews": history,
    }
    if evidence is None:
        return out
    # The first quoted line (for a roster figure, its first resident) in its page's text.
    line = evidence if finding is not None else evidence["residents"][0]
    capture = session.get(Capture, line["capture_id"])
    page = session.get(Page, capture.page_id)
    text = document_from(store.get(capture.body_sha256), capture.content_type, page.url).text
    start, end = line["start"], line["end"]
    out.update(
        capture=capture,
        url=page.url,
        before=text[max(0, start - CONTEXT_CHARS) : start],
        quote=text[start:end],
        after=text[end : end + CONTEXT_CHARS],
    )
    return out


def decide(
    session: Session,
    item_id: int,
    reviewer: str,
    action: str,
    corrected: str | None = None,
    note: str | None = None,
) -> ProgramIndicator:
    """Apply and log one decision; it outlives later cycles (see crawler/resolve_stage.py)."""
    if action not in ACTIONS:
        raise ReviewError(f"unknown action {action!r}")
    row = session.get(ProgramIndicator, item_id)
    if row is None:
        raise ReviewError(f"no reviewable value with id {item_id}")
    before = queries.served_value(row)
    value = None
    if action == "correct":
        value = parse_value(row.indicator, corrected or "")
        row.value = value
    row.status = STATUS_AFTER[action]
    if queries.served_value(row) != before:
        # What consumers see changed (a correction, or a rejection: no value any more).
        session.add(
            ChangeEvent(
                program_id=row.program_id,
                indicator=row.indicator,
                old_value=before,
                new_value=queries.served_value(row),
                run_id=None,
                cause="review",
                capture_id=row.source_finding.capture_id if row.source_finding else None,
            )
        )
    session.add(
        Review(
            reviewer=reviewer,
            program_id=row.program_id,
            indicator=row.indicator,
            finding_id=row.source_finding_id,
            action=action,
            corrected_value=value,
            note=(note or None),
        )
    )
    return row
