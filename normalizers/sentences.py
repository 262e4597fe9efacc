"""Sentences with offsets, and the text normalisation the pattern extractors match against."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

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
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # as in the document
    norm: str  # lower-cased, visa spellings folded; same length is NOT guaranteed
    block: Block
    # What the sentence answers, normalised: its definition term (dt), its table's header row,
    # the FAQ question before it, and the nearest heading. "Step 2 CK" / "At least 230." only
    # states a minimum score when read with its label.
    label: str = ""
    heading: str = ""
    label_start: int | None = None  # where an adjacent label begins, to quote both

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")

    @cached_property
    def in_context(self) -> str:
        """The sentence read with its label and heading: "heading : label : sentence"."""
        return " : ".join(part for part in (self.heading, self.label, self.norm) if part)

    @property
    def labelled_span(self) -> Span:
        """The sentence with an adjacent label (a dt, a question, a heading) for quoting."""
        return Span(self.label_start if self.label_start is not None else self.start, self.end)


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


TABLE_PATH = re.compile(r"^(.*> table:nth-of-type\(\d+\))")


def _table(block: Block) -> str | None:
    match = TABLE_PATH.match(block.locator) if block.kind == "row" else None
    return match.group(1) if match else None


def _is_term(block: Block) -> bool:
    return block.locator.rsplit(" > ", 1)[-1].startswith("dt:")


def _is_definition(block: Block) -> bool:
    return block.locator.rsplit(" > ", 1)[-1].startswith("dd:")


def _is_card_title(doc: Document, title: Block, value: Block) -> bool:
    """A short line without a full stop followed by a short line: a title and its value."""
    if title.kind not in ("text", "item") or value.kind not in ("text", "item"):
        return False
    head, body = doc.block_text(title), doc.block_text(value)
    return (
        len(head.split()) <= 7
        and not head.rstrip().endswith((".", "!", "?", ":"))
        and len(body.split()) <= 6
    )


def sentences(doc: Document) -> list[Sentence]:
    """The sentences of DOC outside navigation (computed once per document)."""
    return list(doc.sentences)


def split_sentences(doc: Document, skip_nav: bool = True) -> list[Sentence]:
    """Split every block of DOC into sentences, keeping document offsets and their labels."""
    out: list[Sentence] = []
    heading = ""
    previous: Block | None = None  # the last block read (not navigation)
    header_rows: dict[str, str] = {}  # table path -> its first row, normalised
    for block in doc.blocks:
        if skip_nav and block.kind == "nav":
            continue
        text = doc.text[block.start : block.end]
        label, label_start = "", None
        table = _table(block)
        if block.kind == "heading":
            heading = normalize(text)
        elif table is not None:
            label = header_rows.setdefault(table, normalize(text))
            if label == normalize(text):
                label = ""  # the header row itself
        elif _is_definition(block) and previous is not None and _is_term(previous):
            label, label_start = normalize(doc.block_text(previous)), previous.start
        elif previous is not None and _is_card_title(doc, previous, block):
            # "Minimum USMLE Step 2 CK" / "215": a card's title over its short value.
            label, label_start = normalize(doc.block_text(previous)), previous.start
        elif previous is not None and previous.kind == "heading":
            label_start = previous.start  # a card's title: quoted with its first sentence
        # A heading labels the lines of its list or table, and the first paragraph after it
        # (a card's title); a heading twenty paragraphs up says little about this sentence.
        heading_applies = block.kind in ("item", "row") or (
            previous is not None and previous.kind == "heading" and block.kind != "heading"
        )
        start = 0
        for point in [*_split_points(text), len(text)]:
            piece = text[start:point]
            stripped = piece.strip()
            start, offset = point, block.start + start + (len(piece) - len(piece.lstrip()))
            if not stripped:
                continue
            asked = out[-1] if out and out[-1].is_question else None
            if asked is not None and not label and not stripped.endswith("?"):
                # An FAQ answer: the question is its subject ("Do you sponsor H-1B?" "No.").
                label, label_start = asked.norm, asked.start
            out.append(
                Sentence(
                    offset,
                    offset + len(stripped),
                    stripped,
                    normalize(stripped),
                    block,
                    label,
                    heading if heading_applies and heading != label else "",
                    label_start,
                )
            )
            label, label_start = "", None  # only the first sentence answers the label
        previous = block
    return out
