"""The indicator vocabulary of DESIGN section 6, as validators for reviewer corrections."""

from __future__ import annotations

import json
from typing import Any

TRISTATE = ("yes", "no", "conditional")
H1B_CONDITIONS = ("step3_required", "already_h1b", "us_grad_f1", "case_by_case", "other")
BOOLEAN_INDICATORS = (
    "elig.observership_counts",
    "mentorship.formal",
    "mentorship.img_specific",
    "orientation.present",
    "orientation.img_specific",
    "wellness.mental_health",
    "wellness.peer_support",
    "wellness.protected_time",
    "wellness.committee",
    "language.support",
    "dei.initiatives",
    "support.img_specific",
)
# indicator -> (kind, allowed): enum values, an integer range, or a fixed true
VOCABULARY: dict[str, tuple[str, Any]] = {
    "visa.j1": ("enum", TRISTATE),
    "visa.h1b": ("enum", TRISTATE),
    "visa.h1b_conditions": ("subset", H1B_CONDITIONS),
    "visa.citizens_only": ("true", None),
    "elig.img_accepted": ("enum", ("yes", "no")),
    "elig.step1_min": ("int", (150, 300)),
    "elig.step2ck_min": ("int", (150, 300)),
    "elig.attempts_max": ("int", (1, 6)),
    "elig.yog_max_years": ("int", (0, 40)),
    "elig.usce": ("enum", ("required", "preferred", "not_required")),
    "elig.ecfmg_required": ("enum", ("yes",)),
    "orientation.weeks": ("int", (0, 52)),
    "people.img_chief": ("true", None),
    **{name: ("bool", None) for name in BOOLEAN_INDICATORS},
}


class VocabularyError(ValueError):
    """A value that the indicator's vocabulary does not allow."""


def parse_value(indicator: str, text: str) -> Any:
    """Parse a reviewer's corrected value (JSON, or a bare word) and check it fits INDICATOR."""
    if indicator not in VOCABULARY:
        raise VocabularyError(f"{indicator} cannot be corrected by hand (derived or unknown)")
    kind, allowed = VOCABULARY[indicator]
    try:
        value = json.loads(text)
    except ValueError:
        value = text.strip()
    ok = {
        "enum": lambda v: v in allowed,
        "subset": lambda v: isinstance(v, list) and v and set(v) <= set(allowed),
        "true": lambda v: v is True,
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: (
            isinstance(v, int) and not isinstance(v, bool) and allowed[0] <= v <= allowed[1]
        ),
    }[kind](value)
    if not ok:
        raise VocabularyError(f"{indicator} must be {_describe(kind, allowed)}, not {text!r}")
    return value


def _describe(kind: str, allowed: Any) -> str:
    if kind == "enum":
        return f"one of {', '.join(allowed)}"
    if kind == "subset":
        return f"a JSON list of {', '.join(allowed)}"
    if kind == "int":
        return f"a whole number from {allowed[0]} to {allowed[1]}"
    return "true" if kind == "true" else "true or false"
