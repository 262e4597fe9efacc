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

TEXT_VERSION = "text@2"

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
# Site chrome: menus, banners, footers, sidebars. Kept (a reader sees them) but marked `nav` so
# extractors skip them: "Visa | Eligibility | Wellness" in a footer offers nothing.
CHROME_TAGS = frozenset({"nav", "footer", "aside"})
CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "menubar", "menu"})
CHROME_NAMES = frozenset(
    {"nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "footer", "sidebar"}
)
CLASS_WORD = re.compile(r"[a-z]+")
# A line that is almost all link text with several links is a menu ("Home · Visa · FAQ").
LINK_LINE_MIN_LINKS = 2
LINK_LINE_SHARE = 0.85
MENU_ITEM_LETTERS = 30  # letters per link, on average, in a menu ("Residents & Fellows")
ITEM_TAGS = frozenset({"li", "dt", "dd"})
WHITESPACE = re.compile(r"\s+")
CELL_SEPARATOR = " | "
FIELD_SEPARATOR = " · "


class _TextBuilder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.blocks: list[Block] = []
        self.length = 0
        self.pending: list[str] = []
        self.links = 0  # links in the pending line, and how many of its letters they hold
        self.link_letters = 0

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
            text = "".join(self.pending)
            letters = _letters(text)
            # Menus are short links; a grid of linked cards with sentences in them is content.
            menu = (
                self.links >= LINK_LINE_MIN_LINKS
                and self.link_letters >= LINK_LINE_SHARE * letters
                and self.link_letters <= MENU_ITEM_LETTERS * self.links
            )
            skip_link = self.links == 1 and text.strip().lower().startswith("skip to")
            if kind != "heading" and (menu or skip_link):
                kind = "nav"
            self.add_line(text, kind, locator, level)
            self.pending = []
        self.links = self.link_letters = 0


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


LAYOUT_CONTENT = frozenset(
    {"p", "div", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "form"}
)


def _is_layout_row(row: Tag) -> bool:
    """A row whose cells hold paragraphs, lists, headings or tables of their own."""
    return any(
        isinstance(node, Tag) and node.name in LAYOUT_CONTENT
        for cell in row.find_all(["td", "th"], recursive=False)
        for node in cell.descendants
    )


def _tab_title(tag: Tag) -> str | None:
    """The title of the tab that labels a tab panel (role=tabpanel, aria-labelledby)."""
    if (tag.get("role") or "").lower() != "tabpanel" or not tag.get("aria-labelledby"):
        return None
    root = next((p for p in tag.parents if p.name == "[document]"), None)
    title = root.find(id=tag["aria-labelledby"].split()[0]) if root is not None else None
    return WHITESPACE.sub(" ", title.get_text(" ")).strip() or None if title is not None else None


def _is_panel_title(tag: Tag) -> bool:
    """A button that opens a panel of content (accordion, tab), not a form control."""
    if tag.name.lower() != "button":
        return False
    return any(
        tag.get(a) is not None for a in ("aria-controls", "aria-expanded", "data-target")
    ) or (tag.get("role") == "tab")


def _is_chrome(tag: Tag) -> bool:
    """Menus, site banners, footers and sidebars, by element, ARIA role, or class/id words."""
    name = tag.name.lower()
    if name in CHROME_TAGS:
        return True
    if name == "header":
        # A page-wide banner is chrome; an article's own header holds its title and intro.
        return tag.find_parent(["main", "article"]) is None
    if (tag.get("role") or "").lower() in CHROME_ROLES:
        return True
    names = " ".join([*(tag.get("class") or []), tag.get("id") or ""]).lower()
    if not any(word in CHROME_NAMES for word in CLASS_WORD.findall(names)):
        return False
    # "layout--sidebar" may wrap the whole page: a region holding the main heading or the main
    # content is not chrome, whatever its class says.
    return tag.find(["main", "article", "h1"]) is None


def _kind(tag: str) -> tuple[str, int]:
    if tag in HEADING_LEVEL:
        return "heading", HEADING_LEVEL[tag]
    if tag in ITEM_TAGS:
        return "item", 0
    return "text", 0


def _separate(out: _TextBuilder, previous: object) -> None:
    """Two inline elements side by side with no space between ("<b>Ana Ruiz</b><span>PGY-2
    </span>") are separate fields a stylesheet sets apart; keep them apart in the text too."""
    if isinstance(previous, Tag) and out.pending and not out.pending[-1][-1:].isspace():
        out.pending.append(FIELD_SEPARATOR)


def _walk(node: Tag, path: str, out: _TextBuilder, kind: str, level: int) -> None:
    counts: dict[str, int] = {}
    previous: object = None  # the sibling before: text, or an inline element
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            out.pending.append(str(child))
            previous = child
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        counts[name] = counts.get(name, 0) + 1
        # Hidden panels (accordions, tabs) are kept: a reader opens them to read what they say.
        if name in SKIP_TAGS and not _is_panel_title(child):
            continue
        child_path = f"{path} > {name}:nth-of-type({counts[name]})"
        if name == "br":
            out.flush(kind, path, level)
        elif name == "tr" and _is_layout_row(child):
            # A page laid out with a table: its cells are regions of the page, not data.
            out.flush(kind, path, level)
            _walk(child, child_path, out, kind, level)
            out.flush(kind, child_path, level)
        elif name == "tr":
            out.flush(kind, path, level)
            cells_tags = child.find_all(["td", "th"], recursive=False)
            cells = tuple(WHITESPACE.sub(" ", cell.get_text(" ")).strip() for cell in cells_tags)
            links = [a for cell in cells_tags for a in cell.find_all("a")]
            link_letters = sum(_letters(a.get_text()) for a in links)
            menu = len(links) >= LINK_LINE_MIN_LINKS and link_letters >= LINK_LINE_SHARE * sum(
                map(_letters, cells)
            )
            if any(cells):
                row_kind = "nav" if kind == "nav" or menu else "row"
                out.add_line(CELL_SEPARATOR.join(cells), row_kind, child_path, cells=cells)
        elif name == "button":  # an accordion's or a tab's title: the heading of its panel
            out.flush(kind, path, level)
            _walk(child, child_path, out, kind, level)
            out.flush("nav" if kind == "nav" else "heading", child_path, 4)
        elif name in BLOCK_TAGS:
            out.flush(kind, path, level)
            in_nav = kind == "nav" or _is_chrome(child)
            tab = _tab_title(child)
            if tab and not in_nav:
                # A tab panel is read under its tab's title ("PGY-2"), as a reader opening it.
                out.add_line(tab, "heading", child_path, 4)
            child_kind, child_level = ("nav", 0) if in_nav else _kind(name)
            _walk(child, child_path, out, child_kind, child_level)
            out.flush(child_kind, child_path, child_level)
        elif name == "a":
            _separate(out, previous)
            before = len(out.pending)
            _walk(child, path, out, kind, level)
            out.links += 1
            out.link_letters += sum(map(_letters, out.pending[before:]))
        else:
            _separate(out, previous)
            _walk(child, path, out, kind, level)
        previous = child


def html_to_document(html: str | bytes, url: str = "") -> Document:
    """Parse HTML into a Document: visible text, one block per line, with CSS-path locators."""
    soup = BeautifulSoup(html, "lxml")
    title = WHITESPACE.sub(" ", soup.title.get_text()).strip() if soup.title else ""
    out = _TextBuilder()
    root = soup.body or soup
    _walk(root, "body", out, "text", 0)
    out.flush("text", "body")
    return Document(url, "".join(out.parts), tuple(out.blocks), title, TEXT_VERSION)


# A hard-wrapped line (plain text, PDFs) goes on in the next line: it stops mid-sentence and
# the next line starts in lower case, or it ends on a lower-case word. Short lines never wrap
# (names, titles), so "Ana Ruiz, MD" and a school on the next line stay apart.
WRAPPED_MIN_LENGTH = 30
SENTENCE_END_CHARS = (".", "!", "?", ":", ";")
LOWER_WORD_END = re.compile(r"(?:\b[a-z][a-z'-]*|,)$")
# No title ends on "the", "of", "and": such a line was cut mid-sentence.
FUNCTION_WORD_END = re.compile(
    r"\b(?:the|of|and|or|a|an|to|for|from|with|in|on|by|at|not|no|do|does|is|are|will|can|we)$",
    re.I,
)


def _continues(previous: str, line: str) -> bool:
    if len(previous) < WRAPPED_MIN_LENGTH or previous.endswith(SENTENCE_END_CHARS):
        return False
    if CELL_SEPARATOR in previous or CELL_SEPARATOR in line:
        return False
    return line[0].islower() or bool(LOWER_WORD_END.search(previous))


# Columns of a fixed-width plain-text table are set apart by runs of spaces; a deeply indented
# line under such a row continues its last cell ("University of Port Harcourt, College of" /
# "                 Health Sciences (Nigeria)").
COLUMN_GAP = re.compile(r"\s{3,}")
CONTINUATION_INDENT = 10


def lines_to_document(lines: Iterable[tuple[str, str]], url: str = "") -> Document:
    """Plain lines (with a locator each) -> a Document.

    Wrapped lines are joined into one block (its locator is its first line's); short title-like
    lines are headings; '- ' lines are items; 'a | b' lines and fixed-width columns are table rows.
    """
    out = _TextBuilder()
    open_kind: str | None = None  # the kind of the paragraph or row being built, if any
    open_lines: list[str] = []
    open_cells: list[str] = []
    open_locator = ""

    def close() -> None:
        nonlocal open_kind, open_lines, open_cells
        if open_kind == "row":
            out.add_line(
                CELL_SEPARATOR.join(open_cells), "row", open_locator, cells=tuple(open_cells)
            )
        elif open_kind:
            out.add_line(" ".join(open_lines), open_kind, open_locator)
        open_kind, open_lines, open_cells = None, [], []

    for line, locator in lines:
        stripped = line.strip()
        if not stripped:
            close()  # a blank line ends a paragraph
            continue
        indent = len(line) - len(line.lstrip())
        columns = COLUMN_GAP.split(stripped)
        if open_kind == "row" and indent >= CONTINUATION_INDENT and len(columns) == 1:
            open_cells[-1] = f"{open_cells[-1]} {stripped}"
            continue
        if open_kind in ("text", "item") and _continues(open_lines[-1], stripped):
            open_lines.append(stripped)
            continue
        close()
        if len(columns) >= 2 or CELL_SEPARATOR in stripped:
            cells = columns if len(columns) >= 2 else [c.strip() for c in stripped.split("|")]
            open_kind, open_cells, open_locator = "row", cells, locator
        # Markdown-style '#' headings, or short lines that do not end like a sentence.
        elif stripped.startswith("#"):
            out.add_line(stripped.lstrip("#"), "heading", locator, 2)
        elif (
            len(stripped) <= 60
            and not stripped.endswith((".", ":", ",", ";", "?"))
            and stripped[0].isupper()
            and not any(c in stripped for c in ",;|–—")
            and not FUNCTION_WORD_END.search(stripped)
        ):
            out.add_line(stripped, "heading", locator, 3)
        else:
            item = stripped.startswith(("- ", "* ", "• "))
            open_kind, open_locator = ("item" if item else "text"), locator
            open_lines = [stripped[2:] if item else stripped]
    close()
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
