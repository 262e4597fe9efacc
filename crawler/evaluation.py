"""The evaluation gate: score the normalizers on a labelled corpus; floors that only go up.

Corpus layout, label format and the exact scoring rules: tests/fixtures/eval/README.md. In short,
every page is scored on every indicator; a wrong value counts as both a false positive and a
false negative; accuracy leaves out the pages where label and prediction are both silent, so a
corpus of mostly-silent pages cannot inflate it. `imgcrawl eval` prints the figures and fails
when one falls below its floor in `<corpus>/floors.json`.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from normalizers.extract import document_from, extract_page, page_indicators
from normalizers.schools import classify_school, fold
from normalizers.vocabulary import VOCABULARY

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "eval"
DEFAULT_AS_OF = date(2026, 11, 1)
PAGE_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
}
SCORED_INDICATORS = tuple(sorted([*VOCABULARY, "meta.page_stale"]))
SUPPORT_PREFIXES = ("mentorship.", "orientation.", "wellness.", "language.", "dei.", "support.")
SUPPORT_BOOLEANS = tuple(
    i for i in SCORED_INDICATORS if i.startswith(SUPPORT_PREFIXES) and i != "orientation.weeks"
)
SCHOOL_TYPES = ("US_MD", "US_DO", "CA_MD", "IMG_CARIBBEAN", "IMG_OTHER", "UNKNOWN")
IMG_TYPES = ("IMG_CARIBBEAN", "IMG_OTHER")
# DESIGN section 7: what the product promises; printed beside the figures, not enforced
# (the floors are).
TARGETS = {
    "visa.accuracy": 0.95,
    "eligibility.accuracy": 0.90,
    "support.f1": 0.90,
    "roster.count_exact": 0.90,
    "schools.accuracy": 0.97,
}


class CorpusError(ValueError):
    """The corpus or its floors file is malformed; the message names the file."""


class BelowFloors(RuntimeError):
    """One or more figures fell below their pinned floors."""


@dataclass(frozen=True)
class Case:
    id: str  # family/name
    path: Path
    content_type: str
    label: dict[str, Any]


@dataclass
class Counts:
    """Confusion counts of one indicator (or a pool of indicators)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    wrong: int = 0  # a value was expected and another one predicted

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.wrong += other.wrong

    @property
    def expected(self) -> int:
        return self.tp + self.fn + self.wrong

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp + self.wrong)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.expected)

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    @property
    def accuracy(self) -> float | None:
        """Exactly right, over the pages where the label or the prediction has a value."""
        return _ratio(self.tp, self.tp + self.fp + self.fn + self.wrong)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Mistake:
    case: str
    indicator: str
    expected: Any
    predicted: Any
    quote: str | None = None


