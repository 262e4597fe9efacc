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
    ProgramResident,
    Resident,
)

# A rejected value is no value: never served as current, in lists, filters or exports.
SERVED = ProgramIndicator.status != "rejected"
IMG_TYPES = ("IMG_CARIBBEAN", "IMG_OTHER")


class NotFound(LookupError):
    """No such program or run."""


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def is_roster_indicator(indicator: str) -> bool:
    """Values computed from the residents of roster pages rather than from one finding."""
    return indicator.startswith("roster.") or indicator == "people.img_chief"


def served_value(row: ProgramIndicator) -> Any:
    """The value consumers see: None for a rejected value."""
    return None if row.status == "rejected" else row.value


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
    lines = None
    values = {}
    for indicator, finding, capture, page in rows:
        entry: dict[str, Any] = {
            "id": indicator.id,
            "value": served_value(indicator),
            "status": indicator.status,
            "confidence": indicator.confidence,
        }
        if indicator.status == "rejected":
            entry["rejected_value"] = indicator.value
        if indicator.conflicting_values:
            entry["conflicting_values"] = indicator.conflicting_values
        if finding is not None:
            entry["evidence"] = finding_evidence(finding, capture, page)
        elif is_roster_indicator(indicator.indicator) and indicator.evidence_sha256 is not None:
            lines = roster_lines(session, program_id) if lines is None else lines
            entry["evidence"] = roster_evidence(indicator.indicator, lines)
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


def finding_evidence(finding: Finding, capture: Capture, page: Page) -> dict[str, Any]:
    """The evidence of a value read from one statement."""
    return {
        "kind": "finding",
        "quote": finding.quote,
        "start": finding.start,
        "end": finding.end,
        "locator": finding.locator,
        "url": page.url,
        "fetched_at": _iso(capture.fetched_at),
        "extractor": finding.extractor,
        "capture_id": capture.id,
        "finding_id": finding.id,
        "strictness": finding.strictness,
        "detail": finding.detail,
    }


def roster_lines(session: Session, program_id: str) -> list[dict[str, Any]]:
    """The roster line behind each of the program's current residents, in roster order, with
    the page, capture, fetch time and extractor it was read with."""
    rows = session.execute(
        select(ProgramResident, Resident, Capture, Page, Extraction.version)
        .join(Resident, Resident.id == ProgramResident.resident_id)
        .join(Capture, Capture.id == Resident.capture_id)
        .join(Page, Page.id == Capture.page_id)
        .join(Extraction, Extraction.id == Resident.extraction_id)
        .where(ProgramResident.program_id == program_id)
        .order_by(Resident.id)
    ).all()
    return [
        {
            "name": current.record.get("name"),
            "img": current.record.get("school_type") in IMG_TYPES,
            "chief": bool(current.record.get("chief")),
            "resident_id": resident.id,
            "quote": resident.quote,
            "start": resident.start,
            "end": resident.end,
            "capture_id": capture.id,
            "url": page.url,
            "fetched_at": _iso(capture.fetched_at),
            "extractor": _roster_extractor(version),
        }
        for current, resident, capture, page, version in rows
    ]


def _roster_extractor(version: str) -> str:
    return next((part for part in version.split("+") if part.startswith("roster@")), version)


