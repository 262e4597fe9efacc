"""Rosters -> current residents with training year, class year, chief flag and medical school.

Stages, over the page's blocks in reading order:
  1. Section state from headings: "PGY-2", "Interns", "Class of 2027", "Chief Residents" open a
     group of current residents; "Faculty", "Staff", "Alumni", "Graduates" open a group to skip;
     any other heading that is not a person's name closes the group.
  2. Inside a group (or anywhere on a page whose title names residents):
     - table rows, read by their header row (Name / PGY / Medical School columns);
     - "Name, MD - School" or "Name (School)" lines;
     - a name line, then "Medical School: X" (or a bare school line) for the same person;
     - blog style: "Dr. Name joins us from School".
Undergraduate, hometown and previous-residency lines are never taken as the medical school.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from normalizers.document import Block, Document, Evidence, ResidentRecord
from normalizers.schools import classify_school

EXTRACTOR = "roster@1"

LETTER = r"[^\W\d_]"
# A name word: letters, with inner apostrophes or hyphens (O'Brien, Al-Sayed), or an initial.
NAME_WORD = rf"(?:{LETTER}(?:{LETTER}|['’-](?={LETTER}))*\.?)"
PARTICLES = r"(?:de|da|del|della|der|di|dos|du|el|al|bin|ibn|la|le|van|von|y|st\.?)"
CREDENTIAL = (
    r"(?i:M\.?D\.?|D\.?O\.?|M\.?B\.?B\.?S\.?|MBB?Ch(?:B)?|MB ?BCh|MBChB|MPH|PhD|MSc?|MBA|MHA|BDS)"
)
PERSON_NAME = re.compile(
    rf"^(?:Dr\.?\s+)?((?:{NAME_WORD}\s+)(?:(?:{PARTICLES}|{NAME_WORD})\s+){{0,3}}{NAME_WORD})"
    rf"(?:,?\s+{CREDENTIAL}(?:\s*,\s*{CREDENTIAL})*)?\s*$"
)
# Words that never occur in a person's name but do in headings and labels.
NOT_NAME_WORDS = frozenset(
    """
