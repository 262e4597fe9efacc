"""Cheap guesses of how useful a link is, from its anchor text and URL.

Weights are data: a page that lists residents or states visa policy is what every cycle must
reach within its page budget; news and calendars rarely state either.
"""

from __future__ import annotations

import re

# (pattern over "anchor text + URL path", weight)
LINK_WEIGHTS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern, re.I), weight)
    for pattern, weight in (
        (r"current[\s_-]*residents|meet[\s_-]*(?:our|the)[\s_-]*residents|our[\s_-]*residents", 12),
        (r"\bresidents?\b|house[\s_-]*staff|roster|\binterns?\b|class[\s_-]*of", 10),
        (r"\bvisas?\b|immigration|sponsorship", 10),
        (r"eligib|requirements|criteria", 9),
        (r"\bimgs?\b|international[\s_-]*(?:medical[\s_-]*)?graduates?|international", 7),
        (r"\bapply\b|applica|how[\s_-]*to[\s_-]*apply|selection|recruit", 6),
        (r"\bfaqs?\b|frequently[\s_-]*asked|questions", 6),
        (r"well[\s_-]*being|wellness", 5),
        (r"mentor", 5),
        (r"orientation|onboarding", 5),
        (r"diversity|inclusion|\bdei\b|equity", 4),
        (r"\bgme\b|graduate[\s_-]*medical[\s_-]*education", 4),
        (r"people|our[\s_-]*team|education|program|curriculum|benefits", 2),
        (r"news|events?|calendar|blog|login|sign[\s_-]*in|donate|giving|privacy|careers", -4),
    )
)


def score_link(text: str, url: str) -> int:
    """Sum of the weights whose pattern appears in the anchor text or the URL."""
    haystack = f"{text} {url}"
    return sum(weight for pattern, weight in LINK_WEIGHTS if pattern.search(haystack))


# Page types whose content a browser may have to build (see crawler/browser.py).
EXPECTED_TYPES = (
    ("roster", re.compile(r"resident|house[\s_-]*staff|roster|\binterns?\b|class[\s_-]*of", re.I)),
    ("visa", re.compile(r"\bvisas?\b|immigration|sponsorship", re.I)),
)


def expected_type(text: str, url: str) -> str | None:
    """'roster' or 'visa' when the link promises that kind of page, else None."""
    haystack = f"{text} {url}"
    return next((name for name, pattern in EXPECTED_TYPES if pattern.search(haystack)), None)
