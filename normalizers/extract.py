"""One page in, everything the normalizers read out: the `extract` contract."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from normalizers.document import Document, Finding, PageResult
from normalizers.eligibility import EXTRACTOR as ELIGIBILITY
from normalizers.eligibility import extract_eligibility
from normalizers.page_types import EXTRACTOR as PAGE_TYPES
from normalizers.page_types import classify_page
from normalizers.roster import EXTRACTOR as ROSTER
from normalizers.roster import extract_residents
from normalizers.staleness import EXTRACTOR as STALENESS
from normalizers.staleness import extract_staleness
from normalizers.support import EXTRACTOR as SUPPORT
from normalizers.support import extract_support
from normalizers.text import TEXT_VERSION, html_to_document, pdf_to_document, text_to_document
from normalizers.visa import EXTRACTOR as VISA
from normalizers.visa import extract_visa

# Stored on every extraction: re-running `normalize` after any of these changes re-extracts.
VERSION = "+".join((TEXT_VERSION, PAGE_TYPES, VISA, ELIGIBILITY, SUPPORT, ROSTER, STALENESS))
HTML_TYPES = ("text/html", "application/xhtml+xml")
NUL = "\x00"


def document_from(body: bytes | str, content_type: str | None, url: str = "") -> Document:
    """Parse a body as HTML, plain text or PDF according to its content type."""
    kind = (content_type or "text/html").split(";")[0].strip().lower()
    if kind == "text/plain":
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        doc = text_to_document(text, url)
    elif kind == "application/pdf":
        doc = pdf_to_document(body if isinstance(body, bytes) else body.encode("latin-1"), url)
    else:
        doc = html_to_document(body, url)
    if NUL in doc.text:
        # No page means a NUL (and PostgreSQL cannot store one); HTML parsing already turns it
        # into U+FFFD, and one character for one keeps every offset.
        doc = replace(doc, text=doc.text.replace(NUL, "\ufffd"))
    return doc


def extract_page(doc: Document, as_of: date | None = None) -> PageResult:
    """Run every extractor over one document; AS_OF is the day it was fetched (staleness)."""
    findings: list[Finding] = [
        *extract_visa(doc),
        *extract_eligibility(doc, as_of),
        *extract_support(doc),
        *extract_staleness(doc, as_of),
    ]
    residents = extract_residents(doc, as_of)
    page_types = classify_page(doc, findings, residents)
    return PageResult(doc, tuple(page_types), tuple(findings), tuple(residents), VERSION)


def page_indicators(result: PageResult) -> dict[str, dict[str, Any]]:
    """Findings of one page folded per indicator: one value, its confidence, all evidence."""
    from normalizers.resolve import resolve_values  # resolve depends on nothing page-specific

    out: dict[str, dict[str, Any]] = {}
    for indicator, resolved in resolve_values(
        [(f.indicator, f.value, f.confidence, f) for f in result.findings]
    ).items():
        out[indicator] = {
            "value": resolved.value,
            "confidence": round(resolved.confidence, 2),
            "evidence": [
                {
                    "quote": f.evidence.quote,
                    "start": f.evidence.start,
                    "end": f.evidence.end,
                    **({"strictness": f.strictness} if f.strictness else {}),
                    **({"detail": f.detail} if f.detail else {}),
                }
                for f in resolved.sources
            ],
        }
        if resolved.conflicting:
            out[indicator]["conflicting_values"] = resolved.conflicting
    return out


def extract_contract(doc: Document, as_of: date | None = None) -> dict[str, Any]:
    """The JSON printed by `imgcrawl extract` (see README, 'The extract contract')."""
    result = extract_page(doc, as_of)
    return {
        "url": doc.url,
        "page_types": list(result.page_types),
        "indicators": page_indicators(result),
        "residents": [r.as_dict() for r in result.residents],
        "extractor_version": result.version,
    }
