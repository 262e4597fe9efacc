"""Medical-school classification: school name as written -> school, type and country.

Classification is by the school's location and accreditation, never by the person: US MD (LCME,
Puerto Rico included), US DO (COCA) and Canadian (CACMS) schools are not IMG; every other school
is. Stages, first hit wins:
  0. not a medical school at all ("Ross School of Business", "Harvard College"): UNKNOWN;
  1. exact normalised name or alias;
  2. the same words in another order;
  3. the leading part before a comma, dash or parenthesis ("X, Mumbai", "X (2019)");
  4. the longest known name or alias contained in the text ("MD, X; BS, Y"), unless the text
     places the school in another country (then it is a namesake: stage 5 decides);
  5. a country, region or well-known city named in the text (type from the country; never
     when the text gives a US address);
  6. a university named in a language no US school uses ("Universidad ...", "Università ..."):
     IMG_OTHER, country unknown;
otherwise UNKNOWN - never silently US.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SCHOOLS_FILE = Path(__file__).parent / "data" / "schools.csv"
# Countries and the cities residents name instead of the school's country, for stage 5.
PLACES_FILE = Path(__file__).parent / "data" / "places.csv"
SCHOOL_TYPES = ("US_MD", "US_DO", "CA_MD", "IMG_CARIBBEAN", "IMG_OTHER", "UNKNOWN")
IMG_TYPES = frozenset({"IMG_CARIBBEAN", "IMG_OTHER"})

# Words that name the kind of school rather than the school; dropped on both sides.
GENERIC_PHRASES = re.compile(
    r"\b(?:school|college|faculty|facultad|faculdade|faculte) (?:of|de) (?:medicine|medicina|medecine)\b"
    r"|\bmedical school\b|\bschool of medical sciences\b|\bmedical faculty\b"
)
STOP_WORDS = frozenset({"of", "the", "and", "at", "in", "de", "del", "la", "di", "do", "y", "for"})
CREDENTIALS = frozenset({"md", "mbbs", "mbchb", "dr", "mph", "phd", "ms", "bs", "ba", "msc", "bsc"})
ABBREVIATED_WORDS = {
    "st": "saint",
    "univ": "university",
    "med": "medical",
    "coll": "college",
    "govt": "government",
}
US_STATE = re.compile(
    r"\b(?:alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida"
    r"|georgia usa|hawaii|idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland"
    r"|massachusetts|michigan|minnesota|mississippi|missouri|montana|nebraska|nevada"
    r"|new hampshire|new jersey|new mexico|new york|north carolina|north dakota|ohio|oklahoma"
    r"|oregon|pennsylvania|rhode island|south carolina|south dakota|tennessee|texas|utah"
    r"|vermont|virginia|washington dc|west virginia|wisconsin|wyoming|usa|united states"
    r"|puerto rico)\b"
)
SEGMENT_SPLIT = re.compile(r"\s*(?:,|;|\(|\)| - | – | — |/)\s*")

# Words that make a school string something other than a medical school ("Ross School of
# Business", "Harvard College"): a known name inside it must not be taken for the medical school.
NOT_MEDICAL = re.compile(
    r"\b(?:business|law|public health|nursing|engineering|undergraduate|liberal arts"
    r"|arts and sciences|divinity|dentistry only)\b|^(?:harvard|yale|dartmouth|princeton) college$"
)
MEDICAL_WORD = re.compile(r"\bmedic|\bosteopath")
# Names in a language US and Canadian medical schools do not use (Quebec's French and Puerto
# Rico's Spanish schools are in the data file, so they match before this is asked).
FOREIGN_UNIVERSITY = re.compile(
    r"\b(?:universidad|universidade|universita|universitat|universitatea|universite|universiteit"
    r"|uniwersytet|univerzita|egyetem|yliopisto|universitet|facultad|faculdade|faculte"
    r"|medizinische|escuela|hochschule)\b"
)


@dataclass(frozen=True)
class School:
    id: str
    name: str
    type: str
    country: str
    region: str


@dataclass(frozen=True)
class Place:
    """A country, region or city that places a school (from the places data file)."""

    name: str
    country: str
    type: str
    kind: str  # country | region | city


@dataclass(frozen=True)
class SchoolMatch:
    """The classification of one school string, with how it was reached."""

    written: str
    type: str
    country: str | None = None
    school: School | None = None
    # exact | word-order | leading-part | contains | country | language | unknown
    method: str = "unknown"
    matched: str | None = None  # the name, alias or place that matched

    @property
    def img(self) -> bool:
        return self.type in IMG_TYPES


def fold(text: str) -> str:
    """Accents off, lower case, '&' as 'and'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.casefold().replace("&", " and ").replace("’", "'").replace("‘", "'")


def tokens(text: str) -> tuple[str, ...]:
    """The identifying words of a school name."""
    folded = re.sub(r"[^\w\s]", " ", fold(text).replace("'", ""))
    folded = " ".join(ABBREVIATED_WORDS.get(word, word) for word in folded.split())
    folded = GENERIC_PHRASES.sub(" ", folded)
    words = [w for w in folded.split() if w not in STOP_WORDS and not w.isdigit()]
    while words and words[0] in CREDENTIALS:
        words.pop(0)
    while words and words[-1] in CREDENTIALS:
        words.pop()
    return tuple(words)


