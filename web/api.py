"""The read-only JSON API under /api (FastAPI), for downstream tools.

Every response is described in the OpenAPI document at /openapi.json. When an API token is
configured, every request needs `Authorization: Bearer TOKEN`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from crawler.programs_io import PROGRAM_ID_PATTERN
from db import queries
from db.session import Database
from web.docs import docs_router

VisaValue = Literal["yes", "no", "conditional"]
SortKey = Literal["id", "name", "state", "specialty", "updated_at"]
JSONValue = Any
# What real values look like; anything else (NUL bytes included) is a 422, not a server error.
TEXT = r"^[^\x00]*$"
INDICATOR = r"^[a-z0-9_.]{1,64}$"


class ProgramFields(BaseModel):
    id: str
    name: str
    institution: str | None
    specialty: str | None
    city: str | None
    state: str | None
    website: str


class ProgramSummary(ProgramFields):
    values: dict[str, JSONValue] = Field(description="current value per indicator")


class ProgramPage(BaseModel):
    total: int = Field(description="programs matching the filters, over all pages")
    limit: int
    offset: int
    items: list[ProgramSummary]


class RosterPage(BaseModel):
    url: str
    capture_id: int
    fetched_at: str | None
    extractor: str
    residents: int = Field(description="residents counted from this page")


class RosterLine(BaseModel):
    name: str | None
    resident_id: int | None = None
    quote: str | None
    start: int
    end: int
    capture_id: int


class Evidence(BaseModel):
    kind: Literal["finding", "roster"] = Field(
        "finding",
        description="finding: one statement (quote with offsets in the page's extracted text); "
        "roster: a figure computed from the residents listed on roster pages (pages, lines)",
    )
    quote: str | None = Field(description="the statement; for a roster figure its lines")
    start: int | None
    end: int | None
    locator: str | None
    url: str
    fetched_at: str | None
    extractor: str
    capture_id: int
    finding_id: int | None = None
    strictness: str | None
    detail: dict[str, JSONValue] | None
    pages: list[RosterPage] | None = None
    residents: list[RosterLine] | None = None


class CurrentValue(BaseModel):
    id: int | None = Field(None, description="the value's id (review item)")
    value: JSONValue = Field(description="null when a reviewer rejected the extracted value")
    status: str
    confidence: float | None
    rejected_value: JSONValue = Field(None, description="the value a reviewer rejected")
    conflicting_values: list[JSONValue] | None = None
    evidence: Evidence | None = None


class ResidentOut(BaseModel):
    name: str | None
    pgy: str | None
    class_year: int | None
    chief: bool
    school: str | None
    school_type: str
    country: str | None
    url: str


class ChangeEvidence(BaseModel):
    capture_id: int
    url: str | None
    fetched_at: str | None


class Change(BaseModel):
    id: int = Field(description="increasing: the cursor for since_id")
    run_id: int | None
    cause: str = Field(
        "crawl", description="crawl (a cycle), review (a reviewer), normalize (re-extraction)"
    )
    indicator: str = Field(description="an indicator, or roster.resident for one resident")
    old: JSONValue = None
    new: JSONValue = None
    at: str | None
    evidence: ChangeEvidence | None = None
    program_id: str | None = None


class ProgramDetail(ProgramFields):
    values: dict[str, CurrentValue]
    residents: list[ResidentOut]
    history: list[Change]


class RunOut(BaseModel):
    id: int
    trigger: str
    status: str
    started_at: str | None
    finished_at: str | None
    error: str | None = Field(None, description="why the run did not complete")
    pages_fetched: int | None = None
    pages_unchanged: int | None = None
    pages_failed: int | None = None
    changes: int | None = None
    duration_seconds: float | None = None


class RunDetail(BaseModel):
    id: int
    trigger: str
    status: str
    started_at: str | None
    finished_at: str | None
    error: str | None = Field(None, description="why the run did not complete")
    report: dict[str, JSONValue]


def _session(request: Request) -> Iterator[Any]:
    with request.app.state.db.session() as session:
        yield session


# Module level, so FastAPI can resolve it from the (postponed) annotations.
DbSession = Annotated[Any, Depends(_session)]


def _change_without_names(change: dict[str, Any]) -> dict[str, Any]:
    if change["indicator"] != "roster.resident":
        return change
    return {
        **change,
        **{k: change[k] and {**change[k], "name": None} for k in ("old", "new")},
    }


def _without_names(data: dict[str, Any]) -> dict[str, Any]:
    """A program detail with residents' names (and the roster lines that carry them) left out."""
    values = {}
    for indicator, entry in data["values"].items():
        evidence = entry.get("evidence")
        if evidence and evidence.get("kind") == "roster":
            entry = {
                **entry,
                "evidence": {
                    **evidence,
                    "quote": None,
                    "residents": [
                        {**line, "name": None, "quote": None} for line in evidence["residents"]
                    ],
                },
            }
        values[indicator] = entry
    return {
        **data,
        "values": values,
        "residents": [{**r, "name": None} for r in data["residents"]],
        "history": [_change_without_names(c) for c in data["history"]],
    }


