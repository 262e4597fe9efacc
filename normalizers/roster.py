"""Rosters -> current residents with training year, class year, chief flag and medical school.

Stages, over the page's blocks in reading order:
  1. Sections from headings (and short year lines): "PGY-2", "EM-3", "Interns", "Class of 2028",
     "Chief Residents" open a group of current residents, carrying its year; "Faculty", "Staff",
     "Alumni", "Graduates" and graduated classes ("Class of 2025" read in 2026) open a group to
     skip; any other heading closes the group (unless the whole page is a roster).
  2. Entries, each line cut into fields at " | ", " - ", " · ", ";" and parentheses:
     - a table row, read by its header (Name / PGY / Medical School / Notes columns);
     - a line with a person's name, and perhaps a year, a chief mark and a school;
     - following lines of the same card: "PGY-3", "Medical School: X", a bare school line;
       "Hometown:", "Undergraduate:", "Residency:" lines are never the medical school;
     - prose: "Dr. Name joins us from X", "Dr. Surname earned her MBBS from X" (the surname
       of the card being read).
  3. One record per name: a chief listed again under "Chief Residents" keeps the fuller record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from normalizers.document import Block, Document, Evidence, ResidentRecord
from normalizers.schools import classify_school

EXTRACTOR = "roster@2"

LETTER = r"[^\W\d_]"
# A name word: letters, with inner apostrophes or hyphens (O'Brien, Al-Sayed), or an initial.
NAME_WORD = rf"(?:{LETTER}(?:{LETTER}|['’-](?={LETTER}))*\.?)"
PARTICLES = r"(?:de|da|del|della|der|di|dos|du|el|al|bin|ibn|la|le|van|von|y|st\.?|e)"
CREDENTIAL = (
    r"(?i:M\.?D\.?|D\.?O\.?|M\.?B\.?B\.?S\.?|MBB?Ch(?:B)?|MB ?BCh|MBChB|MPH|PhD|MSc?|MBA|MHA|BDS"
    r"|M\.?B\.?|B\.?S\.?|FACP|MMed|MDCM|BAO|MB ?BS|MB ?ChB|MB ?BCh ?BAO|BM ?BS|BMed|DNB|MCh|MRCP|MRCS"
    r"|FRCS|Dr\.? ?med\.?(?: ?univ\.?)?)"
)
TITLE = re.compile(r"^(?:Dr\(a\)|Dra|Dr|Doctor)\.?\s+", re.I)
PERSON_NAME = re.compile(
    rf"^((?:{NAME_WORD}\s+)(?:(?:{PARTICLES}|{NAME_WORD})\s+){{0,4}}{NAME_WORD})"
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
diversity inclusion mentorship orientation visas eligibility requirements policy policies
in at for with from on to is are was were page site back top more read click here view all
hometown undergraduate interests interest notes status profile coming soon tba na none
committee newsletter spotlight welcome congratulations fellowship fellows profiles people
main float night block care primary services service consult consults campus shore wards ward
hub lounge lounges well-being wellbeing champions resources tiles quick links
unit general emergency ambulatory infectious diseases disease palliative endocrinology
gastroenterology cardiology nephrology oncology neurology pulmonary critical hospitalist
elective electives rotation clinics week weeks day days month site sites north south east west
state county city street avenue road suite floor building hall room lobby office station
position positions advanced name names role title purpose counseling support practice
prior training pathway time alma mater studiorum
""".split()
)

