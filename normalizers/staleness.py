"""Stale pages -> meta.page_stale: the page is evidently out of date on the day it was fetched.

Three signals, per sentence (questions state nothing):
  1. `retired_exam`: it asks for an exam that no longer exists (USMLE Step 2 CS, retired in
     January 2021), unless the same sentence says it is gone or no longer required;
  2. `past_cycle`: it presents an application cycle that ended before AS_OF as the current one
     ("applications for the 2021-2022 season are now open"); a cycle named in the past tense
     ("in the 2021 Match we filled...") is history, not staleness;
  3. `past_date`: it announces as coming an event dated in a year before AS_OF's ("orientation
     will run from June 15, 2020"); graduation and founding dates are not events to come.
A page that is merely old (a dated news item) is not stale: only what an applicant would act on.
"""

from __future__ import annotations

import re
from datetime import date

from normalizers.document import Document, Finding, FindingList
from normalizers.sentences import Sentence, sentences

EXTRACTOR = "staleness@1"

RETIRED_EXAM = re.compile(r"\bstep\s*2\s*(?:cs|clinical skills)\b|\bcs\b(?= (?:exam|score|result))")
EXAM_ASKED = re.compile(
    r"\brequire|\bmust\b|\bpass|\bneed|\bsubmit|\bscores?\b|\bresults?\b|\bdeadline"
    r"|\beligib|\bprior to\b|\bbefore\b|\bby\b|\b(?:and|or)\b"
)
EXAM_GONE = re.compile(
    r"\b(?:discontinued|retired|eliminated|suspended|no longer|not required|permanently"
    r"|was (?:cancelled|canceled)|replaced|waived|never)\b"
)
YEAR = r"(20\d\d)"
# "2021-2022 application cycle", "the 2021-22 recruitment season", "Match 2021", "ERAS 2022".
CYCLE = re.compile(
    rf"\b{YEAR}\s*[-–/]\s*(?:20)?(\d\d)\s+(?:(?:application|recruitment|recruiting|interview|match"
    rf"|residency application|eras)\s*(?:cycle|season|year|period)?|cycle|season)"
    rf"|\b(?:application|recruitment|interview|match) (?:cycle|season|year) (?:of )?{YEAR}"
    rf"(?:\s*[-–/]\s*(?:20)?(\d\d))?"
    rf"|\b(?:the )?{YEAR} (?:nrmp )?match\b|\bmatch {YEAR}\b|\beras {YEAR}\b"
)
# Wording that presents the cycle as the one an applicant is in.
PRESENT = re.compile(
    r"\b(?:is|are) (?:now )?(?:open|accepting|being accepted|due)\b|\bnow (?:open|accepting)\b"
    r"|\bwe (?:are|will be) (?:now )?(?:accepting|interviewing|reviewing|participating|recruiting)\b"
    r"|\bupcoming\b"
    r"|\bwill (?:be|begin|start|open|close|accept|hold|take place|interview|participate)\b"
    r"|\bdeadline\b|\bmust\b|\bapply\b|\bapplicants (?:for|to)\b|\bpolicy (?:for|applies)"
    r"|\beffective (?:for|beginning)\b|\bcurrent\b|\bthis (?:year|season|cycle)\b"
    r"|\binvitations\b|\bsubmit\b"
)
PAST = re.compile(
    r"\b(?:matched|filled|was|were|had|last (?:year|season|cycle)|previous|prior|past|history"
    r"|since|congratulat|welcomed|graduated|results?)\b"
)


MONTH_DATE = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december)"
    r"\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?((?:19|20)\d\d)\b"
)
COMING = re.compile(
    r"\bwill (?:run|begin|start|be held|take place|open|close|be|meet|arrive)\b|\bupcoming\b"
    r"|\b(?:incoming|entering|beginning|starting)\b|\bbegins on\b|\bstarts on\b|\bsee you\b"
    r"|\bdue (?:by|on)\b"
)
NOT_AN_EVENT = re.compile(
    r"graduat|\bborn\b|\bfounded\b|\bestablished\b|\bsince\b|\bupdated\b|copyright"
)


def _match_year(as_of: date) -> int:
    """The Match year of the cycle running on AS_OF (applications open in September)."""
    return as_of.year + 1 if as_of.month >= 9 else as_of.year


def _cycle_match_year(match: re.Match) -> int:
    years = [g for g in match.groups() if g]
    first = int(years[0])
    if len(years) > 1:  # "2021-2022" or "2021-22": the Match falls in the second year
        second = int(years[1]) if len(years[1]) == 4 else 2000 + int(years[1])
        return max(first, second)
    # "Match 2021" / "ERAS 2022": named by its Match year; "recruitment season 2021" likewise.
    return first


def _retired_exam(out: FindingList, sentence: Sentence) -> bool:
    norm = sentence.norm
    if RETIRED_EXAM.search(norm) and EXAM_ASKED.search(norm) and not EXAM_GONE.search(norm):
        out.add(sentence, "meta.page_stale", True, 0.8, detail={"reason": "retired_exam"})
        return True
    return False


def _past_cycle(out: FindingList, sentence: Sentence, as_of: date) -> bool:
    norm = sentence.norm
    if not PRESENT.search(norm) or PAST.search(norm):
        return False
    # The cycle may be named by the heading: "Information for the 2020 Match" / "We are now
    # interviewing...".
    for match in CYCLE.finditer(sentence.in_context):
        if _cycle_match_year(match) < _match_year(as_of):
            out.add(
                sentence,
                "meta.page_stale",
                True,
                0.75,
                detail={"reason": "past_cycle", "cycle": match.group(0)},
            )
            return True
    return False


def _past_date(out: FindingList, sentence: Sentence, as_of: date) -> bool:
    norm = sentence.norm
    if not COMING.search(norm) or NOT_AN_EVENT.search(norm) or PAST.search(norm):
        return False
    for match in MONTH_DATE.finditer(norm):
        if int(match.group(1)) < as_of.year:
            detail = {"reason": "past_date", "date": match.group(0)}
            out.add(sentence, "meta.page_stale", True, 0.7, detail=detail)
            return True
    return False


def extract_staleness(doc: Document, as_of: date | None = None) -> list[Finding]:
    """meta.page_stale findings of one page; past cycles are only judged when AS_OF is known."""
    out = FindingList(doc, EXTRACTOR)
    for sentence in sentences(doc):
        if sentence.is_question:
            continue
        if _retired_exam(out, sentence):
            continue
        if as_of is not None and not _past_cycle(out, sentence, as_of):
            _past_date(out, sentence, as_of)
    return list(out)
