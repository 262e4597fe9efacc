"""Reviewer decisions: the queue of values to audit, and confirm / reject / correct."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from crawler.capture_store import CaptureStore
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
    """Values with evidence, most in need of review first."""
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
        .join(Finding, Finding.id == ProgramIndicator.source_finding_id)
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
    return [
        {
            "id": row.id,
            "program_id": row.program_id,
            "indicator": row.indicator,
            "value": row.value,
            "status": row.status,
            "confidence": row.confidence,
            "quote": finding.quote,
            "why": reasons[rank],
        }
        for row, finding, rank in session.execute(query)
    ]


def item(session: Session, store: CaptureStore, item_id: int) -> dict[str, Any]:
    """One value with its evidence: the quote inside the surrounding extracted text."""
    row = session.get(ProgramIndicator, item_id)
    if row is None or row.source_finding is None:
        raise ReviewError(f"no reviewable value with id {item_id}")
    finding = row.source_finding
    capture = session.get(Capture, finding.capture_id)
    page = session.get(Page, capture.page_id)
    text = document_from(store.get(capture.body_sha256), capture.content_type, page.url).text
    start, end = finding.start, finding.end
    history = session.scalars(
        select(Review)
        .where(Review.program_id == row.program_id, Review.indicator == row.indicator)
        .order_by(Review.id)
    ).all()
    return {
        "row": row,
        "finding": finding,
        "capture": capture,
        "url": page.url,
        "before": text[max(0, start - CONTEXT_CHARS) : start],
        "quote": text[start:end],
        "after": text[end : end + CONTEXT_CHARS],
        "reviews": history,
    }


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
    value = None
    if action == "correct":
        value = parse_value(row.indicator, corrected or "")
        if value != row.value:
            session.add(
                ChangeEvent(
                    program_id=row.program_id,
                    indicator=row.indicator,
                    old_value=row.value,
                    new_value=value,
                    run_id=None,
                )
            )
        row.value = value
    row.status = STATUS_AFTER[action]
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