PGY = re.compile(r"\b(?:pgy|pg|em|r)[\s-]?([1-7]|i{1,3}|iv|v|vi|vii)s?\b(?![\w-])", re.I)
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
CLASS_OF = re.compile(r"\bclass of (\d{4})\b", re.I)
YEAR_WORDS = (
    (
        re.compile(
            r"\binterns?\b|\bfirst[- ]years?\b|\bintern class\b|\btransitional year\b"
            r"|^\W*(?:categorical|preliminary)\b",
            re.I,
        ),
        "PGY-1",
    ),
    (re.compile(r"\bsecond[- ]years?\b", re.I), "PGY-2"),
    (re.compile(r"\bthird[- ]years?\b", re.I), "PGY-3"),
    (re.compile(r"\bfourth[- ]years?\b", re.I), "PGY-4"),
    (re.compile(r"\bfifth[- ]years?\b", re.I), "PGY-5"),
)
CHIEF = re.compile(
    r"\bchief residents?\b(?!\s*[–-]\s*elect)|\bchiefs\b|\bchief\b(?= *(?:$|[)\]|·,]))", re.I
)
# "★ = Chief Resident": a page's legend for a mark set beside names.
CHIEF_LEGEND = re.compile(r"([★☆*†‡§])\s*(?:=|:|denotes|indicates|marks)\s*(?:a\s+)?chief", re.I)
# "A fourth-year resident, Dr. Adebayo...", "Katherine is in her third year", "as an intern".
PROSE_YEAR = re.compile(
    r"\b(first|second|third|fourth|fifth)[- ]year (?:resident|surgery resident)\b"
    r"|\bin (?:her|his|their) (first|second|third|fourth|fifth) year\b|\b(?:as|is) an (intern)\b",
    re.I,
)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "intern": 1}
# "Chief residents this year are Drs. Okonjo and Rivas": chiefs named by surname.
CHIEF_SURNAMES = re.compile(
    rf"(?i:chief residents?)\b[^.]{{0,30}}?\b(?:is|are|will be)\s+(?:Drs?\.?\s+)?"
    rf"(?P<names>{NAME_WORD}(?:\s*(?:,|and|&)\s*(?:Dr\.?\s+)?{NAME_WORD})+)"
)
SKIP_GROUP = re.compile(
    r"\bfaculty\b|(?<!house )\bstaff\b|\bleadership\b|\bprogram director|\bcoordinator|\balumni\b"
    r"|\bgraduates\b|\bgraduated\b|\bgraduating class(?:es)?\b|\bformer residents\b"
    r"|\bwhere are they now\b|\bfellows\b|\bpast residents\b|\bprevious classes\b"
    r"|\badministrat|\bcontact\b|\bprogram team\b|\bsupport team\b|\bdirectory\b",
    re.I,
)
# A page of everyone ("Our Team", "Our People"): residents are told apart by their role lines.
PEOPLE_SECTION = re.compile(r"\b(?:our|the|meet the) (?:team|people)\b", re.I)
# "House Staff Manual", "Resident Wellness": resident words in a title that is not a roster's.
NOT_A_ROSTER_TITLE = re.compile(
    r"\b(?:manual|handbook|polic(?:y|ies)|benefits|salary|wellness|well-being|faq|apply|application"
    r"|visas?|eligib\w*|curriculum|orientation|schedule|rotations?|handbook|resources|support)\b",
    re.I,
)
# A field name set on its own line, its value on the next ("Hometown" / "Mobile, Alabama").
OTHER_LABEL = re.compile(
    r"^(?:hometown|home town|undergrad(?:uate)?(?: school| college)?|college|interests?|clinical "
    r"interests?|fun fact|hobbies|languages?|prior training|previous training|residency|fellowship"
    r"|career goals?|why [\w ]+\??)$",
    re.I,
)
# Words without which a line opens no section and names no resident's year.
YEAR_HINT = re.compile(
    r"\d|intern|year|chief|class|resident|categorical|preliminary|transitional|residentes|people"
    r"|team|house ?staff|roster|faculty|staff|alumni|graduat|fellow|leadership|director",
    re.I,
)
# "THIRD YEAR RESIDENTS", "Interns": a section, never one person's line.
SECTION_LINE = re.compile(r"\b(?:residents|interns|residentes)\b", re.I)
MIXED_SECTION = re.compile(
    r"\b(?:current )?residents\b.{0,12}(?:&|\band\b).{0,20}\b(?:graduates|alumni)\b", re.I
)
ROSTER_WORDS = re.compile(
    r"\bresidents?\b|\binterns\b|\bhouse ?staff\b|\broster\b|\bclass of\b|\bmeet (?:the|our)\b"
    r"|\bpgy|\bresidentes\b|\bour people\b|\bprofiles\b",
    re.I,
)
# Lines that name a resident's other schools, places and plans: never the medical school.
NON_SCHOOL_LABEL = re.compile(
    r"\bundergrad|\bcollege \(|\bhometown|\bhome ?town\b|\binterests?\b|\bresidency\b|\bprior\b"
    r"|\bprevious\b|\bfun fact|\bhobbies\b|\bborn\b|\bfrom\b|\blanguages?\b|\bfellowship\b"
    r"|\bcareer\b|\bemail\b|\b(?:b\.?s|b\.?a|bachelor)\b|\bgraduate school\b|\bcountry\b"
    r"|\borigin\b|\bnext\b|\badvanced\b|\bplans?\b|\bpublications?\b|\bresearch\b|\bmasters?\b"
    r"|\bmph\b|\bphd\b|\bpostdoc",
    re.I,
)
SCHOOL_LABEL = re.compile(
    r"^(?:medical school|med(?:ical)? school|school|medical education|education|md|do|mbbs"
    r"|medical degree|degree|alma mater|md school|school of medicine|medical college"
    r"|escuela de medicina|m\.?d\.? from|med\.? school)$",
    re.I,
)
LABEL = re.compile(r"^\s*(?P<label>[^\W\d][\w .'/()&-]{0,40}?)\s*[:：]\s*(?P<value>.*)$")
# An institution's words: what a school field needs ("Obesity medicine" is a lecture, "MBBS" a
# degree). SCHOOLISH, wider, only keeps school names from being taken for people's names.
INSTITUTION = re.compile(
    r"univers|universidad|universidade|universit|college|school|institute|faculty|facultad"
    r"|faculdade|facult[eé]|academy|health sciences|\bsom\b|\bcom\b|üniversitesi|fakültesi"
    r"|uniwersytet|universitet|egyetem|hochschule|medizin|đại học|escuela|école|ecole|kasr",
    re.I,
)
SCHOOLISH = re.compile(
    r"univers|universidad|universidade|universit|college|school|medical|medicine|institute"
    r"|faculty|facultad|faculdade|facult[eé]|academy|health sciences|\bsom\b|\bcom\b|\bmbbs\b"
    r"|üniversitesi|fakültesi|uniwersytet|universitet|egyetem|hochschule|medizin",
    re.I,
)
FIELD_SPLIT = re.compile(
    r"\s+[–—-]\s+|\s*\|\s*|\s+[·•]\s+|\s*;\s+|\s*\.{3,}\s*|\s+\.{2}\s+|\s*[\u2600-\u27bf\U0001f300-\U0001faff]+\ufe0f?\s*"
)
# "Meet Dr. Jordan Murphy, one of our newest interns": a name introduced in a post.
MEET = re.compile(
    rf"\b(?i:meet) (?:(?i:dr)\.?\s+)?({NAME_WORD}(?:\s+(?:{PARTICLES}|{NAME_WORD})){{1,3}})"
)
PARENTHESISED = re.compile(r"\(([^()]+)\)")
CREDENTIAL_PREFIX = re.compile(
    rf"^\s*(?:{CREDENTIAL})(?:\s*\(\d{{4}}\))?\s*(?:,|[–—-]|:|from|\s)\s*", re.I
)
NO_SCHOOL = re.compile(
    r"^\W*(?:—|-|–|tba|tbd|n/?a|none|profile coming soon|coming soon|\?)?\W*$", re.I
)
YEAR_FOLLOWS = re.compile(r"\s*[,(]?\s*(?:'|’)?(?:19|20)\d\d\)?\s*$")
SCHOOL_TAIL = re.compile(
    r"\s+(?:and|where|before|after|with|then|in \d{4}|for (?:medical school|her|his|their)"
    r"|followed)\b.*$|,\s+(?:and|where|before|after|then|followed|which|she|he|they)\b.*$",
    re.I,
)
# Prose: "Dr. Name joins us from X", "She earned her MBBS from X".
BLOG = re.compile(
    r"(?:joins us from|comes to (?:us|[A-Z]\w+) from|completed (?:her|his|their) (?:MD|M\.D\.|DO|MBBS|"
    r"MBBCh|medical degree|medical education|medical training) (?:at|from)|graduated from|is a graduate of|earned (?:her|his|their|an?) "
    r"(?:MD|M\.D\.|DO|MBBS|MBBCh|medical degree|degree in medicine) (?:from|at)|attended medical "
    r"school at|completed medical school at|received (?:her|his|their|an?) (?:MD|M\.D\.|DO|MBBS|"
    r"MBBCh|medical degree) (?:from|at)|studied medicine at|went to medical school at"
    r"|medical school (?:at|was)|is an? (?:proud )?(?:graduate|alum\w*) of|I (?:went to|studied at|studied "
    r"medicine at|attended|graduated from|did my (?:MD|medical degree|MBBS) at))\s+(?:the\s+)?"
    r"(?P<school>[^.;]+)",
    re.I,
)
BLOG_SUBJECT = re.compile(
    rf"^(?:Dr\.?\s+)?(?P<name>{NAME_WORD}(?:\s+(?:{PARTICLES}|{NAME_WORD})){{0,3}})\s"
)
MAX_SCHOOL_WORDS = 14
# Emoji, flags and pictographs around a name ("Chidinma Okafor 🇳🇬").
SYMBOLS = re.compile(r"[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f\u200d]+")
MAX_FIELD_LINE = 90  # a card's field line; longer lines are prose
# A role line under a person's name that says they are not a resident.
NOT_A_RESIDENT = re.compile(
    r"^\W*(?:(?:associate |assistant )?program director|faculty\b|(?:residency |program )?coordinator"
    r"|(?:clinic |practice |office )?manager|(?:associate |assistant )?professor|attending\b"
    r"|administrator|chair\b|dean\b|nurse|staff\b|core faculty|department chair|director of)",
    re.I,
)
# A medical school named in prose: capitalised words around "School of Medicine" and kin.
CAP = r"(?:[A-Z][\w.'’&-]*|of|the|and|de|del|da|y|at|for|in)"
PROSE_SCHOOL = re.compile(
    rf"[A-Z][\w.'’&-]*\s+(?:{CAP}\s+){{0,8}}(?:School of (?:Osteopathic )?Medicine|College of "
    rf"(?:Osteopathic )?Medicine|Medical College|Medical University|Faculty of Medicine|Medical School"
    rf"|University of Medicine)(?:(?:\s+(?:at|of|in)\s+|,\s+|\s+)[A-Z][\w.'’&-]*(?:\s+{CAP}){{0,4}})?"
)
NOT_MEDICAL_SCHOOL_BEFORE = re.compile(
    r"(?:residency|fellowship|internship|research|undergraduate|college|master'?s?|mph|phd)"
    r"\W+(?:\w+\W+){0,4}$",
    re.I,
)
GONE = re.compile(
    r"\bgraduated\b|\balumn|\bformer resident|\bcompleted (?:residency|training)\b|\bleft the program",
    re.I,
)


