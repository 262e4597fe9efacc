"""The review UI under /review: server-rendered (Jinja2, autoescaped), no JavaScript.

Crawled content is untrusted everywhere it is shown: templates escape it, every page is served
with a Content-Security-Policy that allows no script at all, and the archived page is
sanitised with nh3 and shown under a sandboxing CSP that allows no request of any kind (PDFs
and plain-text captures are shown as their extracted text, escaped, line by line with their
locators; the original bytes only ever leave as a download). Every form carries the session's
CSRF token; every write needs a signed-in reviewer.

Pages: the queue (filters, pages of PAGE_SIZE), each value with its quote highlighted in the
page's text (web/evidence.py), programs, each program's values (each linked to its evidence)
and residents (each with the roster line it was read from), archived pages.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import nh3
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import distinct, func, select

from crawler.capture_store import CaptureStore
from db import queries
from db.models import Capture, Page, Program, ProgramIndicator, Resident
from normalizers.extract import document_from
from normalizers.vocabulary import VocabularyError
from web import evidence, reviews
from web.auth import authenticate

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
ARCHIVE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox; base-uri 'none'"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_SIZE = 50  # queue items per page
STATUSES = ("conflicting", "stale_review", "auto", "confirmed", "corrected", "rejected")


def _csrf(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


def _check_csrf(request: Request, token: str) -> None:
    expected = request.session.get("csrf")
    if not expected or not secrets.compare_digest(expected, token):
        raise HTTPException(403, "invalid or missing CSRF token")


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.update(user=request.session.get("user"), csrf=_csrf(request))
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
    response.headers.update({"Content-Security-Policy": PAGE_CSP, **SECURITY_HEADERS})
    return response


def _signed_in(request: Request) -> str | None:
    return request.session.get("user")


def _to_login() -> RedirectResponse:
    return RedirectResponse("/review/login", status_code=303)


def _queue_url(filters: dict[str, str | None], page: int) -> str:
    query = {k: v for k, v in filters.items() if v} | ({"page": page} if page > 1 else {})
    return "/review" + (f"?{urlencode(query)}" if query else "")


def _queue_total(
    session: Any, program: str | None, indicator: str | None, status: str | None
) -> int:
    query = select(func.count()).select_from(ProgramIndicator)
    if program:
        query = query.where(ProgramIndicator.program_id == program)
    if indicator:
        query = query.where(ProgramIndicator.indicator == indicator)
    if status:
        query = query.where(ProgramIndicator.status == status)
    return session.scalar(query)


def _resident_for_line(session: Any, line: dict[str, Any]) -> Resident | None:
    """The stored resident behind one roster line of a value's evidence."""
    if line.get("resident_id") is not None:
        return session.get(Resident, line["resident_id"])
    return None


def _item_evidence(session: Any, store: CaptureStore, data: dict[str, Any]) -> dict[str, Any]:
    """The quote to highlight for an item page, and for roster values the lines counted."""
    finding = data.get("finding")
    found = data.get("evidence")
    if finding is not None:
        placed = evidence.quote_in_context(
            session,
            store,
            finding.capture_id,
            finding.quote,
            finding.start,
            finding.end,
            finding.extraction_id,
        )
        return {"placed": placed, "lines": [], "capture_id": finding.capture_id}
    if found and found.get("kind") == "roster" and found.get("residents"):
        lines = found["residents"]  # each with its resident_id (db/queries.py roster_evidence)
        first, resident = lines[0], _resident_for_line(session, lines[0])
        placed = evidence.quote_in_context(
            session,
            store,
            first["capture_id"],
            first["quote"],
            first["start"],
            first["end"],
            resident.extraction_id if resident else None,
        )
        return {"placed": placed, "lines": lines, "capture_id": first["capture_id"]}
    return {"placed": None, "lines": [], "capture_id": None}


def _capture_facts(session: Any, capture_id: int | None) -> dict[str, Any]:
    if capture_id is None:
        return {}
    capture = session.get(Capture, capture_id)
    page = session.get(Page, capture.page_id)
    kind = (capture.content_type or "").split(";")[0].strip().lower()
    return {"capture": capture, "url": page.url, "is_pdf": kind == "application/pdf"}


