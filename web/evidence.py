"""Evidence as a reviewer sees it: a stored quote inside its page's text, and archived bodies.

A finding's offsets point into the text its extraction read (a text stage version, `text@N`, and
the sha256 of that text, both stored on the extraction). The archive keeps only the body, so the
text is read again here, with today's text stage. `quote_in_context` never highlights a span
that is not the stored quote:

1. the offsets still point at the stored quote (same text, or text that did not move there):
   that span is highlighted;
2. else the quote is searched for in today's text (exactly, then with whitespace relaxed, as a
   newer text stage may wrap lines differently): the occurrence nearest the stored offset is
   highlighted and the page says the offsets were re-anchored, and why;
3. else nothing is highlighted and the page says that the stored quote does not match the
   archived page as read today.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from crawler.capture_store import CaptureStore
from db.models import Capture, Extraction, Page
from normalizers.document import Document
from normalizers.extract import HTML_TYPES, document_from
from normalizers.text import TEXT_VERSION

CONTEXT_CHARS = 400  # extracted text shown either side of the quote
TEXT_TYPES = ("text/plain",)


@dataclass(frozen=True)
class QuoteInContext:
    """A stored quote placed in its page's text as read today."""

    quote: str  # the stored quote, always
    before: str = ""
    highlighted: str = ""  # the span shown marked: equal to `quote`, up to whitespace
    after: str = ""
    state: str = "exact"  # exact | relocated | missing | no_body
    note: str | None = None  # what the reviewer must know when the state is not exact
    extracted_with: str | None = None  # text stage the offsets were computed with
    read_with: str = TEXT_VERSION  # text stage used to show the page now


def text_version(extraction_version: str | None) -> str | None:
    """`text@2` out of a combined extractor version like `text@2+page_types@2+...`."""
    if not extraction_version:
        return None
    return next((p for p in extraction_version.split("+") if p.startswith("text@")), None)


def _relaxed(quote: str) -> re.Pattern[str] | None:
    words = quote.split()
    return re.compile(r"\s+".join(map(re.escape, words))) if words else None


def _nearest(matches: list[tuple[int, int]], start: int) -> tuple[int, int]:
    return min(matches, key=lambda span: abs(span[0] - start))


def place_quote(
    text: str,
    quote: str,
    start: int | None,
    end: int | None,
    extracted_with: str | None = None,
    text_sha256: str | None = None,
) -> QuoteInContext:
    """QUOTE, stored with offsets START:END into the text of EXTRACTED_WITH, placed in TEXT."""
    same_text = text_sha256 is not None and (
        hashlib.sha256(text.encode("utf-8")).hexdigest() == text_sha256
    )
    versions = (
        f"it was extracted with {extracted_with}, the page is read with {TEXT_VERSION} now"
        if extracted_with and extracted_with != TEXT_VERSION
        else "the page's text as read now differs from the text it was extracted from"
    )

    def shown(span: tuple[int, int], state: str, note: str | None) -> QuoteInContext:
        a, b = span
        return QuoteInContext(
            quote=quote,
            before=text[max(0, a - CONTEXT_CHARS) : a],
            highlighted=text[a:b],
            after=text[b : b + CONTEXT_CHARS],
            state=state,
            note=note,
            extracted_with=extracted_with,
        )

    if start is not None and end is not None and 0 <= start <= end <= len(text):
        if text[start:end] == quote:
            return shown((start, end), "exact", None)
    if not quote:
        return QuoteInContext(quote, state="missing", note="no quote was stored for this value")
    exact = [(m.start(), m.end()) for m in re.finditer(re.escape(quote), text)]
    pattern = _relaxed(quote)
    loose = [(m.start(), m.end()) for m in pattern.finditer(text)] if pattern and not exact else []
    found = exact or loose
    if found:
        where = _nearest(found, start or 0)
        also = ""
        if len(found) > 1:
            also = f"; it appears {len(found)} times, the one nearest its old place is marked"
        spacing = " (line breaks and spaces differ)" if not exact else ""
        note = (
            "The stored offsets no longer point at the quote (" + versions + "): the quote was "
            f"found elsewhere in the page{spacing} and is marked there{also}."
        )
        return shown(where, "relocated", note)
    reason = "" if same_text else f" ({versions})"
    return QuoteInContext(
        quote=quote,
        state="missing",
        note=(
            "The stored quote does not match the archived page's text" + reason + ": "
            "nothing is highlighted. The value rests on the quote as stored, shown above."
        ),
        extracted_with=extracted_with,
    )


def read_capture(store: CaptureStore, capture: Capture, url: str) -> Document | None:
    """The archived body of CAPTURE as a document (None if no body is archived)."""
    if capture.body_sha256 is None or capture.body_sha256 not in store:
        return None
    return document_from(store.get(capture.body_sha256), capture.content_type, url)


def quote_in_context(
    session: Any,
    store: CaptureStore,
    capture_id: int,
    quote: str,
    start: int | None,
    end: int | None,
    extraction_id: int | None = None,
) -> QuoteInContext:
    """A stored quote of capture CAPTURE_ID in its page's text (see the module docstring)."""
    capture = session.get(Capture, capture_id)
    page = session.get(Page, capture.page_id) if capture else None
    extraction = session.get(Extraction, extraction_id) if extraction_id is not None else None
    extracted_with = text_version(extraction.version) if extraction else None
    document = read_capture(store, capture, page.url) if capture and page else None
    if document is None:
        return QuoteInContext(
            quote,
            state="no_body",
            note="The archived page is not available: the value rests on the stored quote.",
            extracted_with=extracted_with,
        )
    return place_quote(
        document.text,
        quote,
        start,
        end,
        extracted_with,
        extraction.text_sha256 if extraction else None,
    )


def archived_kind(capture: Capture, body: bytes) -> str:
    """How an archived body is shown: `html` (sanitised) or `text` (extracted, escaped)."""
    kind = (capture.content_type or "").split(";")[0].strip().lower()
    if body.lstrip()[:5] == b"%PDF-" or kind == "application/pdf":
        return "text"
    if kind in TEXT_TYPES:
        return "text"
    if kind in HTML_TYPES or not kind:
        return "html"
    return "text"


def text_lines(document: Document) -> list[dict[str, str]]:
    """The document's blocks with their locators (a PDF's are `page:N line:M`)."""
    return [
        {"locator": block.locator, "text": document.block_text(block)} for block in document.blocks
    ]
