"""Page-type classification from URL, title, headings and what was extracted."""

from __future__ import annotations

import re

from normalizers.document import Document, Finding, ResidentRecord

EXTRACTOR = "page_types@2"

# (page type, pattern over URL path + title + headings)
TYPE_PATTERNS = (
    (
        "roster",
        re.compile(
            r"resident|intern|house ?staff|roster|class of|meet (?:the|our)|people"
            r"|our team",
            re.I,
        ),
    ),
    ("visa", re.compile(r"visa|immigration|sponsorship|international", re.I)),
    (
        "eligibility",
        re.compile(
            r"eligib|requirement|criteria|apply|application|applicant"
            r"|selection|how to apply|img",
            re.I,
        ),
    ),
    ("faq", re.compile(r"\bfaqs?\b|frequently asked|questions", re.I)),
    (
        "support",
        re.compile(
            r"well-?ness|well-?being|mentor|orientation|onboarding|diversity"
            r"|inclusion|support|benefits",
            re.I,
        ),
    ),
)
# Without residents read, a page is a roster page only if its address or title says so.
ROSTER_PATH = re.compile(
    r"residents?(?:[-_](?:roster|directory|list))?(?:\.\w+)?/?$|roster|house-?staff|class-of"
    r"|meet-(?:the|our)-(?:residents|interns)|interns(?:\.\w+)?/?$",
    re.I,
)
ROSTER_TITLE = re.compile(
    r"^\W*(?:our |current |meet (?:the |our )?)?(?:residents|interns|house ?staff)\b|roster"
    r"|class of|(?:current|our) residents|meet (?:the|our) (?:residents|interns)",
    re.I,
)
FINDING_TYPES = {
    "visa": "visa",
    "elig": "eligibility",
    "mentorship": "support",
    "orientation": "support",
    "wellness": "support",
    "language": "support",
    "dei": "support",
    "support": "support",
}


def classify_page(
    doc: Document,
    findings: list[Finding] | tuple[Finding, ...] = (),
    residents: list[ResidentRecord] | tuple[ResidentRecord, ...] = (),
) -> list[str]:
    """Sorted page types; 'other' when nothing matched."""
    headings = " ".join(doc.block_text(b) for b in doc.blocks if b.kind == "heading")
    path = re.sub(r"^[a-z]+://[^/]+", "", doc.url)
    signals = f"{path} {doc.title} {headings}"
    types = {name for name, pattern in TYPE_PATTERNS if pattern.search(signals)}
    types |= {
        FINDING_TYPES[f.indicator.split(".")[0]]
        for f in findings
        if f.indicator.split(".")[0] in FINDING_TYPES
    }
    if residents:
        types.add("roster")
    elif "roster" in types and not (ROSTER_PATH.search(path) or ROSTER_TITLE.search(doc.title)):
        # A heading like "Resident Wellness" or "International Residents" does not make a
        # roster page; roster pages are re-fetched every cycle, so the type must be earned.
        types.discard("roster")
    return sorted(types) or ["other"]