def _residents(session: Any, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The program's residents, each with the stored roster line it was read from (its quote,
    and its id to open it highlighted in the page)."""
    ids = [entry["resident_id"] for entry in listed if entry.get("resident_id") is not None]
    stored = {r.id: r for r in session.scalars(select(Resident).where(Resident.id.in_(ids)))}
    out = []
    for entry in listed:
        resident = stored.get(entry.get("resident_id"))
        out.append(
            {
                **entry,
                "quote": resident.quote if resident else None,
                "img": entry.get("school_type") in ("IMG_CARIBBEAN", "IMG_OTHER"),
            }
        )
    return out


def review_router(store: CaptureStore) -> APIRouter:
    router = APIRouter(prefix="/review", include_in_schema=False)

    @router.get("/login")
    def login_form(request: Request) -> HTMLResponse:
        return _render(request, "login.html")

    @router.post("/login")
    def login(
        request: Request, username: str = Form(), password: str = Form(), csrf: str = Form("")
    ) -> Response:
        _check_csrf(request, csrf)
        if not authenticate(request.app.state.db, username, password):
            return _render(request, "login.html", 401, error="Unknown user or wrong password.")
        request.session.clear()  # a new session on sign-in: no fixation
        request.session["user"] = username
        return RedirectResponse("/review", status_code=303)

    @router.post("/logout")
    def logout(request: Request, csrf: str = Form("")) -> Response:
        _check_csrf(request, csrf)
        request.session.clear()
        return _to_login()

    @router.get("")
    def queue_page(
        request: Request,
        program: str | None = None,
        indicator: str | None = None,
        status: str | None = None,
        page: int = Query(1, ge=1, le=1_000_000),
    ) -> Response:
        if not _signed_in(request):
            return _to_login()
        status = status if status in STATUSES else None
        filters = {"program": program or None, "indicator": indicator or None, "status": status}
        with request.app.state.db.session() as session:
            items = reviews.queue(
                session,
                filters["program"],
                filters["indicator"],
                limit=PAGE_SIZE + 1,
                offset=(page - 1) * PAGE_SIZE,
                status=status,
            )
            total = _queue_total(session, filters["program"], filters["indicator"], status)
            choices = {
                "programs": session.scalars(select(Program.id).order_by(Program.id)).all(),
                "indicators": session.scalars(
                    select(distinct(ProgramIndicator.indicator)).order_by(
                        ProgramIndicator.indicator
                    )
                ).all(),
                "statuses": STATUSES,
            }
        more = len(items) > PAGE_SIZE
        return _render(
            request,
            "queue.html",
            items=items[:PAGE_SIZE],
            filters=filters,
            choices=choices,
            page=page,
            first=(page - 1) * PAGE_SIZE + 1,
            total=total,
            previous_url=_queue_url(filters, page - 1) if page > 1 else None,
            next_url=_queue_url(filters, page + 1) if more else None,
        )

    def _item_page(
        request: Request, item_id: int, status: int = 200, error: str | None = None
    ) -> Response:
        with request.app.state.db.session() as session:
            try:
                data = reviews.item(session, store, item_id)
            except reviews.ReviewError as missing:
                raise HTTPException(404, str(missing)) from None
            shown = _item_evidence(session, store, data)
            facts = _capture_facts(session, shown["capture_id"])
            context = {**data, **facts, **shown, "error": error}
            return _render(request, "item.html", status, **context)

    @router.get("/items/{item_id}")
    def item_page(request: Request, item_id: int) -> Response:
        if not _signed_in(request):
            return _to_login()
        return _item_page(request, item_id)

    @router.post("/items/{item_id}")
    def decide(
        request: Request,
        item_id: int,
        action: str = Form(),
        value: str = Form(""),
        note: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        user = _signed_in(request)
        if not user:
            raise HTTPException(401, "sign in to review")
        _check_csrf(request, csrf)
        try:
            with request.app.state.db.session() as session:
                reviews.decide(session, item_id, user, action, value, note)
        except (reviews.ReviewError, VocabularyError) as bad:
            return _item_page(request, item_id, 422, str(bad))
        return RedirectResponse(f"/review/items/{item_id}", status_code=303)

    @router.get("/programs")
    def programs_page(request: Request) -> Response:
        if not _signed_in(request):
            return _to_login()
        with request.app.state.db.session() as session:
            programs = queries.program_summaries(session)
        return _render(request, "programs.html", programs=programs)

    @router.get("/programs/{program_id}")
    def program_page(request: Request, program_id: str) -> Response:
        if not _signed_in(request):
            return _to_login()
        with request.app.state.db.session() as session:
            try:
                program = queries.program_values(session, program_id)
            except queries.NotFound as missing:
                raise HTTPException(404, str(missing)) from None
            item_ids = dict(
                session.execute(
                    select(ProgramIndicator.indicator, ProgramIndicator.id).where(
                        ProgramIndicator.program_id == program_id
                    )
                ).all()
            )
            residents = _residents(session, program["residents"])
        return _render(
            request,
            "program.html",
            program=program,
            item_ids=item_ids,
            residents=residents,
            is_roster=_is_roster,
        )

    @router.get("/residents/{resident_id}")
    def resident_page(request: Request, resident_id: int) -> Response:
        if not _signed_in(request):
            return _to_login()
        with request.app.state.db.session() as session:
            resident = session.get(Resident, resident_id)
            if resident is None:
                raise HTTPException(404, f"no resident with id {resident_id}")
            placed = evidence.quote_in_context(
                session,
                store,
                resident.capture_id,
                resident.quote,
                resident.start,
                resident.end,
                resident.extraction_id,
            )
            facts = _capture_facts(session, resident.capture_id)
            return _render(request, "resident.html", resident=resident, placed=placed, **facts)

    @router.get("/captures/{capture_id}")
    def archived_page(request: Request, capture_id: int) -> Response:
        if not _signed_in(request):
            return _to_login()
        with request.app.state.db.session() as session:
            capture = session.get(Capture, capture_id)
            if capture is None or capture.body_sha256 is None:
                raise HTTPException(404, "no archived body for this capture")
            page = session.get(Page, capture.page_id)
            body = store.get(capture.body_sha256)
        if evidence.archived_kind(capture, body) == "text":
            try:
                document = document_from(body, capture.content_type, page.url)
                lines, problem = evidence.text_lines(document), None
            except Exception as error:  # a broken PDF is still an archived capture
                lines, problem = [], f"{type(error).__name__}: {error}"
            response = TEMPLATES.TemplateResponse(
                request,
                "archive_text.html",
                {"capture": capture, "url": page.url, "lines": lines, "problem": problem},
            )
        else:
            # nh3 drops scripts, event handlers and javascript: URLs; links lose their targets
            # so nothing on the archived page can send the reviewer anywhere.
            clean = nh3.clean(
                body.decode("utf-8", "replace"),
                url_schemes=set(),
                link_rel="noopener noreferrer nofollow",
            )
            response = HTMLResponse(clean)
        response.headers.update({"Content-Security-Policy": ARCHIVE_CSP, **SECURITY_HEADERS})
        return response

    @router.get("/captures/{capture_id}/original")
    def archived_original(request: Request, capture_id: int) -> Response:
        """The archived bytes as a download (never rendered by the browser)."""
        if not _signed_in(request):
            return _to_login()
        with request.app.state.db.session() as session:
            capture = session.get(Capture, capture_id)
            if capture is None or capture.body_sha256 is None:
                raise HTTPException(404, "no archived body for this capture")
            body = store.get(capture.body_sha256)
        suffix = "pdf" if body.startswith(b"%PDF-") else "bin"
        return Response(
            body,
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": f'attachment; filename="capture-{capture_id}.{suffix}"',
                "Content-Security-Policy": ARCHIVE_CSP,
                **SECURITY_HEADERS,
            },
        )

    return router


def _is_roster(indicator: str) -> bool:
    """Roster figures (and people.img_chief) are computed from the residents listed below."""
    return indicator.startswith("roster.") or indicator == "people.img_chief"