def roster_evidence(indicator: str, lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The evidence of a roster figure: the roster pages it was computed from and the line of
    every resident it counts (for people.img_chief, the IMG chief residents)."""
    if indicator == "people.img_chief":
        lines = [line for line in lines if line["chief"] and line["img"]]
    if not lines:
        return None
    pages: dict[int, dict[str, Any]] = {}
    for line in lines:
        page = pages.setdefault(
            line["capture_id"],
            {key: line[key] for key in ("url", "capture_id", "fetched_at", "extractor")}
            | {"residents": 0},
        )
        page["residents"] += 1
    first = next(iter(pages.values()))
    return {
        "kind": "roster",
        "quote": "\n".join(line["quote"] for line in lines),
        "start": None,
        "end": None,
        "locator": None,
        "url": first["url"],
        "fetched_at": first["fetched_at"],
        "extractor": first["extractor"],
        "capture_id": first["capture_id"],
        "finding_id": None,
        "strictness": None,
        "detail": None,
        "pages": list(pages.values()),
        "residents": [
            {
                key: line[key]
                for key in ("name", "resident_id", "quote", "start", "end", "capture_id")
            }
            for line in lines
        ],
    }


def current_residents(session: Session, program_id: str) -> list[dict[str, Any]]:
    """Residents behind the program's current roster values, with their page URL."""
    rows = session.execute(
        select(ProgramResident, Page.url, Capture.fetched_at)
        .outerjoin(Resident, Resident.id == ProgramResident.resident_id)
        .outerjoin(Capture, Capture.id == Resident.capture_id)
        .outerjoin(Page, Page.id == Capture.page_id)
        .where(ProgramResident.program_id == program_id)
        .order_by(Resident.id, ProgramResident.id)
    ).all()
    return [
        {
            "name": current.record.get("name"),
            "pgy": current.record.get("pgy"),
            "class_year": current.record.get("class_year"),
            "chief": bool(current.record.get("chief")),
            "school": current.record.get("school"),
            "school_type": current.record.get("school_type") or "UNKNOWN",
            "country": current.record.get("country"),
            "url": url,
            "resident_id": current.resident_id,  # the roster line it was read from
        }
        for current, url, _fetched in rows
    ]


def program_summaries(session: Session) -> list[dict[str, Any]]:
    """One row per program: its current values by indicator."""
    programs = session.scalars(select(Program).order_by(Program.id)).all()
    values: dict[str, dict[str, Any]] = {}
    for program_id, indicator, value in session.execute(
        select(
            ProgramIndicator.program_id, ProgramIndicator.indicator, ProgramIndicator.value
        ).where(SERVED)
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
    session: Session,
    run_id: int | None = None,
    since: datetime | None = None,
    since_id: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Change events, oldest first: after event SINCE_ID (the exact cursor), after run RUN_ID,
    or at/after SINCE; the filters combine.

    After a run means: the events of later runs, and the events no run made (reviewers'
    decisions, `normalize`) recorded since run RUN_ID started, so a consumer that always asks
    for changes since the last run it saw misses nothing (it may see such an event twice).
    """
    query = (
        select(ChangeEvent, Capture.fetched_at, Page.url)
        .outerjoin(Capture, Capture.id == ChangeEvent.capture_id)
        .outerjoin(Page, Page.id == Capture.page_id)
        .order_by(ChangeEvent.id)
    )
    if since_id is not None:
        query = query.where(ChangeEvent.id > since_id)
    if run_id is not None:
        started = session.scalar(
            select(CrawlRun.started_at)
            .where(CrawlRun.id <= run_id)
            .order_by(CrawlRun.id.desc())
            .limit(1)
        )
        outside_runs = ChangeEvent.run_id.is_(None)
        if started is not None:
            outside_runs = outside_runs & (ChangeEvent.created_at >= started)
        query = query.where((ChangeEvent.run_id > run_id) | outside_runs)
    if since is not None:
        query = query.where(ChangeEvent.created_at >= since)
    if limit is not None:
        query = query.limit(limit)
    return [
        {**_change(c, fetched_at, url), "program_id": c.program_id}
        for c, fetched_at, url in session.execute(query)
    ]


def _change(c: ChangeEvent, fetched_at: datetime | None, url: str | None) -> dict[str, Any]:
    return {
        "id": c.id,
        "run_id": c.run_id,
        "cause": c.cause,
        "indicator": c.indicator,
        "old": c.old_value,
        "new": c.new_value,
        "at": _iso(c.created_at),
        "evidence": (
            {"capture_id": c.capture_id, "url": url, "fetched_at": _iso(fetched_at)}
            if c.capture_id is not None
            else None
        ),
    }


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
                    SERVED,
                )
            )
        )
    for indicator in has or ():
        query = query.where(
            Program.id.in_(
                select(ProgramIndicator.program_id).where(
                    ProgramIndicator.indicator == indicator, SERVED
                )
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
                ProgramIndicator.indicator == "roster.img_share", SERVED
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
        ).where(ProgramIndicator.program_id.in_(list(current)), SERVED)
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
    """Every change of the program's values and residents, oldest first."""
    return [
        _change(c, fetched_at, url)
        for c, fetched_at, url in session.execute(
            select(ChangeEvent, Capture.fetched_at, Page.url)
            .outerjoin(Capture, Capture.id == ChangeEvent.capture_id)
            .outerjoin(Page, Page.id == Capture.page_id)
            .where(ChangeEvent.program_id == program_id)
            .order_by(ChangeEvent.id)
        )
    ]


def indicator_rows(session: Session, indicators: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per (program, current indicator) with its evidence: the export format.

    A rejected value exports as no value (status `rejected`); a roster figure names every
    roster page it was computed from and quotes the lines it counts.
    """
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
    lines: dict[str, list[dict[str, Any]]] = {}
    out = []
    for program, row, finding, capture, page in session.execute(query):
        evidence = None
        if finding is not None:
            evidence = finding_evidence(finding, capture, page)
        elif is_roster_indicator(row.indicator) and row.evidence_sha256 is not None:
            if program.id not in lines:
                lines[program.id] = roster_lines(session, program.id)
            roster = roster_evidence(row.indicator, lines[program.id])
            if roster is not None:
                evidence = {
                    **roster,
                    "url": " ".join(p["url"] for p in roster["pages"]),
                    "fetched_at": max(p["fetched_at"] for p in roster["pages"]),
                }
        out.append(
            {
                "program_id": program.id,
                "program_name": program.name,
                "specialty": program.specialty,
                "state": program.state,
                "indicator": row.indicator,
                "value": served_value(row),
                "status": row.status,
                "confidence": row.confidence,
                "quote": evidence["quote"] if evidence else None,
                "url": evidence["url"] if evidence else None,
                "fetched_at": evidence["fetched_at"] if evidence else None,
                "extractor": evidence["extractor"] if evidence else None,
            }
        )
    return out
