"""The review UI under /review: server-rendered (Jinja2, autoescaped), no JavaScript.

Crawled content is untrusted everywhere it is shown: templates escape it, every page is served
with a Content-Security-Policy that allows no script at all, and the archived page is
sanitised with nh3 and shown under a sandboxing CSP that allows no request of any kind.
Every form carries the session's CSRF token; every write needs a signed-in reviewer.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import nh3
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from crawler.capture_store import CaptureStore
from db import queries
from db.models import Capture
from normalizers.vocabulary import VocabularyError
from web import reviews
from web.auth import authenticate

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
ARCHIVE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox; base-uri 'none'"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


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
        request: Request, program: str | None = None, indicator: str | None = None
    ) -> Response:
        if not _signed_in(request):
            return _to_login()
        with request.app.state.db.session() as session:
            items = reviews.queue(session, program or None, indicator or None)
        return _render(request, "queue.html", items=items, program=program, indicator=indicator)

    def _item_page(
        request: Request, item_id: int, status: int = 200, error: str | None = None
    ) -> Response:
        with request.app.state.db.session() as session:
            try:
                data = reviews.item(session, store, item_id)
            except reviews.ReviewError as missing:
                raise HTTPException(404, str(missing)) from None
            return _render(request, "item.html", status, error=error, **data)

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
        return _render(request, "program.html", program=program)

    @router.get("/captures/{capture_id}")
    def archived_page(request: Request, capture_id: int) -> Response:
        if not _signed_in(request):
            return _to_login()
        with request.app.state.db.session() as session:
            capture = session.get(Capture, capture_id)
            if capture is None or capture.body_sha256 is None:
                raise HTTPException(404, "no archived body for this capture")
            body = store.get(capture.body_sha256).decode("utf-8", "replace")
        # nh3 drops scripts, event handlers and javascript: URLs; links lose their targets so
        # nothing on the archived page can send the reviewer anywhere.
        clean = nh3.clean(body, url_schemes=set(), link_rel="noopener noreferrer nofollow")
        response = HTMLResponse(clean)
        response.headers.update({"Content-Security-Policy": ARCHIVE_CSP, **SECURITY_HEADERS})
        return response

    return router