@dataclass
class _Group:
    active: bool = False
    skip: bool = False
    pgy: str | None = None
    class_year: int | None = None
    chief: bool = False
    level: int = 7


@dataclass
class _Fields:
    """What one line says: a name, a year, a chief mark, a school."""

    name: str | None = None
    pgy: str | None = None
    class_year: int | None = None
    chief: bool = False
    school: str | None = None
    school_given: bool = False  # a school field was present, even if empty ("—", "TBA")
    other_label: bool = False  # "Hometown: ...", "Undergraduate: ..."
    school_labelled: bool = False  # the school came from a "Medical School:" label


@dataclass
class _Pending:
    name: str
    start: int
    end: int
    group: _Group
    parent: str  # the element holding the person's first line: their card
    pgy: str | None = None
    class_year: int | None = None
    chief: bool = False
    school: str | None = None
    school_given: bool = False
    not_resident: bool = False  # a role line said faculty, director, coordinator...


@dataclass
class _State:
    doc: Document
    as_of: date | None
    roster_page: bool
    group: _Group = field(default_factory=_Group)
    pending: _Pending | None = None
    residents: list[ResidentRecord] = field(default_factory=list)
    columns: dict[str, int] | None = None
    header: tuple[str, ...] = ()
    last_cells: tuple[str, ...] = ()
    asked_school: bool = False  # the line before asked "Where did you go to medical school?"
    awaiting: str | None = None  # a label line ("Hometown:") whose value is the next line
    table: str | None = None

    def close(self) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            return
        group = pending.group
        if pending.not_resident:
            return
        said = pending.school or pending.pgy or pending.class_year or pending.chief
        if not self.roster_page and not said:
            return  # off a roster page, a bare name ("Peer Support", a speaker) is no resident
        self.residents.append(
            _record(
                self.doc,
                pending.name,
                pending.school,
                pending.start,
                pending.end,
                pending.pgy or group.pgy,
                pending.class_year or group.class_year,
                pending.chief or group.chief,
            )
        )


