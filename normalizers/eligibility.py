"""Eligibility rules -> elig.* findings, with strictness (hard | preferred) on each.

Only stated minimums become elig.step*_min: averages, medians and "preferred"/"competitive"
levels describe the class, not the bar. Questions are skipped (they state nothing).
"""

from __future__ import annotations

import re

from normalizers.document import Document, Finding, FindingList
from normalizers.sentences import Sentence, sentences

EXTRACTOR = "eligibility@1"

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "single": 1,
}
NUM = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"

STEP_MENTION = re.compile(r"\bstep\s*(1|i|one|2\s*ck|2|ii\s*ck|two)\b(?!\s*cs)")
SCORE = re.compile(r"(?<![\d.])(1[89]\d|2[0-9]\d)(?!\d|\.\d|%)")
MINIMUM_WORDS = re.compile(
    r"\bminimum\b|\bat least\b|\bno (?:less|lower) than\b|>=|≥|\bor (?:higher|above|greater|better)\b"
    r"|\bcut-?off\b|\bthreshold\b|\bmust (?:have |score|achieve)|\brequired?\b|\bbelow\b.{0,30}\bnot\b"
)
NOT_A_MINIMUM = re.compile(
    r"\baverage\b|\bmean\b|\bmedian\b|\bprefer|\bcompetitive\b|\btypical|\brecommend|\bideal"
    r"|\bstrong applicants?\b|\bmatched\b|\brange\b"
)
PREFERRED = re.compile(r"\bprefer|\bideally\b|\bstrongly (?:encouraged|recommended)\b|\bdesir")

ATTEMPTS_FIRST = re.compile(
    r"\b(?:first|1st|single|one) (?:attempt|try|sitting)\b|\bwithout (?:any )?(?:failures?|repeats?)\b"
    r"|\bno (?:prior )?(?:failed attempts|failures|attempt failures)\b"
)
ATTEMPTS_N = re.compile(
    rf"\b(?:no more than|maximum of|max(?:imum)? of|at most|up to|not more than|a limit of) {NUM} "
    rf"attempts?|\b{NUM} (?:or fewer|attempts? or less|attempts? maximum|attempts? at most) "
    rf"|\b{NUM} attempts? (?:or fewer|maximum|at most|per step|on any step)"
)
ATTEMPTS_EXCEEDING = re.compile(rf"\bmore than {NUM} attempts?\b.{{0,40}}\b(?:not|ineligible)")
ATTEMPTS_CONTEXT = re.compile(r"\battempt|\bpass(?:ed)?\b.{0,40}\bstep|\bstep\b.{0,60}\bpass")
NO_ATTEMPT_LIMIT = re.compile(
    r"\bno (?:limit|restriction)s? on (?:the number of )?attempts"
    r"|\bmultiple attempts (?:are|will be) (?:accepted|considered)"
)

