"""HTML (or plain text) -> text with character offsets, one line per block element.

Deterministic for a given input and TEXT_VERSION: finding offsets stored in the database are
offsets into this text, so any change to the output must bump the version.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from pypdf import PdfReader

from normalizers.document import Block, Document

TEXT_VERSION = "text@1"

# Never visible to a reader, or not text at all.
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "head",
        "iframe",
        "object",
        "canvas",
        "select",
        "button",
        "input",
        "textarea",
        "form_hidden",
    }
)
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "nav",
        "aside",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "blockquote",
        "figure",
        "figcaption",
        "address",
        "details",
        "summary",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "hr",
        "body",
        "html",
        "form",
        "fieldset",
        "legend",
    }
)
HEADING_LEVEL = {f"h{n}": n for n in range(1, 7)}
ITEM_TAGS = frozenset({"li", "dt", "dd"})
WHITESPACE = re.compile(r"\s+")
CELL_SEPARATOR = " | "


class _TextBuilder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.blocks: list[Block] = []
        self.length = 0
        self.pending: list[str] = []

    def add_line(
        self, text: str, kind: str, locator: str, level: int = 0, cells: tuple[str, ...] = ()
    ) -> None:
        text = WHITESPACE.sub(" ", text).strip()
        if not text:
            return
        if self.parts:
            self.parts.append("\n")
            self.length += 1
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        self.blocks.append(Block(start, self.length, kind, locator, level, cells))

    def flush(self, kind: str, locator: str, level: int = 0) -> None:
        if self.pending:
            self.add_line("".join(self.pending), kind, locator, level)
            self.pending = []


def _kind(tag: str) -> tuple[str, int]:
    if tag in HEADING_LEVEL:
        return "heading", HEADING_LEVEL[tag]
    if tag in ITEM_TAGS:
        return "item", 0
    return "text", 0


def _walk(node: Tag, path: str, out: _TextBuilder, kind: str, level: int) -> None:
    counts: dict[str, int] = {}
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            out.pending.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        counts[name] = counts.get(name, 0) + 1
        if name in SKIP_TAGS or child.get("hidden") is not None:
            continue
        child_path = f"{path} > {name}:nth-of-type({counts[name]})"
        if name == "br":
            out.flush(kind, path, level)
        elif name == "tr":
            out.flush(kind, path, level)
            cells = tuple(
                WHITESPACE.sub(" ", cell.get_text(" ")).strip()
                for cell in child.find_all(["td", "th"], recursive=False)
            )
            if any(cells):
                out.add_line(CELL_SEPARATOR.join(cells), "row", child_path, cells=cells)
        elif name in BLOCK_TAGS:
            out.flush(kind, path, level)
            # Navigation menus are kept (a reader sees them) but marked so extractors skip them.
            in_nav = kind == "nav" or name == "nav"
            child_kind, child_level = ("nav", 0) if in_nav else _kind(name)
            _walk(child, child_path, out, child_kind, child_level)
            out.flush(child_kind, child_path, child_level)
        else:
            _walk(child, path, out, kind, level)


def html_to_document(html: str | bytes, url: str = "") -> Document:
    """Parse HTML into a Document: visible text, one block per line, with CSS-path locators."""
    soup = BeautifulSoup(html, "lxml")
    title = WHITESPACE.sub(" ", soup.title.get_text()).strip() if soup.title else ""
    out = _TextBuilder()
    root = soup.body or soup
    _walk(root, "body", out, "text", 0)
    out.flush("text", "body")
    return Document(url, "".join(out.parts), tuple(out.blocks), title, TEXT_VERSION)


def lines_to_document(lines: Iterable[tuple[str, str]], url: str = "") -> Document:
    """Plain lines (with a locator each) -> a Document; short title-like lines are headings."""
    out = _TextBuilder()
    for line, locator in lines:
        stripped = line.strip()
        if not stripped:
            continue
        # Markdown-style '#' headings, or short lines that do not end like a sentence.
        if stripped.startswith("#"):
            out.add_line(stripped.lstrip("#"), "heading", locator, 2)
        elif (
            len(stripped) <= 60
            and not stripped.endswith((".", ":", ",", ";", "?"))
            and stripped[0].isupper()
            and not any(c in stripped for c in ",|–—")
        ):
            out.add_line(stripped, "heading", locator, 3)
        elif stripped.startswith(("- ", "* ", "• ")):
            out.add_line(stripped[2:], "item", locator)
        elif CELL_SEPARATOR in stripped:
            cells = tuple(c.strip() for c in stripped.split("|"))
            out.add_line(stripped, "row", locator, cells=cells)
        else:
            out.add_line(stripped, "text", locator)
    text = "".join(out.parts)
    title = text[out.blocks[0].start : out.blocks[0].end] if out.blocks else ""
    return Document(url, text, tuple(out.blocks), title, TEXT_VERSION)


def text_to_document(text: str, url: str = "") -> Document:
    """A plain-text page: each non-empty line is a block (locator `line:N`)."""
    return lines_to_document(
        ((line, f"line:{number}") for number, line in enumerate(text.splitlines(), start=1)), url
    )


def pdf_to_document(body: bytes, url: str = "") -> Document:
    """A PDF's text, page by page; locators name the page (`page:2 line:5`) for the evidence."""
    reader = PdfReader(io.BytesIO(body))
    lines = (
        (line, f"page:{page_number} line:{line_number}")
        for page_number, page in enumerate(reader.pages, start=1)
        for line_number, line in enumerate((page.extract_text() or "").splitlines(), start=1)
    )
    return lines_to_document(lines, url)