medical school university college hospital program programs residency residents resident class
faculty staff contact welcome our the of and current meet interns intern chief chiefs medicine
department research education about home apply visa faq wellness news alumni graduates pgy team
leadership center health clinic institute internal family pediatrics psychiatry surgery year
first second third fourth fifth information application applications curriculum rotations benefits
salary schedule didactics life community mission overview events gallery directions location
conference conferences tracks track categorical preliminary coordinator director associate
diversity inclusion mentorship orientation visas eligibility requirements policy policies our
in at for with from on to is are was were page site back top more read click here view all
""".split()
)
LABEL = re.compile(r"^\s*(?P<label>[A-Za-z][A-Za-z .'/()-]{1,40}?)\s*[:：]\s*(?P<value>.+)$")
SCHOOL_LABELS = re.compile(
    r"^(?:medical school|med(?:ical)? school|school|medical education"
    r"|education|md|do|mbbs|medical degree|degree|alma mater|md school"
    r"|school of medicine|medical college)$",
    re.I,
)
NON_SCHOOL_LABELS = re.compile(
    r"undergrad|college \(undergrad|hometown|home ?town|interest|"
    r"residency|prior|previous|fun fact|hobbies|born|from|languages|"
    r"fellowship|career|email|b\.?s\.?|b\.?a\.?|bachelor|graduate school",
    re.I,
)
SCHOOLISH = re.compile(
    r"univers|universidad|universidade|universit|college|school|medical|medicine|institute"
    r"|faculty|facultad|academy|health sciences|\bsom\b|\bcom\b|\bmbbs\b",
    re.I,
)
INLINE_SEPARATORS = re.compile(
    r"\s+[–—-]\s+|\s*\|\s*|\s*[–—]\s*|:\s+|,\s+(?=[^,]*(?:univers|college|"
    r"school|medical|institute|facultad|universidad))",
    re.I,
)
PARENTHESISED = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<school>[^()]+)\)\s*$")
BLOG_STYLE = re.compile(
    rf"(?:Dr\.\s+)?(?P<name>{NAME_WORD}(?:\s+(?:{PARTICLES}|{NAME_WORD})){{1,3}})\s+"
    r"(?:joins us from|comes to us from|graduated from|is a graduate of|earned (?:her|his|their) "
    r"(?:MD|M\.D\.|DO|MBBS|medical degree) (?:from|at)|attended medical school at|completed medical "
    r"school at|received (?:her|his|their) (?:MD|M\.D\.|DO|MBBS|medical degree) from)\s+"
    r"(?:the\s+)?(?P<school>[^.;]+)"
)

# Where a school named in running text ends: "X and spent two years...", "X, where she..."
BLOG_SCHOOL_END = re.compile(r",|\s+(?:and|where|before|after|with|in \d{4})\s")

PGY = re.compile(r"\bpgy[\s-]?([1-7])\b", re.I)
YEAR_WORDS = (
    (re.compile(r"\binterns?\b|\bfirst[- ]years?\b|\bintern class\b|\bR1s?\b", re.I), "PGY-1"),
    (re.compile(r"\bsecond[- ]years?\b|\bR2s?\b", re.I), "PGY-2"),
    (re.compile(r"\bthird[- ]years?\b|\bR3s?\b", re.I), "PGY-3"),
    (re.compile(r"\bfourth[- ]years?\b|\bR4s?\b", re.I), "PGY-4"),
)
CLASS_OF = re.compile(r"\bclass of (\d{4})\b", re.I)
CHIEF = re.compile(r"\bchief residents?\b|\bchiefs\b", re.I)
SKIP_GROUP = re.compile(
    r"\bfaculty\b|\bstaff\b|\bleadership\b|\bprogram director|\bcoordinator|\balumni\b"
    r"|\bgraduates\b|\bgraduating class(?:es)? of (?:19|20)\d\d\b|\bformer residents\b"
    r"|\bwhere are they now\b|\bfellows\b|\bpast residents\b|\bprevious classes\b"
    r"|\bcore faculty\b|\badministrat|\bcontact\b|\bprogram team\b",
    re.I,
)
ROSTER_PAGE = re.compile(
    r"\bresidents\b|\binterns\b|\bhouse ?staff\b|\broster\b|\bclass of\b"
    r"|\bmeet (?:the|our)\b|\bpgy",
    re.I,
)
YEAR_FOLLOWS = re.compile(r"\s*[,(]?\s*(?:'|’)?\d{2,4}\)?\s*$")


@dataclass
class _Group:
    active: bool = False
    skip: bool = False
    pgy: str | None = None
    class_year: int | None = None
    chief: bool = False
    level: int = 7


@dataclass
class _Pending:
    name: str
    start: int
    end: int
    group: _Group
    school: str | None = None
    school_end: int | None = None


@dataclass
class _State:
    doc: Document
    group: _Group = field(default_factory=_Group)
    pending: _Pending | None = None
    residents: list[ResidentRecord] = field(default_factory=list)
    columns: dict[str, int] | None = None

    def close(self) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            return
        end = pending.school_end or pending.end
        self.residents.append(
            _record(self.doc, pending.name, pending.school, pending.start, end, pending.group)
        )


def _record(
    doc: Document, name: str, school: str | None, start: int, end: int, group: _Group
) -> ResidentRecord:
    school = _clean_school(school)
    match = classify_school(school)
    return ResidentRecord(
        name=name,
        evidence=Evidence.span(doc, start, end),
        pgy=group.pgy,
        class_year=group.class_year,
        chief=group.chief,
        school=school,
        school_id=match.school.id if match.school else None,
        school_type=match.type,
        country=match.country,
    )


def _clean_school(school: str | None) -> str | None:
    if not school:
        return None
    school = YEAR_FOLLOWS.sub("", school.strip()).strip(" .;,")
    return school or None


def person_name(text: str) -> str | None:
    """The person's name if TEXT is just a name (with optional credentials), else None."""
    text = text.strip().strip("*•·").strip()
    if len(text) > 60:
        return None
    match = PERSON_NAME.match(text)
    if not match:
        return None
    name = match.group(1)
    if SCHOOLISH.search(name):
        return None  # "Universidad Nacional Autónoma de México" is a school, not a person
    words = [w.strip(".,").lower() for w in name.split()]
    if any(w in NOT_NAME_WORDS for w in words):
        return None
    if not all(w[0].isupper() for w in name.split() if not re.fullmatch(PARTICLES, w, re.I)):
        return None
    return name