YOG = re.compile(
    rf"\bwithin (?:the (?:last|past) )?{NUM} years? (?:of|from|since|after) (?:your |their )?"
    rf"(?:medical school )?graduat"
    rf"|\bgraduat\w* (?:from (?:medical )?school )?(?:with)?in (?:the )?(?:last|past|previous|prior) {NUM} years"
    rf"|\b(?:no more than|not more than|less than|fewer than|at most|maximum of|up to) {NUM} "
    rf"years? (?:since|from|after|out of|post[- ]?) ?(?:medical school )?(?:graduation|graduating|school)"
    rf"|\b{NUM} years? or (?:less|fewer) (?:since|from|after|out of) (?:medical school )?graduat"
    rf"|\bgraduation (?:date )?(?:within|in) (?:the (?:last|past) )?{NUM} years"
    rf"|\b{NUM} years? (?:since|from|of) graduation (?:or less|at most|maximum)"
)
USCE = re.compile(
    r"\b(?:us|united states|american|u\.s) clinical (?:experience|exposure)\b|\busce\b"
    r"|\bclinical experience in the (?:us|united states)\b|\bhands-on (?:us )?clinical"
)
USCE_NOT_REQUIRED = re.compile(
    r"\bnot (?:required|necessary|mandatory|a requirement)\b"
    r"|\bno (?:us |minimum )?(?:clinical experience )?requirement\b"
    r"|\bdo(?:es)? not (?:require|need)\b|\bis optional\b"
)
USCE_REQUIRED = re.compile(
    r"\brequire|\bmust (?:have|complete|possess)\b|\bmandatory\b"
    r"|\bnecessary\b|\bneed to have\b|\bessential\b"
)
USCE_PREFERRED = re.compile(
    r"\bprefer|\bstrongly (?:encouraged|recommended)|\brecommended\b"
    r"|\ban? (?:advantage|asset|plus)\b|\bdesirable\b|\bencouraged\b"
    r"|\bfavou?rabl"
)
OBSERVERSHIP = re.compile(r"\bobservership")
OBSERVERSHIP_NO = re.compile(
    r"\b(?:do|does|will|would|are|is)(?:n't| not)\b.{0,40}\b(?:count|considered|qualify|satisfy|"
    r"accepted|meet|fulfil|substitute|equivalent)|\bnot (?:count|considered|accepted|sufficient)"
    r"|\bcannot (?:count|substitute|replace)|\bdo(?:es)? not meet\b|\bexcluding observerships\b"
    r"|\bobserverships? alone\b"
)
OBSERVERSHIP_YES = re.compile(
    r"\b(?:count|counts|considered|qualify|qualifies|accepted|satisfy|satisfies|meet|meets)\b"
    r".{0,30}\b(?:as|toward|towards|for)\b|\bincluding observerships\b|\bobserverships? (?:are|is) "
    r"(?:acceptable|accepted)|\bobserverships?,? (?:externships? )?(?:or|and) (?:externships?|"
    r"electives?) (?:all )?(?:count|qualify)"
)
ECFMG = re.compile(
    r"\becfmg certific(?:ate|ation)|\bcertified by (?:the )?ecfmg|\becfmg[- ]certified"
)
ECFMG_REQUIRED = re.compile(
    r"\brequire|\bmust\b|\bneed|\bby\b|\bprior to\b|\bbefore\b|\bno later"
    r"|\bmandatory\b|\bvalid\b|\bdeadline\b"
)
DEADLINE = re.compile(  # matched against the sentence as written, to quote the date
    r"(?i)\b(?:by|before|prior to|no later than)\s+((?:january|february|march|april|may|june|july|"
    r"august|september|october|november|december)\s+\d{1,2}(?:,?\s*\d{4})?|the (?:rank|ranking|"
    r"match|start|program start)[\w\s-]{0,30}?(?:deadline|date|day)|\d{1,2}/\d{1,2}/\d{2,4})"
)
IMG_WORDS = (
    r"(?:international medical graduates?|imgs?|foreign medical graduates?|fmgs?"
    r"|graduates of (?:international|foreign|non-us) (?:medical )?schools)"
)
IMG_ACCEPTED_NO = re.compile(
    rf"\b(?:do|does|will|can|are)(?:n't| not)\b.{{0,30}}\b(?:accept|consider|eligible|interview|"
    rf"rank)\w*.{{0,30}}{IMG_WORDS}|\b{IMG_WORDS} (?:are|is) not (?:eligible|considered|accepted)"
    rf"|\bonly (?:accept|consider)s? (?:applications from )?(?:graduates of )?(?:us|lcme|"
    rf"accredited us|united states)|\bunable to (?:accept|consider)\b.{{0,30}}{IMG_WORDS}"
)
IMG_ACCEPTED_YES = re.compile(
    rf"\b(?:welcome|accept|consider|encourage|invite)s?\b(?: applications? from)?(?: all)?"
    rf"(?: qualified)?(?: and)?(?: eligible)? {IMG_WORDS}"
    rf"|\b{IMG_WORDS} (?:are|is) (?:welcome|encouraged|eligible|considered|accepted)"
    rf"|\bapplications from {IMG_WORDS} (?:are|is) (?:welcome|encouraged|accepted)"
)


def _number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token]


def _first_number(match: re.Match) -> int:
    return _number(next(group for group in match.groups() if group))


def _step_key(token: str) -> str:
    token = re.sub(r"\s+", "", token)
    return "elig.step1_min" if token in {"1", "i", "one"} else "elig.step2ck_min"