def _record(
    doc: Document,
    name: str,
    school: str | None,
    start: int,
    end: int,
    pgy: str | None,
    class_year: int | None,
    chief: bool,
) -> ResidentRecord:
    school = _clean_school(school)
    match = classify_school(school)
    return ResidentRecord(
        name=name,
        evidence=Evidence.span(doc, start, end),
        pgy=pgy,
        class_year=class_year,
        chief=chief,
        school=school,
        school_id=match.school.id if match.school else None,
        school_type=match.type,
        country=match.country,
    )


def _clean_school(school: str | None) -> str | None:
    if not school or NO_SCHOOL.match(school):
        return None
    school = CREDENTIAL_PREFIX.sub("", school.strip())
    school = YEAR_FOLLOWS.sub("", school).strip(" .;,·*")
    school = re.sub(r"^(?:the|at|from)\s+", "", school, flags=re.I)
    return school or None


def person_name(text: str) -> str | None:
    """The person's name if TEXT is just a name (with optional title and credentials)."""
    text = TITLE.sub("", SYMBOLS.sub("", text).strip().strip("*•·★☆").strip())
    if len(text) > 60:
        return None
    match = PERSON_NAME.match(text)
    if not match:
        return None
    name = match.group(1)
    if SCHOOLISH.search(name):
        return None  # "Universidad Nacional Autónoma de México" is a school, not a person
    words = [w.strip(".,").lower() for w in name.split()]
    if any(w in NOT_NAME_WORDS for w in words) or len(words) < 2:
        return None
    shouting = [w for w in name.split() if len(w) > 1 and w.isupper()]
    if shouting and len(shouting) < len(name.split()):
        return None  # "Cardiac ICU", "AIIMS New Delhi": an acronym among words is not a name
    if not all(w[0].isupper() for w in name.split() if not re.fullmatch(PARTICLES, w, re.I)):
        return None
    return name


def _school_like(text: str) -> bool:
    """A school as written: school words, or a known school or abbreviation ("SGU", "UCSF")."""
    if not text or NON_SCHOOL_LABEL.search(text) and not INSTITUTION.search(text):
        return False
    if INSTITUTION.search(text):
        return True
    if len(text.split()) > 5:
        return False  # a school known by a short name ("SGU", "Penn Med"), never by a sentence
    return classify_school(text).method in ("exact", "word-order", "leading-part", "contains")


