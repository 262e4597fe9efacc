"""Visa sponsorship statements -> visa.j1, visa.h1b, visa.h1b_conditions, visa.citizens_only.

Stages per sentence (questions are never statements; an FAQ answer borrows its question's
subject):
  1. citizens/permanent residents only -> both visas no, citizens_only true;
  2. "J-1 only" -> j1 yes, h1b no;
  3. each clause (split at "but", ";", "however", "while") that names J-1, H-1B or visas in
     general: negated -> no; conditional wording -> conditional (H-1B) with conditions;
     a sponsorship verb -> yes.
Green-card statements say nothing about J-1 or H-1B and are skipped.
"""

from __future__ import annotations

import re

from normalizers.document import Document, Evidence, Finding
from normalizers.sentences import Sentence, sentences

EXTRACTOR = "visa@1"

CLAUSE_SPLIT = re.compile(r";|\bbut\b|\bhowever\b|\bwhile\b|\bwhereas\b|\bexcept\b|, and we\b")
CITIZENS_ONLY = re.compile(
    r"\bonly (?:us |united states )?citizens"
    r"|\b(?:citizens?|citizenship) (?:and|or) (?:lawful )?(?:permanent residents?|green card holders?)"
    r"(?: only| are eligible| will be considered| may apply| can be considered)"
    r"|\bmust be (?:a |an )?(?:us |united states )?citizens?,? (?:or|and) (?:a )?(?:lawful )?"
    r"permanent resident"
    r"|\blimited to (?:us |united states )?citizens"
    r"|\bgreen card holders only\b"
)
J1_ONLY = re.compile(
    r"\bj-1(?: visas?)?(?: \([^)]*\))?,? only\b|\bonly (?:sponsor|accept|offer|support|consider)s? "
    r"(?:the )?(?:ecfmg[- ]sponsored )?j-1\b|\bonly (?:the )?(?:ecfmg[- ]sponsored )?j-1\b"
    r"|\bexclusively (?:the )?j-1\b|\blimited to (?:the )?j-1\b|\bsolely (?:the )?j-1\b"
)
GENERIC_VISA = re.compile(
    r"\bvisa sponsorship\b|\bsponsor(?:ship of)? (?:any |all )?(?:types of )?visas?\b"
    r"|\bvisas? (?:are|is|will be|can be|cannot be) (?:not )?sponsored\b|\bsponsor(?:ing)? visas\b"
    r"|\bvisas? (?:sponsorship )?(?:is|are) not (?:offered|available|provided)\b"
)
GREEN_CARD = re.compile(r"\bgreen card\b|\bpermanent residen(?:cy|ce) (?:sponsorship|application)")
NEGATION = re.compile(
    r"\b(?:do|does|did|will|can|are|is|am|were|was)(?:n't| not)\b|\bcannot\b|\bunable\b"
    r"|\bnot (?:able|in a position|currently|presently|offer|provide|sponsor|accept|available|"
    r"eligible|considered|possible|support)\b|\bno (?:visa|h-1b|j-1|sponsorship)\b|\bnever\b"
    r"|\bno longer\b|\bnot\b.{0,20}\bsponsor"
)
CONDITIONAL = re.compile(
    r"case[- ]by[- ]case|individual basis|\bonly (?:if|when|for|after|to)\b|\bprovided (?:that)?\b"
    r"|\brequire[sd]?\b|\bmust (?:have )?pass|\bcontingent\b|\blimited number\b|\bselect(?:ed)? "
    r"|\bin (?:some|certain|rare|limited) (?:cases|circumstances|instances)\b|\bmay (?:be )?consider"
    r"|\bon a limited basis\b|\bdepending on\b|\bunder certain\b|\bif (?:the )?applicants?\b"
    r"|\bwho (?:have|has) (?:already )?passed\b|\bafter passing\b|\bby the time\b"
)
POSITIVE = re.compile(
    r"\bsponsor|\baccept|\bsupport|\boffer|\beligible\b|\bavailable\b|\bprovide|\bconsider"
    r"|\bwelcome|\bprocess|\bwe (?:do )?(?:take|use)\b|\bj-1 (?:and|or|&) h-1b\b|\bh-1b (?:and|or|&) j-1\b"
)
H1B_CONDITIONS = (
    ("step3_required", re.compile(r"\bstep (?:3|iii|three)\b")),
    (
        "already_h1b",
        re.compile(
            r"\balready (?:hold|have|on|possess)|\bcurrently (?:hold|on|have)"
            r"|\bexisting h-1b|\btransfer|\bcap[- ]exempt (?:h-1b )?transfer"
        ),
    ),
    ("us_grad_f1", re.compile(r"\bf-1\b|\bgraduates? of (?:a )?us (?:medical )?school")),
    ("case_by_case", re.compile(r"case[- ]by[- ]case|individual basis")),
)
YES_NO_ANSWER = re.compile(r"^(yes|no)\b")


