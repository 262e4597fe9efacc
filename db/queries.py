"""Read queries shared by the CLI (and later the API): programs, values with evidence, runs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from db.models import (
    Capture,
    ChangeEvent,
    CrawlRun,
    Extraction,
    Finding,
    Page,
    Program,
    ProgramIndicator,
    Resident,
)


class NotFound(LookupError):
    """No such program or run."""


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def program_values(session: Session, program_id: str) -> dict[str, Any]:
    """A program with every current value and the evidence behind it."""
    program = session.get(Program, program_id)
    if program is None:
        raise NotFound(f"no program with id {program_id!r}")
    rows = session.execute(
        select(ProgramIndicator, Finding, Capture, Page)
        .outerjoin(Finding, Finding.id == ProgramIndicator.source_finding_id)
        .outerjoin(Capture, Capture.id == Finding.capture_id)
        .outerjoin(Page, Page.id == Capture.page_id)
        .where(ProgramIndicator.program_id == program_id)
        .order_by(ProgramIndicator.indicator)
    ).all()
    values = {}
    for indicator, finding, capture, page in rows:
        entry: dict[str, Any] = {
            "value": indicator.value,
            "status": indicator.status,
            "confidence": indicator.confidence,
        }
        if indicator.conflicting_values:
            entry["conflicting_values"] = indicator.conflicting_values
        if finding is not None:
            entry["evidence"] = {
                "quote": finding.quote,
                "start": finding.start,
                "end": finding.end,
                "locator": finding.locator,
                "url": page.url,
                "fetched_at": _iso(capture.fetched_at),
                "extractor": finding.extractor,
                "capture_id": capture.id,
                "strictness": finding.strictness,
                "detail": finding.detail,
            }
        values[indicator.indicator] = entry
    return {
        "id": program.id,
        "name": program.name,
        "institution": program.institution,
        "specialty": program.specialty,
        "city": program.city,
        "state": program.state,
        "website": program.website,
        "values": values,
        "residents": current_residents(session, program_id),
    }


def current_residents(session: Session, program_id: str) -> list[dict[str, Any]]:
    """Residents behind the program's current roster values, with their page URL."""
    from crawler.resolve_stage import current_extractions  # the one definition of "current"

    ids = [e.id for e in current_extractions(session, program_id)]
    if not ids:
        return []
    rows = session.execute(
        select(Resident, Page.url)
        .join(Extraction, Extraction.id == Resident.extraction_id)
        .join(Capture, Capture.id == Extraction.capture_id)
        .join(Page, Page.id == Capture.page_id)
        .where(Resident.extraction_id.in_(ids))
        .order_by(Resident.id)
    ).all()
    seen, out = set(), []
    for resident, url in rows:
        if resident.name.casefold() in seen:
            continue
        seen.add(resident.name.casefold())
        out.append(
            {
                "name": resident.name,
                "pgy": resident.pgy,
                "class_year": resident.class_year,
                "chief": resident.chief,
                "school": resident.school,
                "school_type": resident.school_type,
                "country": resident.country,
                "url": url,
            }
        )
    return out


def program_summaries(session: Session) -> list[dict[str, Any]]:
    """One row per program: its current values by indicator."""
    programs = session.scalars(select(Program).order_by(Program.id)).all()
    values: dict[str, dict[str, Any]] = {}
    for program_id, indicator, value in session.execute(
        select(ProgramIndicator.program_id, ProgramIndicator.indicator, ProgramIndicator.value)
    ):
        values.setdefault(program_id, {})[indicator] = value
    return [
        {
            "id": p.id,
            "name": p.name,
            "specialty": p.specialty,
            "state": p.state,
            "active": p.active,
            "values": values.get(p.id, {}),
        }
        for p in programs
    ]


def run_error(run: CrawlRun) -> str | None:
    """Why a run did not complete (None for a completed or running run)."""
    stats = run.stats or {}
    if stats.get("error"):
        return stats["error"]
    code = stats.get("crawl_exit_code")
    if run.status == "failed" and code:
        return f"the crawl process exited with status {code} (see runs/{run.id}/crawl.log)"
    return None


def run_summary(session: Session, run_id: int) -> dict[str, Any]:
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise NotFound(f"no run with id {run_id}")
    return {
        "id": run.id,
        "trigger": run.trigger,
        "status": run.status,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "error": run_error(run),
        "report": (run.stats or {}).get("report", {}),
    }


def latest_run_id(session: Session) -> int | None:
    return session.scalar(select(CrawlRun.id).order_by(CrawlRun.id.desc()).limit(1))