def _year(text: str) -> tuple[str | None, int | None]:
    """(PGY-n, class year) named in TEXT."""
    pgy = PGY.search(text)
    class_of = CLASS_OF.search(text)
    level = pgy.group(1).lower() if pgy else None
    pgy_name = f"PGY-{level if level.isdigit() else ROMAN[level]}" if level else None
    if pgy_name is None:
        pgy_name = next((name for pattern, name in YEAR_WORDS if pattern.search(text)), None)
    return pgy_name, int(class_of.group(1)) if class_of else None


@lru_cache(maxsize=4096)
def _fields(text: str) -> _Fields:
    """Cut one line into a name, year, chief mark and school."""
    out = _Fields()
    if CHIEF.search(text):
        out.chief = True
        text = CHIEF.sub(" ", text)
    out.pgy, out.class_year = _year(text)
    explicit_year = bool(PGY.search(text) or CLASS_OF.search(text))  # "PGY-2", not "interns"
    text = PGY.sub(" ", CLASS_OF.sub(" ", text))
    # Parentheses hold a school ("Renée Murphy, MD (SGU)") or a year ("Omar Niazi (PGY-3)").
    inner = [part for part in PARENTHESISED.findall(text) if part.strip()]
    text = PARENTHESISED.sub(" · ", text)
    fields = [f for f in (p.strip(" ,*★") for p in FIELD_SPLIT.split(text)) if f]
    for index, part in enumerate(fields):
        label = LABEL.match(part)
        if label and not person_name(label.group("label")):
            if SCHOOL_LABEL.match(label.group("label").strip()):
                out.school = out.school or label.group("value").strip() or None
                out.school_given = out.school_labelled = True
            elif not re.match(r"(?i)(?:year|pgy|level|class|training)$", label.group("label")):
                out.other_label = True  # "Hometown: ...", "Undergraduate: ..."
            continue
        meet = MEET.search(part)
        before_comma = _name_before_comma(part) if index == 0 else None
        name = (
            person_name(part) or before_comma or (_subject_words(meet.group(1)) if meet else None)
        )
        fits = len(fields) == 1 or explicit_year or _fits_a_person(part, fields, inner)
        if name and out.name is None and fits:
            out.name = name
            if before_comma and not person_name(part):  # "Reid Jackson, MD, Emory University"
                out.school = part.partition(",")[2]
            continue
        cleaned = CREDENTIAL_PREFIX.sub("", part)
        if len(cleaned.split()) > MAX_SCHOOL_WORDS:
            continue  # prose, not a school field
        if out.school is None and not NON_SCHOOL_LABEL.search(part) and _school_like(cleaned):
            out.school = _with_campus(part, fields[index + 1] if index + 1 < len(fields) else "")
        elif NO_SCHOOL.match(part) and out.name:
            out.school_given = True
    if out.school is None:
        out.school = next((p for p in inner if _school_like(p) and not _year(p)[0]), None)
    out.school_given = out.school_given or out.school is not None
    return out


def _with_campus(school: str, following: str) -> str:
    """'University of Arizona College of Medicine - Tucson': a campus cut off at the dash is put
    back when only the whole name is a known school."""
    if not following or len(following.split()) > 3 or not following[:1].isupper():
        return school
    joined = f"{school} - {following}"
    known = ("exact", "word-order", "leading-part", "contains")
    if classify_school(school).method not in known and classify_school(joined).method in known:
        return joined
    return school


def _fits_a_person(name_part: str, fields: list[str], inner: list[str]) -> bool:
    """'Cardiac ICU | 4 weeks | North Shore Campus' is not a person: a name among several fields
    comes with a degree, or with a school or a year in another field."""
    if re.search(rf",?\s+{CREDENTIAL}\s*$", name_part) or TITLE.match(name_part):
        return True
    if _name_before_comma(name_part):
        return True  # "Sophia Lopez, DO: College of Osteopathic Medicine of the Pacific"
    return any(
        f is not name_part and (_school_like(CREDENTIAL_PREFIX.sub("", f)) or NO_SCHOOL.match(f))
        for f in [*fields, *inner]
    )


def _name_before_comma(part: str) -> str | None:
    """'Reid Jackson, MD, Emory University' -> 'Reid Jackson'."""
    head, _, tail = part.partition(",")
    return person_name(head) if tail and _school_like(CREDENTIAL_PREFIX.sub("", tail)) else None


def _group_for_heading(text: str, level: int, as_of: date | None) -> _Group | None:
    """The group a heading (or a short year line) opens, or None if it is not a group heading."""
    pgy, class_year = _year(text)
    chief = bool(CHIEF.search(text))
    mixed = MIXED_SECTION.search(text)  # "Residents & Recent Graduates": read row by row
    if SKIP_GROUP.search(text) and not chief and not mixed:
        return _Group(active=False, skip=True, level=level)
    if class_year and as_of is not None and _graduated(class_year, as_of):
        return _Group(active=False, skip=True, level=level)  # "Class of 2025" read in 2026
    if pgy or class_year or chief:
        return _Group(True, pgy=pgy, class_year=class_year, chief=chief, level=level)
    if ROSTER_WORDS.search(text) or PEOPLE_SECTION.search(text):
        return _Group(True, level=level)
    return None


