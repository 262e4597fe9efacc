"""Findings -> one current value per indicator; residents -> roster aggregates. Pure.

Rules, per indicator:
- one distinct value: that value;
- visa yes + conditional: conditional (the condition refines the yes);
- list values (visa.h1b_conditions): the union;
- otherwise a conflict: the value with the most total confidence wins, flagged `conflicting`
  with the others kept for the reviewer.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from normalizers.document import ResidentRecord
from normalizers.roster import merge_residents

S = TypeVar("S")

H1B_CONDITIONS = ("step3_required", "already_h1b", "us_grad_f1", "case_by_case", "other")
VISA_TRISTATE = ("visa.j1", "visa.h1b")
US_CANADIAN = frozenset({"US_MD", "US_DO", "CA_MD"})


@dataclass
class Resolved(Generic[S]):
    value: Any
    confidence: float
    sources: list[S]
    status: str = "auto"  # auto | conflicting
    conflicting: list[Any] = field(default_factory=list)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def resolve_values(items: list[tuple[str, Any, float, S]]) -> dict[str, Resolved[S]]:
    """Resolve (indicator, value, confidence, source) tuples into one value per indicator."""
    grouped: dict[str, list[tuple[Any, float, S]]] = defaultdict(list)
    for indicator, value, confidence, source in items:
        grouped[indicator].append((value, confidence, source))
    out: dict[str, Resolved[S]] = {}
    for indicator, entries in grouped.items():
        if indicator == "visa.h1b_conditions":
            union = {c for value, _, _ in entries for c in value}
            out[indicator] = Resolved(
                [c for c in H1B_CONDITIONS if c in union],
                max(c for _, c, _ in entries),
                [s for _, _, s in entries],
            )
            continue
        by_value: dict[str, list[tuple[Any, float, S]]] = defaultdict(list)
        for entry in entries:
            by_value[_key(entry[0])].append(entry)
        if indicator in VISA_TRISTATE and set(by_value) == {'"yes"', '"conditional"'}:
            by_value = {'"conditional"': by_value['"yes"'] + by_value['"conditional"']}
            for key, group in list(by_value.items()):
                by_value[key] = [("conditional", c, s) for _, c, s in group]
        ranked = sorted(by_value.values(), key=lambda group: -sum(c for _, c, _ in group))
        best = ranked[0]
        resolved = Resolved(best[0][0], max(c for _, c, _ in best), [s for _, _, s in best])
        if len(ranked) > 1:
            resolved.status = "conflicting"
            resolved.conflicting = [group[0][0] for group in ranked[1:]]
        out[indicator] = resolved
    h1b = out.get("visa.h1b")
    if "visa.h1b_conditions" in out and (h1b is None or h1b.value != "conditional"):
        del out["visa.h1b_conditions"]  # conditions only qualify a conditional H-1B
    return out


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def roster_aggregates(residents: list[ResidentRecord]) -> dict[str, Any]:
    """roster.* values (and people.img_chief) from a program's current residents."""
    residents = merge_residents(residents)
    if not residents:
        return {}
    classified = [r for r in residents if r.school_type != "UNKNOWN"]
    img = [r for r in classified if r.img]
    caribbean = [r for r in img if r.school_type == "IMG_CARIBBEAN"]
    out: dict[str, Any] = {
        "roster.resident_count": len(residents),
        "roster.img_share": {
            "img": len(img),
            "us_canadian": len(classified) - len(img),
            "unknown": len(residents) - len(classified),
            "total": len(residents),
            "share": _share(len(img), len(classified)),
        },
        "roster.caribbean_share": {
            "caribbean": len(caribbean),
            "classified": len(classified),
            "share": _share(len(caribbean), len(classified)),
        },
    }
    countries = Counter(r.country for r in img if r.country)
    if countries:
        out["roster.countries"] = dict(sorted(countries.items()))
    for attribute, indicator in (
        ("pgy", "roster.img_share_by_pgy"),
        ("class_year", "roster.img_share_by_class_year"),
    ):
        groups: dict[str, list[ResidentRecord]] = defaultdict(list)
        for resident in residents:
            if getattr(resident, attribute) is not None:
                groups[str(getattr(resident, attribute))].append(resident)
        if groups:
            out[indicator] = {
                key: {
                    "total": len(members),
                    "img": sum(r.img for r in members),
                    "share": _share(
                        sum(r.img for r in members),
                        sum(r.school_type != "UNKNOWN" for r in members),
                    ),
                }
                for key, members in sorted(groups.items())
            }
    if any(r.chief and r.img for r in residents):
        out["people.img_chief"] = True
    return out
