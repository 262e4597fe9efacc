"""Sentences with offsets, and the text normalisation the pattern extractors match against."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from normalizers.document import Block, Document

# A sentence ends at . ! ? followed by space and an upper-case letter, digit or quote,
# unless the word before the period is a common abbreviation.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(A-Z0-9¿¡ÁÉÍÓÚÑ])")
ABBREVIATIONS = frozenset(
    {
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "jr",
        "sr",
        "vs",
        "e.g",
        "i.e",
        "u.s",
        "approx",
        "etc",
        "inc",
        "dept",
        "prof",
        "ft",
        "mt",
        "u.s.a",
        "d.o",
        "m.d",
    }
)

# Visa names are written many ways ("H1B", "H-1 B", "H1-B", "J1"); fold them for matching.
VISA_SPELLINGS = (
    (re.compile(r"\bh[\s-]?1[\s-]?b\b", re.I), "h-1b"),
    (re.compile(r"\bj[\s-]?1\b", re.I), "j-1"),
    (re.compile(r"\bf[\s-]?1\b", re.I), "f-1"),
    (re.compile(r"\bu\.\s?s\.(?=\s|$|,)", re.I), "us"),
    (re.compile(r"[’‘]"), "'"),
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # as in the document
    norm: str  # lower-cased, visa spellings folded; same length is NOT guaranteed
    block: Block

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")


def normalize(text: str) -> str:
    """Lower-case TEXT and fold the spellings patterns rely on."""
    out = text
    for pattern, replacement in VISA_SPELLINGS:
        out = pattern.sub(replacement, out)
    return out.lower()


def _split_points(text: str) -> Iterator[int]:
    for match in SENTENCE_END.finditer(text):
        before = text[: match.start()].rsplit(None, 1)
        word = before[-1].rstrip(".!?").lower() if before else ""
        if text[match.start() - 1] == "." and word in ABBREVIATIONS:
            continue
        yield match.start()


def sentences(doc: Document, skip_nav: bool = True) -> list[Sentence]:
    """Split every block of DOC into sentences, keeping document offsets."""
    out: list[Sentence] = []
    for block in doc.blocks:
        if skip_nav and block.kind == "nav":
            continue
        text = doc.text[block.start : block.end]
        start = 0
        for point in [*_split_points(text), len(text)]:
            piece = text[start:point]
            stripped = piece.strip()
            if stripped:
                offset = block.start + start + (len(piece) - len(piece.lstrip()))
                out.append(
                    Sentence(offset, offset + len(stripped), stripped, normalize(stripped), block)
                )
            start = point
    return out