def _graduated(class_year: int, as_of: date) -> bool:
    """Residents of the class of YEAR leave at the end of June of that year."""
    return class_year < as_of.year or (class_year == as_of.year and as_of.month >= 7)


def _parent(block: Block) -> str:
    return block.locator.rsplit(" > ", 1)[0]


def _table_key(block: Block) -> str:
    """The table a row belongs to (its header may sit in <thead>, its rows in <tbody>)."""
    match = re.match(r"^(.*> table:nth-of-type\(\d+\))", block.locator)
    return match.group(1) if match else block.locator.rsplit(" > tr", 1)[0]


COLUMN_ROLES = (
    (
        "name",
        re.compile(r"\bname\b|\bnombre\b|\bresident\b|\bphysician\b|\bintern\b|\btrainee\b", re.I),
    ),
    (
        "school",
        re.compile(
            r"medical school|med\.? school|school of medicine|escuela|\bschool\b|medical education"
            r"|\bmd\b|\bdegree\b|\beducation\b|alma mater|\buniversity\b",
            re.I,
        ),
    ),
    ("year", re.compile(r"\bpgy\b|\byear\b|\byr\b|\blevel\b|\bclass\b|\btraining\b|\baño\b", re.I)),
    (
        "notes",
        re.compile(r"\bnotes?\b|\bstatus\b|\brole\b|\bposition\b|\bcomments?\b|\btitle\b", re.I),
    ),
)


def _header_columns(cells: tuple[str, ...]) -> dict[str, int] | None:
    """Column roles of a table's header row, or None if the row is not a roster header."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        for role, pattern in COLUMN_ROLES:
            excluded = role == "school" and NON_SCHOOL_LABEL.search(cell)
            if pattern.search(cell) and role not in columns and not excluded:
                columns[role] = index
                break
    if "name" not in columns:
        return None
    # A data row names a person and carries values (a year, a school); a header only names
    # columns - though a header cell ("Prior Training") may look like a name.
    looks_like_data = any(re.search(r"\d", c) or INSTITUTION.search(c) for c in cells)
    if any(person_name(cell) for cell in cells) and (len(columns) < 2 or looks_like_data):
        return None
    return columns


def _table_row(state: _State, block: Block) -> bool:
    """Read one table row; True if it was a header or a resident."""
    cells = block.cells
    first_row = state.table != _table_key(block)
    if first_row:
        state.table, state.columns = _table_key(block), None
    header = _header_columns(cells)
    if header:
        state.columns, state.header, state.last_cells = header, cells, ()
        return True
    filled = [cell for cell in cells if cell.strip()]
    if len(filled) == 1:
        return False  # a one-cell row ("THIRD YEAR RESIDENTS") reads like a heading line
    if first_row and not any(person_name(cell) or _name_before_comma(cell) for cell in cells):
        state.columns = {}  # a header without a name column: a schedule, a price list
    if state.columns == {}:
        return True
    if state.columns is None or state.group.skip:
        return False
    if not state.group.active and not {"school", "year"} & set(state.columns):
        return False  # a leadership or contact table on a page that is not a roster
    columns = state.columns
    if len(cells) < len(state.header) and state.last_cells:
        # A cell spanning rows ("PGY-4" over three residents) is missing from the rows below it.
        cells = state.last_cells[: len(state.header) - len(cells)] + cells
    state.last_cells = cells
    cell = {role: cells[i] if i < len(cells) else "" for role, i in columns.items()}
    name = person_name(cell["name"])
    if not name:
        return False
    notes = cell.get("notes", "")
    if GONE.search(notes):
        return True
    pgy, class_year = _year(cell.get("year") or notes)
    year_header = state.header[columns["year"]] if "year" in columns else ""
    if class_year is None and re.search(r"(?i)class", year_header):
        bare = re.fullmatch(r"\s*((?:19|20)\d\d)\s*", cell.get("year", ""))
        class_year = int(bare.group(1)) if bare else None  # a "Class of" column: "2027"
    if class_year and state.as_of is not None and _graduated(class_year, state.as_of):
        return True
    chief = bool(CHIEF.search(notes) or CHIEF.search(cell.get("year", "")))
    if not state.roster_page and not (
        pgy or class_year or chief or _school_like(cell.get("school", ""))
    ):
        return True  # off a roster page, a name in a table (a policy's owner, a speaker) is no resident
    group = state.group
    state.close()
    state.residents.append(
        _record(
            state.doc,
            name,
            cell.get("school"),
            block.start,
            block.end,
            pgy or group.pgy,
            class_year or group.class_year,
            chief or group.chief,
        )
    )
    return True


def _attach(pending: _Pending, fields: _Fields, block: Block) -> None:
    """A card's later line: its year, chief mark or school."""
    pending.pgy = pending.pgy or fields.pgy
    pending.class_year = pending.class_year or fields.class_year
    pending.chief = pending.chief or fields.chief
    if (
        fields.school
        and pending.school is None
        and (fields.school_labelled or not fields.other_label)
    ):
        pending.school = fields.school
        pending.school_given = True
    pending.end = block.end


