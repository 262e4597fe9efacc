"""Which pages a program's current values are read from, and which body of each.

A page counts until a cycle drops it, and it is dropped only for one of three reasons:
- it is gone: the site answered 404 or 410;
- it moved off the program's site: a permanent redirect (301/308) to another domain, whose
  statements are never the program's (a temporary one, say a login bounce, is a failure);
- it is no longer linked: a cycle reached the site and no page it read (or still holds)
  links to it any more.
A page that failed transiently (timeout, 5xx, connection refused) or was simply not reached
(the site was down, the page linking to it failed) keeps counting with its last good body, so a
bad night on the program's side never wipes its values. A dropped page counts again as soon as
a cycle fetches it successfully.

Each counting page is read through its latest good body: a 304 or a not-due capture stands for
the body before it; a body that could not be extracted leaves the one before it in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.offsite import OFFSITE_REDIRECT
from db.models import Capture, Extraction, Page
from normalizers import extract

GONE_STATUSES = (404, 410)
PERMANENT_REDIRECTS = (301, 308)
REDIRECTED_FROM = "X-Imgcrawl-Redirected-From"  # header the spider stores on redirected pages


@dataclass
class Membership:
    """What one run told us about a program's pages."""

    reached: bool = False  # at least one page read successfully in the run
    crawled: bool = False  # the run asked for the program at all
    dropped: dict[str, list[str]] = field(default_factory=dict)  # reason -> URLs
    restored: list[str] = field(default_factory=list)


def counting_pages(session: Session, program_id: str) -> list[Page]:
    """The program's pages that count towards its values."""
    return list(
        session.scalars(
            select(Page)
            .where(Page.program_id == program_id, Page.dropped_run_id.is_(None))
            .order_by(Page.id)
        )
    )


def latest_bodies(session: Session, page_ids: Iterable[int]) -> dict[int, Capture]:
    """Each page's latest capture that holds a body (what a 304 or not-due capture stands for)."""
    page_ids = list(page_ids)
    if not page_ids:
        return {}
    latest = (
        select(func.max(Capture.id).label("id"))
        .where(
            Capture.page_id.in_(page_ids),
            Capture.body_sha256.is_not(None),
            Capture.error.is_(None),
        )
        .group_by(Capture.page_id)
    )
    return {c.page_id: c for c in session.scalars(select(Capture).where(Capture.id.in_(latest)))}


def page_extractions(session: Session, pages: list[Page]) -> dict[int, Extraction]:
    """page id -> the extraction (at the current version) its values are read from."""
    bodies = latest_bodies(session, (p.id for p in pages))
    if not bodies:
        return {}
    rows = session.execute(
        select(Extraction, Capture.page_id, Capture.body_sha256)
        .join(Capture, Capture.id == Extraction.capture_id)
        .where(Capture.page_id.in_(list(bodies)), Extraction.version == extract.VERSION)
        .order_by(Capture.id)
    ).all()
    by_body: dict[tuple[int, str], Extraction] = {}
    last_good: dict[int, Extraction] = {}
    for extraction, page_id, sha256 in rows:
        by_body[(page_id, sha256)] = extraction
        if extraction.error is None:
            last_good[page_id] = extraction
    out = {}
    for page_id, capture in bodies.items():
        extraction = by_body.get((page_id, capture.body_sha256))
        if extraction is None or extraction.error is not None:
            # Its newest body could not be read (yet): the last one we could read holds.
            extraction = last_good.get(page_id)
        if extraction is not None:
            out[page_id] = extraction
    return out


def current_extractions(session: Session, program_id: str) -> list[Extraction]:
    """The extraction behind each of the program's counting pages, in page order."""
    pages = counting_pages(session, program_id)
    extractions = page_extractions(session, pages)
    return [extractions[p.id] for p in pages if p.id in extractions]


