"""Page-type classification from URL, title, headings and what was extracted."""

from __future__ import annotations

import re

from normalizers.document import Document, Finding, ResidentRecord

EXTRACTOR = "page_types@1"

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
    elif "roster" in types and not re.search(r"resident|intern|roster|class of", signals, re.I):
        types.discard("roster")
    return sorted(types) or ["other"]