# "Our chief resident this year is Dr. Colette Marchand": a chief named in prose.
CHIEF_PROSE = re.compile(
    rf"(?i:chief residents?)\b[^.]{{0,30}}?\b(?:is|are|will be)\s+(?:Dr\.?\s+)?"
    rf"(?P<name>{NAME_WORD}(?:\s+(?:{PARTICLES}|{NAME_WORD})){{1,3}})"
)


def _prose(state: _State, block: Block, text: str) -> bool:
    """'Dr. Memon earned her MBBS from Dow Medical College' - a school for the card's person,
    or a resident of its own ('Dr. Ana Ruiz joins us from SGU')."""
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text):
        chief = CHIEF_PROSE.search(sentence)
        if chief and (name := _subject_words(chief.group("name"))):
            state.close()
            state.pending = _Pending(name, block.start, block.end, state.group, _parent(block))
            state.pending.chief = True
            state.close()
            return True
        year = PROSE_YEAR.search(sentence)
        if year and state.pending is not None and state.pending.pgy is None:
            ordinal = next(g for g in year.groups() if g).lower()
            state.pending.pgy = f"PGY-{ORDINALS[ordinal]}"
        school = _prose_school(sentence)
        if school is None and state.pending is not None and state.asked_school:
            # The answer to "Where did you go to medical school?": "Jinnah Sindh Medical
            # University in Karachi."
            school = (
                sentence.strip(" .")
                if _school_like(sentence) and len(sentence.split()) <= 12
                else None
            )
        if school is None:
            continue
        name = _subject(sentence)
        pending = state.pending
        surname = sentence.split()[1].strip(",.") if sentence.startswith("Dr.") else None
        if pending is not None and (
            name is None or (surname and pending.name.split()[-1] == surname)
        ):
            if pending.school is None:
                pending.school, pending.school_given = school, True
                pending.end = block.end
            return True
        if name and BLOG.search(sentence):
            state.close()
            state.pending = _Pending(
                name, block.start, block.end, state.group, _parent(block), school=school
            )
            state.close()
            return True
    return False


def _subject(sentence: str) -> str | None:
    """The person a bio sentence is about: 'Dr. Kwame Asante joins us from...' -> Kwame Asante."""
    subject = BLOG_SUBJECT.match(sentence)
    return _subject_words(subject.group("name")) if subject else None


def _subject_words(words: str) -> str | None:
    """The capitalised words a name starts with: 'Kwame Asante joins us' -> Kwame Asante."""
    name = []
    for word in words.split():
        if not (word[0].isupper() or re.fullmatch(PARTICLES, word)):
            break
        name.append(word)
    return person_name(" ".join(name))


def _prose_school(sentence: str) -> str | None:
    """The medical school a bio sentence names: after "graduated from", "earned her MD at"...,
    else a phrase ending in "School of Medicine" and kin not introduced as a residency."""
    for match in BLOG.finditer(sentence):
        school = SCHOOL_TAIL.sub("", match.group("school")).strip()
        if _school_like(school) and len(school.split()) <= MAX_SCHOOL_WORDS:
            return school
    for match in PROSE_SCHOOL.finditer(sentence):
        if not NOT_MEDICAL_SCHOOL_BEFORE.search(sentence[: match.start()]):
            return SCHOOL_TAIL.sub("", match.group(0)).strip(" ,")
    return None


def _self_contained(text: str, as_of: date | None) -> bool:
    fields = _fields(text)
    if not (fields.name and fields.school and (fields.pgy or fields.class_year)):
        return False
    return not (fields.class_year and as_of is not None and _graduated(fields.class_year, as_of))


def _line(state: _State, block: Block, text: str) -> None:
    awaited, state.awaiting = state.awaiting, None
    bare_label = len(text) < 30 and (
        SCHOOL_LABEL.match(text.strip()) or OTHER_LABEL.match(text.strip())
    )
    if (text.rstrip().endswith(":") and len(text) < 40) or (
        bare_label and state.pending is not None
    ):
        # A label waiting for its value on the next line ("Medical School:" / "Hometown:").
        state.awaiting = text.rstrip(" :")
        return
    if awaited is not None and state.pending is not None:
        if SCHOOL_LABEL.match(awaited.strip()) and state.pending.school is None:
            state.pending.school, state.pending.school_given = text, True
            state.pending.end = block.end
        return  # the value of "Hometown:" is a place, never a person or a school
    asked, state.asked_school = state.asked_school, False
    if text.rstrip().endswith("?"):
        state.asked_school = bool(re.search(r"(?i)medical school|med school|medical degree", text))
        return
    state.asked_school = asked
    fields = _fields(text)
    pending = state.pending
    if fields.name:
        state.close()
        state.pending = _Pending(
            fields.name,
            block.start,
            block.end,
            state.group,
            _parent(block),
            fields.pgy,
            fields.class_year,
            fields.chief,
            fields.school,
            fields.school_given,
        )
        return
    if pending is not None and len(text) < MAX_FIELD_LINE and NOT_A_RESIDENT.search(text):
        pending.not_resident = True  # "Program Director", "Faculty, Obstetrics" under a name
        return
    short = len(text) < MAX_FIELD_LINE or bool(LABEL.match(text))
    if (
        pending is not None
        and short
        and (fields.pgy or fields.class_year or fields.chief or fields.school or fields.other_label)
    ):
        _attach(pending, fields, block)
        return
    _prose(state, block, text)