def runs(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest runs, newest first, with their headline figures."""
    out = []
    for run in session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)):
        report = (run.stats or {}).get("report", {})
        out.append(
            {
                "id": run.id,
                "trigger": run.trigger,
                "status": run.status,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "error": run_error(run),
                **{
                    key: report.get(key)
                    for key in (
                        "pages_fetched",
                        "pages_unchanged",
                        "pages_failed",
                        "changes",
                        "duration_seconds",
                    )
                },
            }
        )
    return out


def changes_since(
    session: Session, run_id: int | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Change events after run RUN_ID (exclusive) or at/after SINCE, oldest first."""
    query = select(ChangeEvent).order_by(ChangeEvent.id)
    if run_id is not None:
        query = query.where(ChangeEvent.run_id > run_id)
    if since is not None:
        query = query.where(ChangeEvent.created_at >= since)
    return [
        {
            "id": c.id,
            "run_id": c.run_id,
            "program_id": c.program_id,
            "indicator": c.indicator,
            "old": c.old_value,
            "new": c.new_value,
            "at": _iso(c.created_at),
        }
        for c in session.scalars(query)
    ]


SORTS = ("id", "name", "state", "specialty", "updated_at")


def _value_text(value: Any) -> str:
    """A JSON value as stored text, for comparisons that work on SQLite and PostgreSQL."""
    return json.dumps(value)


def find_programs(
    session: Session,
    *,
    specialty: str | None = None,
    state: str | None = None,
    values: dict[str, Any] | None = None,
    has: list[str] | None = None,
    img_share_min: float | None = None,
    img_share_max: float | None = None,
    updated_since: datetime | None = None,
    sort: str = "id",
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Programs matching every filter: (total, one page of summaries), in a stable order."""
    query = select(Program.id)
    if specialty:
        query = query.where(func.lower(Program.specialty) == specialty.lower())
    if state:
        query = query.where(Program.state == state.upper())
    for indicator, value in (values or {}).items():
        query = query.where(
            Program.id.in_(
                select(ProgramIndicator.program_id).where(
                    ProgramIndicator.indicator == indicator,
                    cast(ProgramIndicator.value, String) == _value_text(value),
                )
            )
        )
    for indicator in has or ():
        query = query.where(
            Program.id.in_(
                select(ProgramIndicator.program_id).where(ProgramIndicator.indicator == indicator)
            )
        )
    if updated_since is not None:
        query = query.where(
            Program.id.in_(
                select(ProgramIndicator.program_id).where(
                    ProgramIndicator.updated_at >= updated_since
                )
            )
        )
    if img_share_min is not None or img_share_max is not None:
        low = img_share_min if img_share_min is not None else 0.0
        high = img_share_max if img_share_max is not None else 1.0
        shares = session.execute(
            select(ProgramIndicator.program_id, ProgramIndicator.value).where(
                ProgramIndicator.indicator == "roster.img_share"
            )
        )
        # The share lives inside a JSON object; 5,000 small rows are cheaper to read than
        # to query portably across SQLite and PostgreSQL JSON dialects.
        matching = [
            pid
            for pid, value in shares
            if value.get("share") is not None and low <= value["share"] <= high
        ]
        query = query.where(Program.id.in_(matching))
    ids = query.subquery()
    total = session.scalar(select(func.count()).select_from(ids))
    order = getattr(Program, sort if sort in SORTS else "id")
    page = session.scalars(
        select(Program)
        .where(Program.id.in_(select(ids.c.id)))
        .order_by(order, Program.id)
        .limit(limit)
        .offset(offset)
    ).all()
    current: dict[str, dict[str, Any]] = {p.id: {} for p in page}
    for program_id, indicator, value in session.execute(
        select(
            ProgramIndicator.program_id, ProgramIndicator.indicator, ProgramIndicator.value
        ).where(ProgramIndicator.program_id.in_(list(current)))
    ):
        current[program_id][indicator] = value
    return total, [
        {
            "id": p.id,
            "name": p.name,
            "institution": p.institution,
            "specialty": p.specialty,
            "city": p.city,
            "state": p.state,
            "website": p.website,
            "values": current[p.id],
        }
        for p in page
    ]


def program_history(session: Session, program_id: str) -> list[dict[str, Any]]:
    """Every change of the program's values, oldest first."""
    return [
        {
            "id": c.id,
            "run_id": c.run_id,
            "indicator": c.indicator,
            "old": c.old_value,
            "new": c.new_value,
            "at": _iso(c.created_at),
        }
        for c in session.scalars(
            select(ChangeEvent).where(ChangeEvent.program_id == program_id).order_by(ChangeEvent.id)
        )
    ]


def indicator_rows(session: Session, indicators: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per (program, current indicator) with its evidence: the export format."""
    query = (
        select(Program, ProgramIndicator, Finding, Capture, Page)
        .join(ProgramIndicator, ProgramIndicator.program_id == Program.id)
        .outerjoin(Finding, Finding.id == ProgramIndicator.source_finding_id)
        .outerjoin(Capture, Capture.id == Finding.capture_id)
        .outerjoin(Page, Page.id == Capture.page_id)
        .order_by(Program.id, ProgramIndicator.indicator)
    )
    if indicators:
        query = query.where(ProgramIndicator.indicator.in_(indicators))
    return [
        {
            "program_id": program.id,
            "program_name": program.name,
            "specialty": program.specialty,
            "state": program.state,
            "indicator": row.indicator,
            "value": row.value,
            "status": row.status,
            "confidence": row.confidence,
            "quote": finding.quote if finding else None,
            "url": page.url if page else None,
            "fetched_at": _iso(capture.fetched_at) if capture else None,
            "extractor": finding.extractor if finding else None,
        }
        for program, row, finding, capture, page in session.execute(query)
    ]