def _group_for_heading(text: str, level: int) -> _Group | None:
    """The group a heading opens, or None if it is not a group heading."""
    class_of = CLASS_OF.search(text)
    if SKIP_GROUP.search(text) and not CHIEF.search(text):
        return _Group(active=False, skip=True, level=level)
    pgy = PGY.search(text)
    if pgy:
        return _Group(True, pgy=f"PGY-{pgy.group(1)}", level=level)
    if class_of:
        return _Group(True, class_year=int(class_of.group(1)), level=level)
    if CHIEF.search(text):
        return _Group(True, chief=True, level=level)
    for pattern, pgy_name in YEAR_WORDS:
        if pattern.search(text):
            return _Group(True, pgy=pgy_name, level=level)
    if re.search(
        r"\b(?:current|our) residents\b|\bresidents\b|\bhouse ?staff\b|\broster\b", text, re.I
    ):
        return _Group(True, level=level)
    return None


def _table_columns(cells: tuple[str, ...]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        low = cell.lower()
        if (
            re.search(r"name|resident|physician|intern\b", low)
            and "school" not in low
            and "name" not in columns
        ):
            columns["name"] = index
        elif re.search(
            r"medical school|school|medical education|md|university", low
        ) and not re.search(r"undergrad|college \(", low):
            columns.setdefault("school", index)
        elif re.search(r"pgy|year|level|class", low):
            columns.setdefault("year", index)
    return columns if "name" in columns else None


def _year_cell(text: str, group: _Group) -> _Group:
    pgy = PGY.search(text)
    if pgy:
        return _Group(True, pgy=f"PGY-{pgy.group(1)}", chief=group.chief, level=group.level)
    class_of = re.search(r"(?:19|20)\d\d", text)
    if class_of:
        return _Group(True, class_year=int(class_of.group(0)), chief=group.chief, level=group.level)
    for pattern, pgy_name in YEAR_WORDS:
        if pattern.search(text):
            return _Group(True, pgy=pgy_name, chief=group.chief, level=group.level)
    return group


def _table_row(state: _State, block: Block) -> None:
    columns = _table_columns(block.cells)
    if columns:
        state.columns = columns
        return
    if state.columns is None or state.group.skip:
        return
    cells = block.cells
    name_cell = cells[state.columns["name"]] if state.columns["name"] < len(cells) else ""
    name = person_name(name_cell)
    if not name:
        return
    school_index = state.columns.get("school")
    school = cells[school_index] if school_index is not None and school_index < len(cells) else None
    group = state.group if state.group.active else _Group(True)
    if "year" in state.columns and state.columns["year"] < len(cells):
        group = _year_cell(cells[state.columns["year"]], group)
    state.residents.append(_record(state.doc, name, school, block.start, block.end, group))


def _inline(text: str) -> tuple[str, str] | None:
    """Split 'Name, MD - School' style lines into (name, school)."""
    match = PARENTHESISED.match(text)
    if match and person_name(match.group("name")) and SCHOOLISH.search(match.group("school")):
        return person_name(match.group("name")), match.group("school")
    parts = INLINE_SEPARATORS.split(text, maxsplit=1)
    if len(parts) == 2:
        name = person_name(parts[0])
        rest = parts[1]
        if name and (SCHOOLISH.search(rest) or classify_school(rest).school):
            # "Name - PGY-2 - School": drop a leading year part.
            rest = re.sub(
                rf"^(?:{CREDENTIAL}|pgy[\s-]?\d|class of \d{{4}})\s*[–—|,-]\s*",
                "",
                rest,
                flags=re.I,
            )
            return name, rest
    return None


def _line(state: _State, block: Block, text: str) -> None:
    label = LABEL.match(text)
    if label and state.pending:
        if SCHOOL_LABELS.match(label.group("label").strip()):
            if state.pending.school is None:
                state.pending.school = label.group("value")
                state.pending.school_end = block.end
        return
    if label and NON_SCHOOL_LABELS.search(label.group("label")):
        return
    name = person_name(text)
    if name:
        state.close()
        state.pending = _Pending(name, block.start, block.end, state.group)
        return
    inline = _inline(text)
    if inline:
        state.close()
        state.pending = _Pending(
            inline[0], block.start, block.end, state.group, inline[1], block.end
        )
        state.close()
        return
    blog = BLOG_STYLE.search(text)
    if blog and person_name(blog.group("name")):
        state.close()
        state.residents.append(
            _record(
                state.doc,
                blog.group("name"),
                BLOG_SCHOOL_END.split(blog.group("school"), maxsplit=1)[0],
                block.start,
                block.end,
                state.group,
            )
        )
        return
    if (
        state.pending
        and state.pending.school is None
        and len(text) < 120
        and SCHOOLISH.search(text)
        and not NON_SCHOOL_LABELS.search(text[:25])
    ):
        state.pending.school = text
        state.pending.school_end = block.end


def extract_residents(doc: Document) -> list[ResidentRecord]:
    """Current residents listed on one page (empty if it is not a roster)."""
    roster_page = bool(ROSTER_PAGE.search(doc.title)) or any(
        b.kind == "heading" and b.level <= 2 and ROSTER_PAGE.search(doc.block_text(b))
        for b in doc.blocks
    )
    state = _State(doc, _Group(active=roster_page))
    for block in doc.blocks:
        if block.kind == "nav":
            continue
        text = doc.block_text(block)
        is_heading = block.kind == "heading"
        year_line = len(text) < 40 and bool(CLASS_OF.search(text) or PGY.fullmatch(text.strip()))
        if year_line and not is_heading and state.pending is not None:
            # "PGY-2" inside a person's card: that person's year, not a new section.
            state.pending.group = _year_cell(text, state.pending.group)
            continue
        if is_heading or year_line:
            group = _group_for_heading(text, block.level or 6)
            if group is not None:
                state.close()
                state.group = group
                state.columns = None
                continue
            if is_heading and not person_name(text) and not _inline(text):
                if block.level <= state.group.level:
                    state.close()
                    state.group = _Group(active=False, level=block.level)
                continue
        if not state.group.active or state.group.skip:
            if block.kind == "row":
                continue
            state.close()
            continue
        if block.kind == "row":
            state.close()
            _table_row(state, block)
        else:
            _line(state, block, text)
    state.close()
    return merge_residents(state.residents)


def merge_residents(residents: list[ResidentRecord]) -> list[ResidentRecord]:
    """One record per name: a chief listed again under 'Chief Residents' keeps the fuller one."""
    by_name: dict[str, ResidentRecord] = {}
    for resident in residents:
        key = resident.name.casefold()
        known = by_name.get(key)
        if known is None:
            by_name[key] = resident
            continue
        merged = known
        if resident.chief and not known.chief:
            merged = ResidentRecord(**{**known.__dict__, "chief": True})
        if merged.school is None and resident.school:
            merged = ResidentRecord(
                **{
                    **resident.__dict__,
                    "chief": merged.chief or resident.chief,
                    "pgy": merged.pgy or resident.pgy,
                    "class_year": merged.class_year or resident.class_year,
                }
            )
        by_name[key] = merged
    return list(by_name.values())