@dataclass
class EvalReport:
    corpus: str
    pages: int = 0
    seconds: float = 0.0
    largest_page_bytes: int = 0
    indicators: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    strictness: list[int] = field(default_factory=lambda: [0, 0])  # right, judged
    roster: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    schools: list[int] = field(default_factory=lambda: [0, 0])
    mistakes: list[Mistake] = field(default_factory=list)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    def pooled(self, indicators: tuple[str, ...]) -> Counts:
        total = Counts()
        for name in indicators:
            total.add(self.indicators[name])
        return total

    def figures(self) -> dict[str, float]:
        """The gated figures: family aggregates, roster and school figures, per-indicator F1."""
        visa = tuple(i for i in SCORED_INDICATORS if i.startswith("visa."))
        elig = tuple(i for i in SCORED_INDICATORS if i.startswith("elig."))
        out: dict[str, float | None] = {
            "visa.accuracy": self.pooled(visa).accuracy,
            "eligibility.accuracy": self.pooled(elig).accuracy,
            "eligibility.strictness_accuracy": _ratio(*self.strictness),
            "support.f1": self.pooled(SUPPORT_BOOLEANS).f1,
            **{f"roster.{name}": _ratio(*pair) for name, pair in sorted(self.roster.items())},
            "schools.accuracy": _ratio(*self.schools),
        }
        for name in SCORED_INDICATORS:
            counts = self.indicators[name]
            if counts.expected or counts.fp:
                out[f"indicator.{name}.f1"] = counts.f1
        return {k: round(v, 4) for k, v in out.items() if v is not None}

    def as_dict(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "pages": self.pages,
            "pages_per_second": round(self.pages_per_second, 1),
            "largest_page_kib": round(self.largest_page_bytes / 1024, 1),
            "figures": self.figures(),
            "indicators": {
                name: {
                    "expected": c.expected,
                    "tp": c.tp,
                    "fp": c.fp,
                    "fn": c.fn,
                    "wrong": c.wrong,
                    "precision": _rounded(c.precision),
                    "recall": _rounded(c.recall),
                    "f1": _rounded(c.f1),
                    "accuracy": _rounded(c.accuracy),
                }
                for name, c in sorted(self.indicators.items())
                if c.expected or c.fp
            },
            "mistakes": [m.__dict__ for m in self.mistakes],
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def load_corpus(root: Path) -> list[Case]:
    """Every labelled page under ROOT/<family>/; a page without a label (or the reverse) is an
    error, as is a label naming an indicator outside the vocabulary."""
    if not root.is_dir():
        raise CorpusError(f"{root}: no such corpus directory")
    cases = []
    for family in sorted(p for p in root.iterdir() if p.is_dir()):
        labels = {p.stem: p for p in family.glob("*.json")}
        pages = {p.stem: p for p in family.iterdir() if p.suffix.lower() in PAGE_TYPES}
        for stem in sorted(labels.keys() ^ pages.keys()):
            which = "label" if stem in pages else "page"
            raise CorpusError(f"{family / stem}: has no {which}")
        for stem in sorted(pages):
            label = _read_label(labels[stem])
            cases.append(
                Case(
                    f"{family.name}/{stem}",
                    pages[stem],
                    PAGE_TYPES[pages[stem].suffix.lower()],
                    label,
                )
            )
    if not cases:
        raise CorpusError(f"{root}: no labelled pages")
    return cases


def _read_label(path: Path) -> dict[str, Any]:
    try:
        label = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CorpusError(f"{path}: not valid JSON ({error})") from error
    unknown = set(label.get("indicators", {})) - set(SCORED_INDICATORS)
    if unknown:
        raise CorpusError(f"{path}: unknown indicator(s) {', '.join(sorted(unknown))}")
    return label


def _label_value(raw: Any) -> tuple[Any, str | None]:
    """A label value is the value itself, or {"value": ..., "strictness": ...}."""
    if isinstance(raw, dict) and "value" in raw:
        return raw["value"], raw.get("strictness")
    return raw, None


def _same(expected: Any, predicted: Any) -> bool:
    if isinstance(expected, list) and isinstance(predicted, list):
        return sorted(map(str, expected)) == sorted(map(str, predicted))
    return expected == predicted and type(expected) is type(predicted)


def _name_key(name: str) -> str:
    return " ".join(fold(name).replace(".", " ").split())


def _score_indicators(report: EvalReport, case: Case, predicted: dict[str, Any]) -> None:
    expected_all = dict(case.label.get("indicators", {}))
    if "residents" in case.label:
        labelled_chief = any(
            r.get("chief") and r["school_type"] in IMG_TYPES for r in case.label["residents"]
        )
        expected_all.pop("people.img_chief", None)
        if labelled_chief:
            expected_all["people.img_chief"] = True
    for name in SCORED_INDICATORS:
        counts = report.indicators[name]
        expected, strictness = _label_value(expected_all.get(name))
        found = predicted.get(name)
        value = found["value"] if found else None
        quote = found["evidence"][0]["quote"] if found and found["evidence"] else None
        if expected is None and found is None:
            continue
        if expected is None:
            counts.fp += 1
        elif found is None:
            counts.fn += 1
        elif _same(expected, value):
            counts.tp += 1
            if strictness:
                said = next((e.get("strictness") for e in found["evidence"]), None)
                report.strictness[1] += 1
                report.strictness[0] += said == strictness
            continue
        else:
            counts.wrong += 1
        report.mistakes.append(Mistake(case.id, name, expected, value, quote))


def _score_residents(report: EvalReport, case: Case, residents: list[dict[str, Any]]) -> None:
    roster = report.roster
    if "residents" not in case.label:
        roster["clean_non_roster_pages"][1] += 1
        roster["clean_non_roster_pages"][0] += not residents
        if residents:
            report.mistakes.append(
                Mistake(case.id, "residents", [], [r["name"] for r in residents][:5])
            )
        return
    expected = case.label["residents"]
    img = sum(r["school_type"] in IMG_TYPES for r in expected)
    for figure, right in (
        ("count_exact", len(residents) == len(expected)),
        ("img_count_exact", sum(r["img"] for r in residents) == img),
    ):
        roster[figure][0] += right
        roster[figure][1] += 1
    if len(residents) != len(expected):
        report.mistakes.append(Mistake(case.id, "resident_count", len(expected), len(residents)))
    found = {_name_key(r["name"]): r for r in residents}
    roster["resident_recall"][1] += len(expected)
    roster["resident_precision"][1] += len(residents)
    expected_names = {_name_key(r["name"]) for r in expected}
    roster["resident_precision"][0] += sum(key in expected_names for key in found)
    for person in expected:
        got = found.get(_name_key(person["name"]))
        if got is None:
            report.mistakes.append(Mistake(case.id, "resident_missed", person["name"], None))
            continue
        roster["resident_recall"][0] += 1
        for attribute, figure in (
            ("school_type", "school_type_accuracy"),
            ("pgy", "pgy_accuracy"),
            ("class_year", "class_year_accuracy"),
            ("chief", "chief_accuracy"),
        ):
            right = got.get(attribute) == person.get(attribute)
            roster[figure][0] += right
            roster[figure][1] += 1
            if not right:
                report.mistakes.append(
                    Mistake(
                        case.id,
                        f"resident.{attribute}",
                        f"{person['name']}: {person.get(attribute)}",
                        got.get(attribute),
                        got.get("school"),
                    )
                )


def _score_schools(report: EvalReport, path: Path) -> None:
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if row.get("type") not in SCHOOL_TYPES:
                raise CorpusError(f"{path}:{line}: type must be one of {', '.join(SCHOOL_TYPES)}")
            got = classify_school(row["written"]).type
            report.schools[1] += 1
            report.schools[0] += got == row["type"]
            if got != row["type"]:
                report.mistakes.append(
                    Mistake("schools.csv", "school_type", f"{row['written']}: {row['type']}", got)
                )


def evaluate(root: Path = DEFAULT_CORPUS) -> EvalReport:
    """Run the normalizers over every corpus page and score them against the labels."""
    cases = load_corpus(root)
    report = EvalReport(str(root))
    classify_school("warm-up")  # build the schools index outside the timing
    for case in cases:
        body = case.path.read_bytes()
        as_of = date.fromisoformat(case.label.get("as_of", DEFAULT_AS_OF.isoformat()))
        # CPU time of this process: the figure is "pages per second on one core", and the
        # machine running the tests is shared.
        started = time.process_time()
        document = document_from(body, case.content_type, case.label.get("url", ""))
        result = extract_page(document, as_of)
        report.seconds += time.process_time() - started
        report.pages += 1
        report.largest_page_bytes = max(report.largest_page_bytes, len(body))
        predicted = page_indicators(result)
        # people.img_chief is derived from the residents (as the resolve stage does), so it is
        # scored the same way on both sides: from the residents found and those labelled.
        residents = [r.as_dict() for r in result.residents]
        if any(r["chief"] and r["img"] for r in residents):
            predicted["people.img_chief"] = {"value": True, "evidence": []}
        _score_indicators(report, case, predicted)
        _score_residents(report, case, residents)
    _score_schools(report, root / "schools.csv")
    return report


# --- floors -----------------------------------------------------------------------------------


def floors_path(root: Path) -> Path:
    return root / "floors.json"


def read_floors(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"floors": {}, "history": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CorpusError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(data.get("floors"), dict):
        raise CorpusError(f"{path}: needs a 'floors' object")
    return data


def below_floors(figures: dict[str, float], floors: dict[str, float]) -> dict[str, tuple]:
    """Figures under their floor (a floor whose figure is gone counts as 0)."""
    return {
        name: (figures.get(name, 0.0), floor)
        for name, floor in sorted(floors.items())
        if figures.get(name, 0.0) < floor - 1e-9
    }


def check_floors(figures: dict[str, float], path: Path) -> None:
    """Raise BelowFloors naming every figure that fell below its floor."""
    failing = below_floors(figures, read_floors(path)["floors"])
    if failing:
        detail = "; ".join(f"{k} {got:.3f} < {floor:.3f}" for k, (got, floor) in failing.items())
        raise BelowFloors(f"{len(failing)} figure(s) below their floors in {path}: {detail}")


def _floor(value: float) -> float:
    """Rounded down, so the figure that set a floor always meets it."""
    return math.floor(value * 1000) / 1000


def update_floors(figures: dict[str, float], path: Path, lower_reason: str | None = None) -> dict:
    """Raise each floor to its current figure; lowering needs LOWER_REASON, which is recorded."""
    data = read_floors(path)
    old = data["floors"]
    failing = below_floors(figures, old)
    if failing and not lower_reason:
        raise BelowFloors(
            f"floors only go up: {', '.join(failing)} would be lowered; pass --lower-floors "
            "REASON (and give the reason in the commit)"
        )
    new = {name: _floor(value) for name, value in sorted(figures.items())}
    if not lower_reason:
        new = {name: max(value, old.get(name, 0.0)) for name, value in new.items()}
    raised = {k: v for k, v in new.items() if v > old.get(k, -1.0)}
    lowered = {k: v for k, v in new.items() if k in old and v < old[k]}
    dropped = sorted(set(old) - set(new)) if lower_reason else []
    if not lower_reason:
        new.update({k: v for k, v in old.items() if k not in new})
    entry: dict[str, Any] = {"date": datetime.now(UTC).date().isoformat(), "raised": raised}
    if lower_reason:
        entry.update(lowered=lowered, dropped=dropped, reason=lower_reason)
    data["floors"] = dict(sorted(new.items()))
    if raised or lowered or dropped:
        data["history"] = [*data.get("history", []), entry]
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return entry
