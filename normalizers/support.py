"""Support offered to residents -> mentorship, orientation, wellness, language, DEI, IMG support.

A sentence that names an offering gives `true`; the same sentence negated near the term
("we do not currently have a formal mentorship program") gives `false`. A term that only
appears in a navigation menu or a question gives nothing.
"""

from __future__ import annotations

import re

from normalizers.document import Document, Finding, FindingList
from normalizers.sentences import Sentence, sentences

EXTRACTOR = "support@1"

IMG = re.compile(
    r"\bimgs?\b|\binternational (?:medical )?graduates?\b|\bforeign medical graduates?\b"
    r"|\binternational residents?\b|\bnon-us graduates?\b"
)
# Negation is looked for in the few words before the term: wider windows catch unrelated "not"s.
NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|don't|doesn't|do not|does not|without|lack|lacks|nor|never|none|neither"
    r"|unfortunately|unable)\b(?:\W+\w+){0,6}\W*$"
)
NEGATION_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,4}(?:is|are) (?:not|no longer) (?:offered|available"
    r"|provided|part)"
)

MENTORSHIP = re.compile(
    r"\bmentor(?:ship|ing)? (?:program|programme|system|network|pairing|track)s?\b"
    r"|\bformal mentor|\b(?:assigned|paired|matched|partnered)\b(?: \w+){0,4} (?:with )?(?:an? )?"
    r"(?:\w+ )?(?:faculty |senior |peer |resident )?(?:mentors?|advisors?)\b"
    r"|\bmentors? (?:are|is) assigned\b|\bfaculty (?:mentors?|advisors?)\b"
    r"|\b(?:each|every) (?:resident|intern)\b.{0,40}\bmentor\b|\bmentorship\b"
)
ORIENTATION = re.compile(
    r"\b(?<!sexual )orientation\b|\bonboarding\b|\bboot ?camp\b|\bintern "
    r"(?:bootcamp|week)\b"
)
ORIENTATION_WEEKS = re.compile(
    r"\b(\d|one|two|three|four|five|six)[- ](?:week|wk)s?[- ](?:long )?(?:\w+ ){0,2}"
    r"(?:orientation|onboarding|boot ?camp)"
    r"|\b(?:orientation|onboarding|boot ?camp)\b[^.]{0,40}?\b(?:lasts?|spans?|of|runs?|is|for)"
    r"(?: \w+){0,2} (\d|one|two|three|four|five|six) (?:full )?weeks?"
    r"|\b(a|one)[- ]month[- ](?:long )?(?:orientation|onboarding)"
)
WEEK_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "a": 4}
MENTAL_HEALTH = re.compile(
    r"\bmental health\b|\bcounsel(?:l)?ing\b|\bcounsel(?:l)?ors?\b|\btherap(?:y|ists?)\b"
    r"|\bpsycholog(?:ist|ical) (?:services|support|care)|\bemployee assistance\b|\beap\b"
    r"|\bbehavioral health (?:services|support)\b"
)
PEER_SUPPORT = re.compile(
    r"\bpeer[- ]support|\bpeer[- ]to[- ]peer\b|\bsupport groups?\b"
    r"|\bbuddy (?:program|system)\b|\bbig sib|\bpeer mentor"
)
PROTECTED_TIME = re.compile(
    r"\bprotected (?:\w+ )?(?:time|half[- ]days?|days?|afternoons?)\b"
    r"|\bwellness (?:half[- ]days?|days?|afternoons?|time)\b"
    r"|\bwell-being (?:half[- ]days?|days?|afternoons?)\b"
)
WELLNESS_COMMITTEE = re.compile(
    r"\b(?:wellness|well-being|wellbeing) (?:committee|council|"
    r"champions?|task force)\b"
)
LANGUAGE = re.compile(
    r"\benglish (?:language|as a second language|conversation|tutoring|classes)|\besl\b"
    r"|\baccent (?:reduction|modification|coaching|training)\b|\bcommunication (?:skills )?"
    r"(?:coaching|training|support|workshops?|curriculum|course)s?\b|\blanguage (?:support|"
    r"coaching|classes|tutor|lessons)|\bpresentation coaching\b|\bspeaking (?:club|practice)"
)
MEDICAL_SPANISH = re.compile(r"\bmedical spanish\b|\bspanish for (?:clinicians|providers)")
DEI = re.compile(
    r"\boffice (?:of|for) (?:diversity|inclusion|equity|health equity|inclusive)"
    r"|\b(?:diversity|inclusion|equity)(?:,? (?:equity|inclusion|and|&|belonging))* "
    r"(?:office|committee|council|curriculum|task force|subcommittee|program|initiative)s?\b"
    r"|\b(?:dei|edi|ded|idea|jedi)\b (?:committee|council|office|curriculum|program|initiative)"
)
IMG_NOUN = r"(?:imgs?|international (?:medical )?graduates?|foreign medical graduates?|international residents?)"
SUPPORT_NOUN = (
    r"(?:support|programs?|groups?|workshops?|orientation|mentor\w*|resources?|liaisons?"
    r"|coordinators?|network|sessions?|curriculum|committee|onboarding|assistance|coaching)"
)
# Something offered *for* IMGs: "a workshop series for IMGs", "IMG mentorship", "IMG-specific".
IMG_SUPPORT = re.compile(
    rf"\b{SUPPORT_NOUN}\s+(?:\w+\s+){{0,3}}(?:for|to help|dedicated to|designed for|tailored (?:to|for))"
    rf"\s+(?:our\s+|all\s+)?(?:incoming\s+|new\s+)?{IMG_NOUN}\b"
    rf"|\bimg[- ](?:specific|focused|dedicated)\b|\b{IMG_NOUN}\s+{SUPPORT_NOUN}\b"
)

