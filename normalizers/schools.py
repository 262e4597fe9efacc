"""Medical-school classification: school name as written -> school, type and country.

Classification is by the school's location and accreditation, never by the person: US MD (LCME,
Puerto Rico included), US DO (COCA) and Canadian (CACMS) schools are not IMG; every other school
is. Stages, first hit wins:
  1. exact normalised name or alias;
  2. the same words in another order;
  3. the leading part before a comma, dash or parenthesis ("X, Mumbai", "X (2019)");
  4. the longest known name or alias contained in the text ("MD, X; BS, Y");
  5. a country or a well-known foreign city named in the text (type from the country);
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
SEGMENT_SPLIT = re.compile(r"\s*(?:,|;|\(|\)| - | – | — |/)\s*")

# Countries (and cities residents often name instead) -> (country, type) for stage 5.
CARIBBEAN = (
    "grenada",
    "dominica",
    "saint kitts",
    "nevis",
    "sint maarten",
    "saint maarten",
    "saba",
    "aruba",
    "curacao",
    "antigua",
    "barbados",
    "jamaica",
    "trinidad",
    "cayman islands",
    "saint lucia",
    "saint vincent",
    "montserrat",
    "anguilla",
    "bonaire",
    "dominican republic",
    "bahamas",
    "haiti",
    "cuba",
    "belize",
    "guyana",
)
COUNTRY_CITIES = {
    "India": (
        "india",
        "mumbai",
        "new delhi",
        "delhi",
        "kolkata",
        "chennai",
        "bangalore",
        "bengaluru",
        "hyderabad",
        "pune",
        "lucknow",
        "ahmedabad",
        "manipal",
        "vellore",
    ),
    "Pakistan": (
        "pakistan",
        "lahore",
        "karachi",
        "rawalpindi",
        "islamabad",
        "peshawar",
        "multan",
        "faisalabad",
    ),
    "Egypt": ("egypt", "cairo", "alexandria", "mansoura", "assiut", "tanta"),
    "Nigeria": ("nigeria", "lagos", "ibadan", "enugu", "benin city"),
    "Philippines": ("philippines", "manila", "cebu"),
    "Mexico": ("mexico", "guadalajara", "monterrey"),
    "Bangladesh": ("bangladesh", "dhaka", "chittagong"),
    "Nepal": ("nepal", "kathmandu"),
    "Lebanon": ("lebanon", "beirut"),
    "Jordan": ("jordan", "amman"),
    "Syria": ("syria", "damascus", "aleppo"),
    "Iran": ("iran", "tehran", "shiraz"),
    "Iraq": ("iraq", "baghdad"),
    "Saudi Arabia": ("saudi arabia", "riyadh", "jeddah"),
    "Sudan": ("sudan", "khartoum"),
    "Ethiopia": ("ethiopia", "addis ababa"),
    "Kenya": ("kenya", "nairobi"),
    "Ghana": ("ghana", "accra", "kumasi"),
    "Uganda": ("uganda", "kampala"),
    "South Africa": ("south africa", "cape town", "johannesburg"),
    "China": ("china", "beijing", "shanghai"),
    "Brazil": ("brazil", "brasil", "sao paulo", "rio de janeiro"),
    "Argentina": ("argentina", "buenos aires", "cordoba"),
    "Colombia": ("colombia", "bogota", "medellin"),
    "Venezuela": ("venezuela", "caracas"),
    "Peru": ("peru", "lima"),
    "Chile": ("chile", "santiago"),
    "Ecuador": ("ecuador", "quito", "guayaquil"),
    "Guatemala": ("guatemala",),
    "Honduras": ("honduras", "tegucigalpa"),
    "Nicaragua": ("nicaragua", "managua"),
    "Poland": ("poland", "krakow", "warsaw"),
    "Hungary": ("hungary", "budapest"),
    "Czech Republic": ("czech republic", "prague"),
    "Italy": ("italy", "rome"),
    "Ireland": ("ireland", "dublin"),
    "United Kingdom": ("united kingdom", "london", "england", "scotland"),
    "Germany": ("germany", "berlin", "munich"),
    "Russia": ("russia", "moscow"),
    "Ukraine": ("ukraine", "kyiv", "kiev"),
    "Turkey": ("turkey", "istanbul", "ankara"),
    "Israel": ("israel", "tel aviv", "jerusalem"),
    "Sri Lanka": ("sri lanka", "colombo"),
    "Vietnam": ("vietnam", "hanoi"),
    "South Korea": ("south korea", "korea", "seoul"),
    "Japan": ("japan", "tokyo"),
    "Taiwan": ("taiwan", "taipei"),
    "Australia": ("australia", "sydney", "melbourne"),
}


@dataclass(frozen=True)
class School:
    id: str
    name: str
    type: str
    country: str
    region: str


@dataclass(frozen=True)
class SchoolMatch:
    """The classification of one school string, with how it was reached."""

    written: str
    type: str
    country: str | None = None
    school: School | None = None
    method: str = "unknown"  # exact | word-order | leading-part | contains | country | unknown
    matched: str | None = None  # the name, alias or place that matched

    @property
    def img(self) -> bool:
        return self.type in IMG_TYPES


def fold(text: str) -> str:
    """Accents off, lower case, '&' as 'and'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.casefold().replace("&", " and ")


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