def update_membership(session: Session, program_id: str, run_id: int) -> Membership:
    """Drop the pages run RUN_ID showed gone or unlinked; restore dropped pages it read."""
    result = Membership()
    pages = {p.id: p for p in session.scalars(select(Page).where(Page.program_id == program_id))}
    last_in_run: dict[int, Capture] = {}
    for capture in session.scalars(
        select(Capture)
        .where(Capture.page_id.in_(list(pages)), Capture.run_id == run_id)
        .order_by(Capture.id)
    ):
        last_in_run[capture.page_id] = capture
    if not last_in_run:
        return result  # the program was not part of this run
    result.crawled = True
    read_ok = {page_id for page_id, c in last_in_run.items() if c.error is None}
    result.reached = bool(read_ok)
    for page_id, capture in last_in_run.items():
        page = pages[page_id]
        if capture.http_status in GONE_STATUSES:
            if page.dropped_run_id is None:
                _drop(page, run_id, "gone", result)
        elif _moved_offsite(capture):
            if page.dropped_run_id is None:
                _drop(page, run_id, "moved_offsite", result)
        elif capture.error is None and page.dropped_run_id is not None:
            page.dropped_run_id = page.dropped_reason = None
            result.restored.append(page.url)
    if not result.reached:
        return result  # nothing read: every page not reached keeps its last good body
    # Pages the run did not ask for: still linked from a page we hold, or left behind.
    holding = [p for p in pages.values() if p.dropped_run_id is None]
    links = {p.id: set(e.links or ()) for p, e in _with_extractions(session, holding)}
    unvisited = {p.id for p in holding if p.id not in last_in_run}
    alive = {p.id for p in holding if p.id in last_in_run}
    aliases = {page_id: _aliases(session, pages[page_id]) for page_id in unvisited}
    kept: set[int] = set()
    grew = True
    while grew:  # a page reached only through a page that was not reached is not reached either
        grew = False
        linked = set().union(*(links.get(q, set()) for q in alive | kept))
        for page_id in unvisited - kept:
            if aliases[page_id] & linked:
                kept.add(page_id)
                grew = True
    for page_id in unvisited - kept:
        _drop(pages[page_id], run_id, "unlinked", result)
    return result


def _moved_offsite(capture: Capture) -> bool:
    return capture.http_status in PERMANENT_REDIRECTS and (capture.error or "").startswith(
        OFFSITE_REDIRECT
    )


def _drop(page: Page, run_id: int, reason: str, result: Membership) -> None:
    page.dropped_run_id, page.dropped_reason = run_id, reason
    result.dropped.setdefault(reason, []).append(page.url)


def _with_extractions(session: Session, pages: list[Page]) -> list[tuple[Page, Extraction]]:
    """Pages with the extraction of their latest body at any version (links do not depend on
    the extractor version)."""
    bodies = latest_bodies(session, (p.id for p in pages))
    if not bodies:
        return []
    found: dict[tuple[int, str], Extraction] = {}
    for extraction, page_id, sha256 in session.execute(
        select(Extraction, Capture.page_id, Capture.body_sha256)
        .join(Capture, Capture.id == Extraction.capture_id)
        .where(Capture.page_id.in_(list(bodies)))
        .order_by(Extraction.id)
    ):
        if extraction.links is not None:  # None: extracted before links were recorded
            found[(page_id, sha256)] = extraction
    by_id = {p.id: p for p in pages}
    return [
        (by_id[page_id], found[(page_id, c.body_sha256)])
        for page_id, c in bodies.items()
        if (page_id, c.body_sha256) in found
    ]


def _aliases(session: Session, page: Page) -> set[str]:
    """The URLs a link to PAGE may carry: its own, and those that redirected to it."""
    from crawler.links import canonical

    out = {page.url}
    for headers in session.scalars(select(Capture.headers).where(Capture.page_id == page.id)):
        out.update(canonical(u) for u in (headers or {}).get(REDIRECTED_FROM) or ())
    return out