def _utc(moment: datetime | None) -> datetime | None:
    """Compare times in UTC (a naive time is taken as UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def create_app(
    db_url: str,
    api_token: str | None = None,
    hide_names: bool = False,
    data_dir: FilePath | None = None,
    secret_key: str | None = None,
) -> FastAPI:
    """The API over the database at DB_URL; with DATA_DIR and SECRET_KEY also the review UI."""
    db = Database(db_url)
    app = FastAPI(
        title="imgcrawl",
        version="1",
        description="Residency program facts for international medical graduates, "
        "each current value with the evidence it came from.",
        docs_url=None,  # Swagger UI loads from a CDN: web/docs.py serves a self-contained page
        redoc_url=None,
    )
    app.state.db = db
    app.include_router(docs_router())

    @app.middleware("http")
    async def refuse_nul_bytes(request: Request, call_next):
        # PostgreSQL text cannot hold NUL; no real program id or filter contains one.
        if "\x00" in unquote(request.url.path) or "\x00" in unquote(request.url.query):
            problem = {
                "loc": ["request"],
                "msg": "NUL bytes are not allowed",
                "type": "value_error",
            }
            return JSONResponse({"detail": [problem]}, 422)
        return await call_next(request)

    if data_dir is not None and secret_key:
        from starlette.middleware.sessions import SessionMiddleware

        from crawler.capture_store import CaptureStore
        from web.ui import review_router

        app.add_middleware(
            SessionMiddleware,
            secret_key=secret_key,
            same_site="strict",
            session_cookie="imgcrawl_review",
            max_age=12 * 3600,
        )
        app.include_router(review_router(CaptureStore(data_dir)))

    def authorized(request: Request) -> None:
        if api_token is None:
            return
        given = request.headers.get("Authorization", "")
        if not secrets.compare_digest(given, f"Bearer {api_token}"):
            raise HTTPException(401, "a valid 'Authorization: Bearer TOKEN' header is required")

    guarded = [Depends(authorized)]

    @app.get("/api/programs", response_model=ProgramPage, dependencies=guarded)
    def list_programs(
        s: DbSession,
        specialty: Annotated[str | None, Query(pattern=TEXT, max_length=120)] = None,
        state: Annotated[str | None, Query(pattern="^[A-Za-z]{2}$")] = None,
        visa_j1: Annotated[VisaValue | None, Query(alias="visa.j1")] = None,
        visa_h1b: Annotated[VisaValue | None, Query(alias="visa.h1b")] = None,
        img_share_min: Annotated[float | None, Query(ge=0, le=1)] = None,
        img_share_max: Annotated[float | None, Query(ge=0, le=1)] = None,
        has: Annotated[
            list[Annotated[str, Query(pattern=INDICATOR)]] | None,
            Query(description="indicator that must exist"),
        ] = None,
        updated_since: datetime | None = None,
        sort: SortKey = "id",
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        """Programs with their current values; filters combine with AND; stable order."""
        values = {k: v for k, v in (("visa.j1", visa_j1), ("visa.h1b", visa_h1b)) if v}
        updated_since = _utc(updated_since)
        total, items = queries.find_programs(
            s,
            specialty=specialty,
            state=state,
            values=values,
            has=has,
            img_share_min=img_share_min,
            img_share_max=img_share_max,
            updated_since=updated_since,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return {"total": total, "limit": limit, "offset": offset, "items": items}

    @app.get(
        "/api/programs/{program_id}",
        response_model=ProgramDetail,
        dependencies=guarded,
        responses={404: {"description": "no such program"}},
    )
    def get_program(
        s: DbSession, program_id: Annotated[str, Path(pattern=PROGRAM_ID_PATTERN)]
    ) -> dict[str, Any]:
        """One program: every current value with status and evidence, residents, history."""
        try:
            data = queries.program_values(s, program_id)
        except queries.NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        data["history"] = queries.program_history(s, program_id)
        return _without_names(data) if hide_names else data

    @app.get("/api/changes", response_model=list[Change], dependencies=guarded)
    def list_changes(
        s: DbSession,
        since_id: Annotated[
            int | None,
            Query(ge=0, le=2**31 - 1, description="only changes with a larger id (the cursor)"),
        ] = None,
        since_run: Annotated[
            int | None,
            Query(
                ge=0,
                le=2**31 - 1,
                description="changes of later runs, and reviewers' and normalize changes "
                "recorded since this run started",
            ),
        ] = None,
        since: Annotated[datetime | None, Query(description="changes at or after")] = None,
        limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    ) -> list[dict[str, Any]]:
        """Changes of served values and residents, oldest first; filters combine.

        To follow the feed without missing anything, keep the largest `id` seen and ask for
        `since_id` = that id: every change gets an id, whoever made it (a cycle, a reviewer,
        `imgcrawl normalize`).
        """
        rows = queries.changes_since(s, since_run, _utc(since), since_id, limit)
        return [_change_without_names(c) for c in rows] if hide_names else rows

    @app.get("/api/runs", response_model=list[RunOut], dependencies=guarded)
    def list_runs(s: DbSession, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict]:
        """Runs, newest first, with headline figures."""
        return queries.runs(s, limit)

    @app.get(
        "/api/runs/{run_id}",
        response_model=RunDetail,
        dependencies=guarded,
        responses={404: {"description": "no such run"}},
    )
    def get_run(s: DbSession, run_id: Annotated[int, Path(ge=0, le=2**31 - 1)]) -> dict[str, Any]:
        """One run with its full report."""
        try:
            return queries.run_summary(s, run_id)
        except queries.NotFound as missing:
            raise HTTPException(404, str(missing)) from None

    return app