# (indicator, pattern, confidence)
SIMPLE_TERMS = (
    ("wellness.mental_health", MENTAL_HEALTH, 0.85),
    ("wellness.peer_support", PEER_SUPPORT, 0.85),
    ("wellness.protected_time", PROTECTED_TIME, 0.85),
    ("wellness.committee", WELLNESS_COMMITTEE, 0.9),
    ("dei.initiatives", DEI, 0.85),
)


def _negated(norm: str, match: re.Match) -> bool:
    return bool(
        NEGATION_BEFORE.search(norm[: match.start()]) or NEGATION_AFTER.search(norm[match.end() :])
    )


def _offering(
    out: FindingList,
    sentence: Sentence,
    indicator: str,
    pattern: re.Pattern,
    confidence: float,
    img_indicator: str | None = None,
) -> bool:
    """Record INDICATOR for the first match; optionally its IMG-specific twin. True if found."""
    match = pattern.search(sentence.norm)
    if not match:
        return False
    negated = _negated(sentence.norm, match)
    # "There is no IMG-specific orientation" denies only the IMG-specific kind.
    denies_only_img_kind = negated and IMG.search(
        sentence.norm[max(0, match.start() - 25) : match.start()]
    )
    if not denies_only_img_kind:
        out.add(sentence, indicator, not negated, confidence)
    if img_indicator and IMG.search(sentence.norm):
        out.add(sentence, img_indicator, not negated, confidence - 0.05)
    return True


def _orientation_weeks(out: FindingList, sentence: Sentence) -> None:
    match = ORIENTATION_WEEKS.search(sentence.norm)
    if match:
        token = next(group for group in match.groups() if group)
        weeks = int(token) if token.isdigit() else WEEK_WORDS[token]
        out.add(sentence, "orientation.weeks", weeks, 0.8)


def extract_support(doc: Document) -> list[Finding]:
    """Support findings of one page."""
    out = FindingList(doc, EXTRACTOR)
    for sentence in sentences(doc):
        norm = sentence.norm
        if sentence.is_question or len(norm) < 12:
            continue
        _offering(out, sentence, "mentorship.formal", MENTORSHIP, 0.85, "mentorship.img_specific")
        if _offering(
            out, sentence, "orientation.present", ORIENTATION, 0.8, "orientation.img_specific"
        ):
            _orientation_weeks(out, sentence)
        for indicator, pattern, confidence in SIMPLE_TERMS:
            _offering(out, sentence, indicator, pattern, confidence)
        if not MEDICAL_SPANISH.search(norm):
            _offering(out, sentence, "language.support", LANGUAGE, 0.8)
        _offering(out, sentence, "support.img_specific", IMG_SUPPORT, 0.75)
    return list(out)