def plain_words(text: str) -> str:
    """Folded words with abbreviations spelt out, for phrase and place patterns."""
    folded = re.sub(r"[^\w\s]", " ", fold(text).replace("'", ""))
    return " ".join(ABBREVIATED_WORDS.get(word, word) for word in folded.split())


class SchoolIndex:
    """Known schools keyed by normalised names and aliases."""

    def __init__(
        self, schools: list[tuple[School, list[str]]], places: list[Place] | None = None
    ) -> None:
        self.exact: dict[tuple[str, ...], tuple[School, str]] = {}
        self.unordered: dict[tuple[str, ...], tuple[School, str]] = {}
        self.by_first_word: dict[str, list[tuple[tuple[str, ...], School, str]]] = {}
        for school, aliases in schools:
            for label in [school.name, *aliases]:
                key = tokens(label)
                if not key:
                    continue
                self.exact.setdefault(key, (school, label))
                self.unordered.setdefault(tuple(sorted(key)), (school, label))
                self.by_first_word.setdefault(key[0], []).append((key, school, label))
        for entries in self.by_first_word.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        # Countries and regions before cities: "Western University, London, Ontario" is Canada.
        places = places or []
        self.places_by_name = {plain_words(p.name): p for p in reversed(places)}
        self.place_patterns = [
            re.compile(
                r"\b(?:"
                + "|".join(
                    re.escape(name)
                    for name in sorted(
                        (n for n, p in self.places_by_name.items() if (p.kind == "city") == city),
                        key=len,
                        reverse=True,
                    )
                )
                + r")\b"
            )
            for city in (False, True)
        ]

    def __len__(self) -> int:
        return len({school.id for school, _ in self.exact.values()})

    def _found(self, written: str, hit: tuple[School, str], method: str) -> SchoolMatch:
        school, label = hit
        return SchoolMatch(written, school.type, school.country, school, method, label)

    def _place(self, plain: str) -> Place | None:
        if US_STATE.search(plain):
            return None  # a US address: no foreign city name decides anything
        # Countries and regions first, then cities; each kind is one alternation (fast).
        for pattern in self.place_patterns:
            match = pattern.search(plain)
            if match:
                return self.places_by_name[match.group(0)]
        return None

    def _contained(self, key: tuple[str, ...]) -> tuple[School, str] | None:
        """The longest known name or alias found as a run of words inside KEY."""
        best: tuple[tuple[str, ...], School, str] | None = None
        for i, word in enumerate(key):
            for alias_key, school, label in self.by_first_word.get(word, ()):
                if best and len(alias_key) <= len(best[0]):
                    break
                # A one-word key ("chicago", "long", "trinity") inside a longer name is usually
                # another institution's word; only an acronym ("KNUST", "AIIMS") is distinctive.
                distinctive = len(alias_key) > 1 or (label.isupper() and len(label) >= 3)
                if distinctive and key[i : i + len(alias_key)] == alias_key:
                    best = (alias_key, school, label)
                    break
        return (best[1], best[2]) if best else None

    def match(self, written: str) -> SchoolMatch:
        """Classify one school string (stages in the module docstring)."""
        key = tokens(written)
        plain = plain_words(written)
        if not key or (NOT_MEDICAL.search(plain) and not MEDICAL_WORD.search(plain)):
            return SchoolMatch(written, "UNKNOWN")
        if key in self.exact:
            return self._found(written, self.exact[key], "exact")
        if tuple(sorted(key)) in self.unordered:
            return self._found(written, self.unordered[tuple(sorted(key))], "word-order")
        place = self._place(plain)
        segments = [s for s in SEGMENT_SPLIT.split(written) if s.strip()]
        leading = next(
            (
                self.exact[part]
                for end in range(len(segments) - 1, 0, -1)
                if (part := tokens(" ".join(segments[:end]))) in self.exact
            ),
            None,
        )
        # A known name in a string that places it in another country is a namesake:
        # "Queen's University, Belfast", "University of Guyana, Georgetown".
        if leading and (place is None or place.country == leading[0].country):
            return self._found(written, leading, "leading-part")
        contained = self._contained(key)
        if contained and (place is None or place.country == contained[0].country):
            return self._found(written, contained, "contains")
        if place is not None:
            return SchoolMatch(written, place.type, place.country, None, "country", place.name)
        if FOREIGN_UNIVERSITY.search(plain):
            return SchoolMatch(written, "IMG_OTHER", None, None, "language", None)
        return SchoolMatch(written, "UNKNOWN")


def load_schools(path: Path = SCHOOLS_FILE) -> list[tuple[School, list[str]]]:
    """Read the schools data file."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        school = School(
            row["id"], row["name"], row["type"], row["country"], row.get("region") or ""
        )
        aliases = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
        out.append((school, aliases))
    return out


def load_places(path: Path = PLACES_FILE) -> list[Place]:
    """Read the places data file."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Place(row["place"], row["country"], row["type"], row["kind"])
            for row in csv.DictReader(handle)
        ]


@lru_cache(maxsize=1)
def default_index() -> SchoolIndex:
    """The index over the bundled data files, built once per process."""
    return SchoolIndex(load_schools(), load_places())


@lru_cache(maxsize=8192)
def classify_school(written: str | None) -> SchoolMatch:
    """Classify a school as written on a page; None or blank is UNKNOWN (cached: rosters repeat
    the same schools)."""
    if not written or not written.strip():
        return SchoolMatch(written or "", "UNKNOWN")
    return default_index().match(written)