def _types(norm: str) -> set[str]:
    found = set()
    if "j-1" in norm:
        found.add("visa.j1")
    if "h-1b" in norm:
        found.add("visa.h1b")
    return found


def _conditions(norm: str) -> list[str]:
    found = [name for name, pattern in H1B_CONDITIONS if pattern.search(norm)]
    return found or ["other"]


class _Collector:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.findings: list[Finding] = []

    def add(self, indicator: str, value, confidence: float, start: int, end: int) -> None:
        self.findings.append(
            Finding(indicator, value, confidence, Evidence.span(self.doc, start, end), EXTRACTOR)
        )

    def verdict(
        self,
        types: set[str],
        norm: str,
        start: int,
        end: int,
        confidence: float,
        negated: bool | None = None,
    ) -> None:
        negated = bool(NEGATION.search(norm)) if negated is None else negated
        for indicator in sorted(types):
            if negated:
                self.add(indicator, "no", confidence, start, end)
            elif indicator == "visa.h1b" and CONDITIONAL.search(norm):
                self.add(indicator, "conditional", confidence - 0.05, start, end)
                self.add("visa.h1b_conditions", _conditions(norm), confidence - 0.05, start, end)
            elif POSITIVE.search(norm):
                self.add(indicator, "yes", confidence, start, end)


def _statement(out: _Collector, sentence: Sentence) -> None:
    norm = sentence.norm
    if CITIZENS_ONLY.search(norm) and not _types(norm) - {"visa.j1", "visa.h1b"}:
        if not re.search(r"\bnot (?:only|limited)\b", norm):
            out.add("visa.citizens_only", True, 0.9, sentence.start, sentence.end)
            out.verdict(
                {"visa.j1", "visa.h1b"}, norm, sentence.start, sentence.end, 0.85, negated=True
            )
            return
    if J1_ONLY.search(norm):
        out.add("visa.j1", "yes", 0.93, sentence.start, sentence.end)
        out.add("visa.h1b", "no", 0.9, sentence.start, sentence.end)
        return
    for clause in CLAUSE_SPLIT.split(norm):
        types = _types(clause)
        if not types:
            if GREEN_CARD.search(clause) or not GENERIC_VISA.search(clause):
                continue
            # "We do not sponsor visas" covers both; a bare "we sponsor visas" says too little.
            if not NEGATION.search(clause):
                continue
            types = {"visa.j1", "visa.h1b"}
        out.verdict(types, clause, sentence.start, sentence.end, 0.93)


def extract_visa(doc: Document) -> list[Finding]:
    """Visa findings of one page."""
    out = _Collector(doc)
    items = sentences(doc)
    for index, sentence in enumerate(items):
        if sentence.is_question:
            types = _types(sentence.norm)
            generic = not types and bool(GENERIC_VISA.search(sentence.norm))
            if generic:
                types = {"visa.j1", "visa.h1b"}
            answer = items[index + 1] if index + 1 < len(items) else None
            # An FAQ answer "No." / "Yes, ..." takes its subject from the question; an answer
            # naming visas itself is read on its own, and a blank answer says nothing.
            if types and answer and not answer.is_question and not _types(answer.norm):
                match = YES_NO_ANSWER.match(answer.norm)
                # "Do you sponsor visas? Yes." does not say which: only a "no" covers both.
                if match and not (generic and match.group(1) == "yes"):
                    out.verdict(
                        types,
                        f"{sentence.norm} {answer.norm}",
                        sentence.start,
                        answer.end,
                        0.85,
                        negated=match.group(1) == "no",
                    )
            continue
        _statement(out, sentence)
    return out.findings