def _scores(out: FindingList, sentence: Sentence) -> None:
    norm = sentence.norm
    steps = list(STEP_MENTION.finditer(norm))
    if not steps or not MINIMUM_WORDS.search(norm) or NOT_A_MINIMUM.search(norm):
        return
    scores = list(SCORE.finditer(norm))
    if len(scores) == len(steps) > 1 and scores[0].start() > steps[-1].end():
        # "Step 1 and Step 2 CK ... minimum scores of 215 and 225": respectively.
        pairs = list(zip(steps, scores, strict=True))
    else:
        # Otherwise the step named closest before a score (else after it) is its step.
        pairs = []
        for score in scores:
            before = [s for s in steps if s.end() <= score.start()]
            pairs.append((before[-1] if before else steps[0], score))
    for step, score in pairs:
        out.add(sentence, _step_key(step.group(1)), int(score.group(1)), 0.85, "hard")


def _attempts(out: FindingList, sentence: Sentence) -> None:
    norm = sentence.norm
    if NO_ATTEMPT_LIMIT.search(norm) or not ATTEMPTS_CONTEXT.search(norm):
        return
    strictness = "preferred" if PREFERRED.search(norm) else "hard"
    match = ATTEMPTS_N.search(norm)
    if match:
        out.add(sentence, "elig.attempts_max", _first_number(match), 0.85, strictness)
    elif match := ATTEMPTS_EXCEEDING.search(norm):
        out.add(sentence, "elig.attempts_max", _first_number(match), 0.8, strictness)
    elif ATTEMPTS_FIRST.search(norm):
        out.add(sentence, "elig.attempts_max", 1, 0.85, strictness)


def _graduation(out: FindingList, sentence: Sentence) -> None:
    match = YOG.search(sentence.norm)
    if match:
        strictness = "preferred" if PREFERRED.search(sentence.norm) else "hard"
        out.add(sentence, "elig.yog_max_years", _first_number(match), 0.85, strictness)


def _clinical_experience(out: FindingList, sentence: Sentence) -> None:
    norm = sentence.norm
    # A sentence about observerships is about what counts as USCE, not whether it is needed.
    if USCE.search(norm) and not OBSERVERSHIP.search(norm):
        if USCE_PREFERRED.search(norm):
            out.add(sentence, "elig.usce", "preferred", 0.8, "preferred")
        elif USCE_NOT_REQUIRED.search(norm):
            out.add(sentence, "elig.usce", "not_required", 0.85)
        elif USCE_REQUIRED.search(norm):
            out.add(sentence, "elig.usce", "required", 0.85, "hard")
    if OBSERVERSHIP.search(norm):
        if OBSERVERSHIP_NO.search(norm):
            out.add(sentence, "elig.observership_counts", False, 0.8)
        elif OBSERVERSHIP_YES.search(norm):
            out.add(sentence, "elig.observership_counts", True, 0.8)


def _ecfmg(out: FindingList, sentence: Sentence) -> None:
    norm = sentence.norm
    if (
        ECFMG.search(norm)
        and ECFMG_REQUIRED.search(norm)
        and not re.search(r"\bnot (?:required|necessary)\b", norm)
    ):
        deadline = DEADLINE.search(sentence.text)
        detail = {"deadline": deadline.group(1)} if deadline else None
        out.add(sentence, "elig.ecfmg_required", "yes", 0.85, "hard", detail)


def _img_accepted(out: FindingList, sentence: Sentence) -> None:
    norm = sentence.norm
    if IMG_ACCEPTED_NO.search(norm):
        out.add(sentence, "elig.img_accepted", "no", 0.85)
    elif IMG_ACCEPTED_YES.search(norm) and not re.search(r"\bnot\b|\bno\b", norm):
        out.add(sentence, "elig.img_accepted", "yes", 0.85)


RULES = (_scores, _attempts, _graduation, _clinical_experience, _ecfmg, _img_accepted)


def extract_eligibility(doc: Document) -> list[Finding]:
    """Eligibility findings of one page."""
    out = FindingList(doc, EXTRACTOR)
    for sentence in sentences(doc):
        if sentence.is_question:
            continue
        for rule in RULES:
            rule(out, sentence)
    return list(out)