def extract_residents(doc: Document, as_of: date | None = None) -> list[ResidentRecord]:
    """Current residents listed on one page (empty if it is not a roster); AS_OF tells which
    classes have graduated."""
    # A roster page by its title or main heading; a roster section of a longer page is opened by
    # its own heading (and closed by the next one).
    titles = [doc.title] + [
        doc.block_text(b) for b in doc.blocks if b.kind == "heading" and b.level == 1
    ]
    roster_page = any(ROSTER_WORDS.search(t) and not NOT_A_ROSTER_TITLE.search(t) for t in titles)
    state = _State(doc, as_of, roster_page, _Group(active=roster_page))
    previous_end = -1
    for block in doc.blocks:
        if block.kind == "nav":
            continue
        text = doc.block_text(block)
        if block.kind == "row" and _table_row(state, block):
            continue
        is_heading = block.kind == "heading"
        fields = _fields(text) if is_heading or len(text) < 60 else None
        # "PGY-2" or "Chief Resident" inside a person's card: that person's, not a new section.
        pending = state.pending
        in_card = (
            pending is not None
            and not SECTION_LINE.search(text)
            and (
                _parent(block) == pending.parent
                # the line right after a name whose card is still being read ("Chief Resident · PGY-3")
                or (pending.end == previous_end and pending.school is None)
            )
        )
        if (
            fields
            and not fields.name
            and in_card
            and not is_heading
            and (fields.pgy or fields.class_year or fields.chief)
        ):
            _attach(state.pending, fields, block)
            continue
        year_line = (
            fields is not None
            and not fields.name
            and len(text) < 40
            and (fields.pgy or fields.class_year)
        )
        if (is_heading and not (fields and fields.name)) or year_line:
            group = _group_for_heading(text, block.level or 6, as_of)
            if group is not None:
                state.close()
                state.group = group
                continue
            if is_heading:
                if block.level <= state.group.level and not roster_page:
                    state.group = _Group(active=False, level=block.level)
                elif block.level <= state.group.level:
                    state.group = _Group(active=True, level=block.level)
                state.close()
                continue
        if not state.group.active or state.group.skip:
            state.close()
            if not state.group.skip and YEAR_HINT.search(text) and _self_contained(text, as_of):
                # Outside any roster section, a line that names a person, a year and a medical
                # school is still a resident ("Meet Dr. X, one of our interns... Med school: Y").
                _line(state, block, text)
                state.close()
            continue
        _line(state, block, text)
        previous_end = block.end
    state.close()
    return _marked_chiefs(doc, merge_residents(state.residents))


def _marked_chiefs(doc: Document, residents: list[ResidentRecord]) -> list[ResidentRecord]:
    """Chiefs marked by a legend's symbol ("★ = Chief Resident") or named by surname in prose."""
    legend = CHIEF_LEGEND.search(doc.text)
    surnames = {
        name.strip().removeprefix("Dr.").strip().casefold()
        for match in CHIEF_SURNAMES.finditer(doc.text)
        for name in re.split(r"\s*(?:,|\band\b|&)\s*", match.group("names"))
    }
    if not legend and not surnames:
        return residents
    out = []
    for resident in residents:
        marked = legend is not None and legend.group(1) in resident.evidence.quote.split("\n")[0]
        named = resident.name.split()[-1].casefold() in surnames
        out.append(replace(resident, chief=True) if marked or named else resident)
    return out


def merge_residents(residents: list[ResidentRecord]) -> list[ResidentRecord]:
    """One record per name: a chief listed again under 'Chief Residents' keeps the fuller one."""
    by_name: dict[str, ResidentRecord] = {}
    for resident in residents:
        key = " ".join(resident.name.casefold().split())
        known = by_name.get(key)
        if known is None:
            by_name[key] = resident
            continue
        merged = replace(
            known if known.school or not resident.school else resident,
            chief=known.chief or resident.chief,
            pgy=known.pgy or resident.pgy,
            class_year=known.class_year or resident.class_year,
        )
        by_name[key] = merged
    return list(by_name.values())