class SchoolIndex:
    """Known schools keyed by normalised names and aliases."""

    def __init__(self, schools: list[tuple[School, list[str]]]) -> None:
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
        self.places = [
            (re.compile(rf"\b{re.escape(place)}\b"), country, "IMG_OTHER")
            for country, places in COUNTRY_CITIES.items()
            for place in places
        ] + [
            (re.compile(rf"\b{re.escape(place)}\b"), place.title(), "IMG_CARIBBEAN")
            for place in CARIBBEAN
        ]

    def __len__(self) -> int:
        return len({school.id for school, _ in self.exact.values()})

    def _found(self, written: str, hit: tuple[School, str], method: str) -> SchoolMatch:
        school, label = hit
        return SchoolMatch(written, school.type, school.country, school, method, label)

    def match(self, written: str) -> SchoolMatch:
        """Classify one school string."""
        key = tokens(written)
        if not key:
            return SchoolMatch(written, "UNKNOWN")
        if key in self.exact:
            return self._found(written, self.exact[key], "exact")
        if tuple(sorted(key)) in self.unordered:
            return self._found(written, self.unordered[tuple(sorted(key))], "word-order")
        segments = [s for s in SEGMENT_SPLIT.split(written) if s.strip()]
        if len(segments) > 1:
            for end in range(len(segments) - 1, 0, -1):
                part = tokens(" ".join(segments[:end]))
                if part in self.exact:
                    return self._found(written, self.exact[part], "leading-part")
        best: tuple[tuple[str, ...], School, str] | None = None
        for i, word in enumerate(key):
            for alias_key, school, label in self.by_first_word.get(word, ()):
                if best and len(alias_key) <= len(best[0]):
                    break
                if key[i : i + len(alias_key)] == alias_key:
                    best = (alias_key, school, label)
                    break
        if best:
            return self._found(written, (best[1], best[2]), "contains")
        folded = " ".join(re.sub(r"[^\w\s]", " ", fold(written)).split())
        for pattern, country, school_type in self.places:
            if pattern.search(folded):
                return SchoolMatch(written, school_type, country, None, "country", country)
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


@lru_cache(maxsize=1)
def default_index() -> SchoolIndex:
    """The index over the bundled data file, built once per process."""
    return SchoolIndex(load_schools())


def classify_school(written: str | None) -> SchoolMatch:
    """Classify a school as written on a page; None or blank is UNKNOWN."""
    if not written or not written.strip():
        return SchoolMatch(written or "", "UNKNOWN")
    return default_index().match(written)
