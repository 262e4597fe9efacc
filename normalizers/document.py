"""Frozen inputs and outputs of the normalizers: a page's text with offsets, and findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Block:
    """One line of extracted text: a heading, paragraph, list item, or table row."""

    start: int
    end: int
    kind: str  # heading | text | item | row | nav
    locator: str  # CSS path of the element the text came from
    level: int = 0  # heading level 1-6; 0 for non-headings
    cells: tuple[str, ...] = ()  # table cells, for rows


@dataclass(frozen=True)
class Document:
    """A page's extracted text; every offset in a finding points into `text`."""

    url: str
    text: str
    blocks: tuple[Block, ...]
    title: str = ""
    text_version: str = ""

    def block_text(self, block: Block) -> str:
        return self.text[block.start : block.end]

    @cached_property
    def sentences(self) -> tuple[Any, ...]:
        """The page's sentences (normalizers/sentences.py), split once for every extractor."""
        from normalizers.sentences import split_sentences

        return tuple(split_sentences(self))

    def block_at(self, offset: int) -> Block | None:
        """The block containing OFFSET (blocks are sorted and disjoint)."""
        lo, hi = 0, len(self.blocks) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            block = self.blocks[mid]
            if offset < block.start:
                hi = mid - 1
            elif offset >= block.end:
                lo = mid + 1
            else:
                return block
        return None


@dataclass(frozen=True)
class Evidence:
    """An exact quote: document.text[start:end] == quote."""

    quote: str
    start: int
    end: int
    locator: str | None = None

    @classmethod
    def span(cls, doc: Document, start: int, end: int) -> Evidence:
        block = doc.block_at(start)
        return cls(doc.text[start:end], start, end, block.locator if block else None)

    def as_dict(self) -> dict[str, Any]:
        return {"quote": self.quote, "start": self.start, "end": self.end, "locator": self.locator}


@dataclass(frozen=True)
class Finding:
    """One statement of one indicator on one page."""

    indicator: str
    value: Any
    confidence: float
    evidence: Evidence
    extractor: str  # name@version
    strictness: str | None = None  # hard | preferred, for eligibility rules
    detail: dict[str, Any] | None = None


class FindingList(list):
    """The findings one extractor makes over one document, each quoting a span of it."""

    def __init__(self, doc: Document, extractor: str) -> None:
        super().__init__()
        self.doc = doc
        self.extractor = extractor

    def add(
        self,
        span: Any,
        indicator: str,
        value: Any,
        confidence: float,
        strictness: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record a finding quoting SPAN (anything with document .start and .end)."""
        evidence = Evidence.span(self.doc, span.start, span.end)
        self.append(
            Finding(indicator, value, confidence, evidence, self.extractor, strictness, detail)
        )


@dataclass(frozen=True)
class ResidentRecord:
    """A current resident as listed on a roster page."""

    name: str
    evidence: Evidence
    pgy: str | None = None
    class_year: int | None = None
    chief: bool = False
    school: str | None = None
    school_id: str | None = None
    school_type: str = "UNKNOWN"
    country: str | None = None

    @property
    def img(self) -> bool:
        return self.school_type in IMG_TYPES

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "pgy": self.pgy,
            "class_year": self.class_year,
            "chief": self.chief,
            "school": self.school,
            "school_id": self.school_id,
            "school_type": self.school_type,
            "country": self.country,
            "img": self.img,
        }


IMG_TYPES = frozenset({"IMG_CARIBBEAN", "IMG_OTHER"})


@dataclass(frozen=True)
class PageResult:
    """Everything the normalizers read from one page."""

    document: Document
    page_types: tuple[str, ...]
    findings: tuple[Finding, ...]
    residents: tuple[ResidentRecord, ...]
    version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
