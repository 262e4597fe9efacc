"""Eligibility rules -> elig.* findings, with strictness (hard | preferred) on each.

Each sentence is read on its own first, then with its label (the dt, table header, FAQ question
or heading it answers: "Step 2 CK" / "Our cut-off is 215."); when the label was needed, the
evidence quotes it too. Rules:
  - scores: only stated minimums; averages, medians, "preferred"/"competitive" levels describe
    the class, not the bar;
  - attempts: the maximum per step ("first attempt only" = 1); a class statistic ("every intern
    passed on the first attempt") is not a rule;
  - years since graduation: a number of years, or a calendar-year cutoff read against the day
    the page was fetched ("2020 or later" on 2026-11-01 = 6);
  - US clinical experience required / preferred / not required; observerships counted or not;
  - the ECFMG certificate required (with its deadline when stated);
  - IMGs considered or not.
Questions are skipped (they state nothing); their answers are read with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date

from normalizers.document import Document, Finding, FindingList
from normalizers.sentences import Sentence, Span, normalize, sentences
from normalizers.terms import IMG_TERM

EXTRACTOR = "eligibility@2"

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
    "once": 1,
    "twice": 2,
}
NUM = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"

STEP_MENTION = re.compile(r"\bstep\s*(1|i|one|2\s*ck|2|ii\s*ck|two)\b(?!\s*cs)")
SCORE = re.compile(r"(?<![\d.])(1[89]\d|2[0-9]\d)(?!\d|\.\d|%| ?(?:hours|days|weeks|months))")
MINIMUM_WORDS = re.compile(
    r"\bminimums?\b|\bat least\b|\bno (?:less|lower) than\b|>=|≥|\bor (?:higher|above|greater|better)"
    r"|\bcut-?offs?\b|\bthreshold\b|\bmust (?:have |score|achieve)|\brequired?\b|\bfloor\b"
    r"|\bbelow\b.{0,40}\b(?:not|ineligible)\b|\blower than\b.{0,40}\bnot\b|\bscreen(?:ed|ing)?\b"
    r"|\b(?:not|never)\b.{0,40}\bbelow\b|\bis the lowest score\b|\blowest (?:acceptable|passing) score"
)
NOT_A_MINIMUM = re.compile(
    r"\baverage\b|\bmean\b|\bmedian\b|\bprefer|\bcompetitive\b|\btypical|\brecommend|\bideal"
    r"|\bstrong applicants?\b|\bmatched\b|\brange\b|\bno (?:fixed |firm |set )?(?:minimum|cut-?off)"
    r"|\bdo(?:es)? not (?:use|have|set) an? (?:\w+ )?(?:minimum|cut-?off)|\bstill (?:be )?reviewed"
)
PREFERRED = re.compile(
    r"\bprefer|\bideally\b|\bstrongly (?:encouraged|recommended)\b|\bdesir|\bgiven preference"
    r"|\bpreference is given"
    r"|\brecommended\b|\bencouraged\b|\bplus\b|\badvantage"
)
# A rule, not a description of the class: "must", "only", "will not be considered", "prefer".
RULE_WORDS = re.compile(
    r"\bmust\b|\bonly\b|\brequire|\bnot (?:be )?(?:considered|eligible|accepted|ranked)|\bineligible"
    r"|\bcannot\b|\bwill not\b|\bdo(?:es)? not (?:accept|consider)|\ballowed\b|\bpermitted\b"
    r"|\brequired\b|\bcriteri|\brequirements?\b|\bqualifications\b|\bwho (?:can|may) apply\b"
    r"|\baccept|\bconsider|\bprefer|\bmaximum\b|\blimit|\bno more than\b|\bat most\b|\bno (?:usmle )?"
    r"(?:failures?|failed)|\bmay not\b|\bshould\b|\beligib|\bexpect|\bneed"
)

ATTEMPTS_CONTEXT = re.compile(
    r"\battempt|\btries\b|\bsittings?\b|\btimes\b|\bfail|\bpass(?:ed|es)?\b.{0,40}\bstep"
    r"|\bstep\b.{0,60}\bpass|\bonce\b|\btwice\b"
)
ATTEMPTS_N = re.compile(
    rf"\b(?:no more than|not more than|maximum of|max(?:imum)?(?: of)?|at most|up to|a limit of"
    rf"|limited to|a total of)\s*{NUM}\s*(?:$|attempts?|tries|times|sittings?"
    rf"|per (?:step|exam)|on (?:any|each|every))"
    rf"|\b{NUM} (?:attempts? )?(?:or fewer|or less)\b"
    rf"|\b{NUM} attempts? (?:maximum|at most|per step|on any|on each|on every|allowed|is the most)"
    rf"|\b(?:no more than|not more than|at most) (twice|once)\b"
    rf"|\b{NUM} (?:per|on each|on every|for each) (?:step|exam|examination|level)\b"
)
# "Max. attempts | 1", "Attempts: 2": a number under an attempts label.
ATTEMPTS_LABELLED = re.compile(
    rf"(?:^|: |\b(?:max(?:imum)?\.?|number of|allowed) )(?:usmle |exam )?attempts?(?: allowed)?\s*(?::|\|)\s*"
    rf"(?:no more than |not more than |up to |at most |maximum(?: of)? |max\.? )?{NUM}\b(?! (?:years?|weeks?|months?|of))"
)
# "More than one failed attempt ... not considered": one failure allowed, so two attempts.
FAILURES_EXCEEDING = re.compile(
    rf"\bmore than {NUM} (?:failed|unsuccessful) attempts?\b|\bmore than {NUM} failures?\b"
)
FAILURES_ALLOWED = re.compile(rf"\b(?:no|not) more than {NUM} (?:failed|unsuccessful) attempts?\b")
ATTEMPTS_EXCEEDING = re.compile(rf"\bmore than {NUM} (?:attempts?|tries|times|sittings?)\b")
ATTEMPTS_FIRST = re.compile(
    r"(?<!more than )\b(?:first|1st|single|one)[- ](?:attempt|try|sitting|time)\b|\bwithout (?:any )?(?:failures?"
    r"|repeats?)\b|\bno (?:prior )?(?:failed attempts|failures|attempt failures|exam failures)\b"
    r"|\ba (?:single )?failed attempt\b|\bany (?:\w+ )?(?:examination |exam )?failure\b"
    r"|\bfirst-attempt\b|\bpassed (?:\w+ ){0,3}(?:once|in one sitting)|\ba failure on any\b"
    r"|\bfailed attempts? on any\b"
)
NO_ATTEMPT_LIMIT = re.compile(
    r"\bno (?:limit|restriction|maximum)s? on (?:the number of )?(?:attempts|tries)"
    r"|\bmultiple attempts (?:are|will be|may be) (?:accepted|considered|reviewed)"
    r"|\battempts? (?:are|is) not (?:limited|counted against)"
)

GRADUATION = re.compile(
    r"graduat|\byog\b|\byears? (?:since|from|out of|after) (?:medical )?school|\bout of (?:medical )?school"
    r"|\b(?:finished|completed|left) (?:medical )?school"
)
# A bare value under a "Years since graduation" label: "≤ 10", "3 or fewer", "within 5".
YOG_VALUE = re.compile(
    rf"^(?:≤|<=|up to|within|no more than|not more than|maximum(?: of)?|max\.?|at most)?\s*{NUM}"
    rf"(?: years?)?(?: or (?:fewer|less))?\W*$"
)
YOG_YEARS = re.compile(
    rf"\bwithin (?:the )?(?:last |past |previous |prior )?{NUM} years?"
    rf"|\b(?:graduat\w*|degree|school)\b(?: \w+){{0,3}} (?:in|within|during|of) the (?:last|past|previous"
    rf"|prior) {NUM} years"
    rf"|\b(?:no more than|not more than|less than|fewer than|at most|maximum of|max(?:imum)?|up to"
    rf"|≤|<=|a maximum of) {NUM} years?"
    rf"|\b{NUM} years? or (?:less|fewer|sooner|more recently)"
    rf"|\b{NUM} years? (?:since|from|of|after) (?:medical school )?graduation (?:or less|at most|maximum)"
)
YOG_EXCEEDING = re.compile(rf"\bmore than {NUM} years? (?:before|since|ago|prior|after|from|out)")
CUTOFF_YEAR = re.compile(
    r"\b((?:19|20)\d\d) or (?:later|after|more recently|newer)\b"
    r"|\b(?:on or after|in or after|since) (?:january 1,? )?((?:19|20)\d\d)\b"
)
CUTOFF_BEFORE = re.compile(r"\b(?:before|prior to) (?:january 1,? )?((?:19|20)\d\d)\b")
REFUSED = re.compile(r"\bmay not\b|\bdo(?:es)? not (?:accept|consider|rank)")
NOT_ELIGIBLE = re.compile(
    r"\bnot (?:be )?(?:eligible|considered|accepted)|\bineligible|\bwill not\b|\bcannot\b"
)
NO_YOG_LIMIT = re.compile(
    r"\bno (?:limit|restriction|cut-?off|maximum)\b|\bdoes not set a limit|\bnot (?:set|impose) a limit"
    r"|\bregardless of (?:when|year)"
)

USCE = re.compile(
    r"\b(?:us|united states|american|u\.s) (?:clinical|hands-on|patient[- ]care) (?:experience|exposure)"
    r"|\busce\b|\b(?:clinical|hands-on) (?:experience|exposure|work) (?:\w+ ){0,6}in (?:a |the )?"
    r"(?:us|united states|american)\b|\bexperience in (?:a |an )?(?:us|american) (?:\w+ ){0,2}"
    r"(?:setting|hospital|department|clinic|health system|program)"
    r"|\bclinical experience in the (?:us|united states)\b|\bhands-on (?:us )?clinical"
)
USCE_NOT_REQUIRED = re.compile(
    r"\bnot (?:required|necessary|mandatory|a requirement|a prerequisite|needed)\b"
    r"|\bno (?:us |minimum )?(?:clinical experience )?requirement\b|\bis optional\b"
    r"|\bdo(?:es)? not (?:require|need)\b|^(?:.*\? : )?no\b"
)
USCE_REQUIRED = re.compile(
    r"\brequire|\bmust (?:have|complete|possess|include)\b|\bmandatory\b"
    r"|\bnecessary\b|\bneed to have\b|\bessential\b|\bprerequisite\b|^(?:.*\? : )?yes\b"
    r"|\bat least (?:\w+ ){1,2}(?:weeks|months)\b"
)
USCE_PREFERRED = re.compile(
    r"\bprefer|\bstrongly (?:encouraged|recommended)|\brecommended\b|\bencourage"
    r"|\ban? (?:advantage|asset|plus)\b|\bdesirable\b|\bfavou?rabl|\bhelpful\b|\bvalued?\b"
)
OBSERVERSHIP = re.compile(r"\bobserverships?\b")
# "five (5) years", "three (3) attempts": the number once.
NUMBER_IN_PARENTHESES = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten) \(\d{1,2}\)"
)
PREFERRED_LABEL = re.compile(
    r"(?:^|: )(?:preferred|recommended|desired)(?: qualifications| criteria)?\s*(?::|$)"
)
# A heading or label that is itself the verdict: "Required", "Preferred qualifications".
DECISION_LABEL = re.compile(
    r"(?:^|: )(?:required|preferred|recommended|desired|mandatory|optional|not required)"
    r"(?: qualifications| criteria)?$"
)
OBSERVERSHIP_ANSWER = re.compile(
    r"^(?:a\s*[:.)-]\s*)?(?:(no\b|not (?:counted|accepted|considered)|do(?:es)? not count)|yes\b|counted"
    r"|accepted|count|considered)"
)
CLAUSES = re.compile(r";|\. |, but\b|, and\b")
OBSERVERSHIP_NO = re.compile(
    r"\b(?:do|does|will|would|are|is)(?:n't| not)\b.{0,40}\b(?:count|considered|qualify|satisfy|"
    r"accepted|meet|fulfil|substitute|equivalent)|\bnot (?:count|considered|accepted|sufficient|"
    r"enough)|\bcannot (?:count|substitute|replace)|\bdo(?:es)? not meet\b|\bexcluding observerships\b"
    r"|\bobserverships? alone\b|\bno(?:t)? observerships?\b|\bobserverships? (?:do|does) not\b"
)
OBSERVERSHIP_YES = re.compile(
    r"\b(?:count|counts|counted|considered|qualify|qualifies|accepted|acceptable|satisfy|satisfies"
    r"|meet|meets|fulfil\w*)\b|\bincluding observerships\b|\b(?:are|is) (?:acceptable|accepted)"
)
ECFMG = re.compile(
    r"\becfmg certific(?:ate|ation)|\bcertified by (?:the )?ecfmg|\becfmg[- ]certified"
    r"|\bcertificate (?:from|issued by) (?:the )?(?:educational commission|ecfmg)"
    r"|\becfmg (?:\w+ )?certificate|\becfmg\W{1,4}(?:\w+ )?certific"
)
ECFMG_REQUIRED = re.compile(
    r"\brequire|\bmust\b|\bneed|\bby\b|\bprior to\b|\bbefore\b|\bno later|\bhold|\bheld\b"
    r"|\bmandatory\b|\bvalid\b|\bdeadline\b|\bpossess|\bobtain|\bpreference\b|\bprefer"
)
DEADLINE = re.compile(  # matched against the sentence as written, to quote the date
    r"(?i)\b(?:by|before|prior to|no later than)\s+((?:january|february|march|april|may|june|july|"
    r"august|september|october|november|december)\s+\d{1,2}(?:,?\s*\d{4})?|the (?:nrmp )?(?:rank|"
    r"ranking|match|start|program start)[\w\s-]{0,30}?(?:deadline|date|day)|\d{1,2}/\d{1,2}/\d{2,4})"
)
IMG_ACCEPTED_NO = re.compile(
    rf"\b(?:do|does|will|can|are)(?:n't| not)\b.{{0,30}}\b(?:accept|consider|eligible|interview|"
    rf"rank)\w*.{{0,30}}{IMG_TERM}|\b{IMG_TERM} (?:are|is) not (?:eligible|considered|accepted)"
    rf"|\bonly (?:accept|consider)s? (?:applications from )?(?:graduates of )?(?:us|lcme|"
    rf"accredited us|united states)|\bunable to (?:accept|consider)\b.{{0,30}}{IMG_TERM}"
    rf"|\bonly (?:graduates of )?(?:lcme|us allopathic|us md)"
    rf"|{IMG_TERM}[^.;]{{0,60}}\b(?:are|is) not (?:eligible|accepted|considered)"
    rf"|{IMG_TERM}[^.;]{{0,60}}\b(?:will not|cannot|can not) be (?:considered|accepted)"
    rf"|\bonly (?:from )?(?:\w+ ){{0,4}}(?:graduates|students) of (?:us|united states|lcme|accredited us)\b"
)
ACCEPT_VERBS = re.compile(
    r"\b(?:welcomes?|welcomed|accepts?|accepted|considers?|considered|encourages?|encouraged"
    r"|invites?|eligible|may apply|can apply|are reviewed|reviews?|review applications)\b"
)
IMG_ACCEPTED_ES = re.compile(  # Spanish-language pages: "egresados ... del extranjero"
    r"\b(?:bienvenid\w*|aceptamos|consideramos|invitamos)\b.{0,60}\b(?:egresad|graduad|médicos)\w*"
    r".{0,40}\b(?:del extranjero|internacionales|extranjer\w*)"
)
# A condition set for IMG applicants admits them: "IMGs must hold an ECFMG certificate by...".
# Graduates of US schools "or of an international medical school listed in the World
# Directory", "or hold a valid ECFMG certificate": IMGs are among those admitted.
IMG_INCLUDED = re.compile(
    r"\bgraduates? of\b[^.]{0,100}\bor (?:of |from )?(?:an? )?(?:international|foreign) medical schools?"
    r"|\bor hold (?:a )?(?:currently )?valid (?:certificate from (?:the )?)?ecfmg"
)
LABEL_ACCEPTS = re.compile(
    r"^(?:a\s*[:.)-]\s*)?(?:yes\b|accepted|welcome|eligible|considered|may apply|can apply)"
)
WHO_MAY_APPLY = re.compile(
    r"\bwho (?:may|can) apply\b|\beligible applicants\b|\bwe (?:accept|consider)\b"
)
IMG_CONDITION = re.compile(
    r"\bmust (?:hold|have|be|obtain|possess)\b.{0,100}\b(?:ecfmg|educational commission)|\becfmg\b.{0,80}\b(?:by|before|prior to"
    r"|required|no later)\b"
)
NEGATIVE = re.compile(r"\bnot\b|\bno\b|\bnever\b|\bunable\b|\bcannot\b")
YES_ANSWER = re.compile(r"\? : (?:a\s*[:.)-]\s*)?yes\b")

STATISTIC_COLUMN = re.compile(
    r"\btypical|\baverage|\bmean\b|\bmedian|\brange\b|\binterviewed|\bmatched|\bour residents|\blast year"
)
EMPTY_CELL = re.compile(r"^\W*(?:—|-|–|n/?a|none)?\W*$", re.I)
Rule = Callable[[FindingList, str, Span, date | None], bool]


def _number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token]


def _first_number(match: re.Match) -> int:
    return _number(next(group for group in match.groups() if group))


def _step_key(token: str) -> str:
    token = re.sub(r"\s+", "", token)
    return "elig.step1_min" if token in {"1", "i", "one"} else "elig.step2ck_min"


def _strictness(text: str) -> str:
    return "preferred" if PREFERRED.search(text) else "hard"


def _scores(out: FindingList, text: str, span: Span, as_of: date | None) -> bool:
    # The score must be in the sentence itself; the step and "minimum" may come from its label.
    sentence = text.rsplit(" : ", 1)[-1]
    steps = list(STEP_MENTION.finditer(sentence)) or list(STEP_MENTION.finditer(text))
    scores = list(SCORE.finditer(sentence))
    if not steps or not scores or not MINIMUM_WORDS.search(text) or NOT_A_MINIMUM.search(text):
        return False
    in_sentence = steps[0].string is sentence
    if in_sentence and 1 < len(scores) <= len(steps) and scores[0].start() > steps[-1].end():
        # "Step 1 and Step 2 CK ... minimums of 210 and 225": respectively, the last steps named.
        pairs = list(zip(steps[-len(scores) :], scores, strict=True))
    else:
        # Otherwise the step named closest before a score (else after it) is its step.
        pairs = []
        for score in scores:
            before = [s for s in steps if not in_sentence or s.end() <= score.start()]
            pairs.append((before[-1] if before else steps[0], score))
    for step, score in pairs:
        out.add(span, _step_key(step.group(1)), int(score.group(1)), 0.85, "hard")
    return True


def _attempts(out: FindingList, text: str, span: Span, as_of: date | None) -> bool:
    if NO_ATTEMPT_LIMIT.search(text) or not ATTEMPTS_CONTEXT.search(text):
        return False
    strictness = _strictness(text)
    if match := ATTEMPTS_N.search(text):
        out.add(span, "elig.attempts_max", _first_number(match), 0.85, strictness)
        return True
    if match := FAILURES_ALLOWED.search(text):  # "no more than one unsuccessful attempt": two
        out.add(span, "elig.attempts_max", _first_number(match) + 1, 0.8, strictness)
        return True
    match = FAILURES_EXCEEDING.search(text)
    if match and (NOT_ELIGIBLE.search(text) or REFUSED.search(text)):
        out.add(span, "elig.attempts_max", _first_number(match) + 1, 0.8, strictness)
        return True
    if match := ATTEMPTS_LABELLED.search(text):
        out.add(span, "elig.attempts_max", _first_number(match), 0.8, strictness)
        return True
    match = ATTEMPTS_EXCEEDING.search(text)
    if match and (NOT_ELIGIBLE.search(text) or REFUSED.search(text)):
        out.add(span, "elig.attempts_max", _first_number(match), 0.8, strictness)
        return True
    if ATTEMPTS_FIRST.search(text) and RULE_WORDS.search(text):
        out.add(span, "elig.attempts_max", 1, 0.8, strictness)
        return True
    return False


def _graduation(out: FindingList, text: str, span: Span, as_of: date | None) -> bool:
    if not GRADUATION.search(text) or NO_YOG_LIMIT.search(text):
        return False
    strictness = _strictness(text)
    label, _, sentence = text.rpartition(" : ")
    answered = " : " in text and re.search(r"\blimit|\bmaximum|\bhow (?:many|long|recent)", text)
    if answered and (match := re.match(rf"(?:yes\W+)?(?:\w+\W+){{0,3}}?{NUM} years?\b", sentence)):
        out.add(span, "elig.yog_max_years", _first_number(match), 0.75, strictness)
        return True
    if label and (match := YOG_VALUE.match(sentence.strip())):
        out.add(span, "elig.yog_max_years", _first_number(match), 0.8, strictness)
        return True
    if match := YOG_YEARS.search(sentence) or YOG_EXCEEDING.search(sentence):
        if match.re is YOG_EXCEEDING and not NOT_ELIGIBLE.search(text):
            return False
        out.add(span, "elig.yog_max_years", _first_number(match), 0.85, strictness)
        return True
    if as_of is None:
        return False
    year = None
    if match := CUTOFF_YEAR.search(sentence):
        year = int(next(g for g in match.groups() if g))
    elif (match := CUTOFF_BEFORE.search(sentence)) and NOT_ELIGIBLE.search(text):
        year = int(match.group(1))
    if year is None or not 0 <= as_of.year - year <= 40:
        return False
    detail = {"graduation_year_min": year}
    out.add(span, "elig.yog_max_years", as_of.year - year, 0.8, strictness, detail)
    return True


def _clinical_experience(out: FindingList, text: str, span: Span, as_of: date | None) -> bool:
    found = False
    label, _, sentence = text.rpartition(" : ")
    # A clause about observerships is about what counts as USCE, not whether it is needed; and
    # of the clauses, those that name USCE decide ("USCE is required; electives are welcome but
    # not necessary").
    parts = [c for c in CLAUSES.split(sentence) if not OBSERVERSHIP.search(c)]
    naming = [c for c in parts if USCE.search(c)]
    clauses = " ; ".join(naming or parts)
    about_usce = naming or (clauses and USCE.search(label) and not OBSERVERSHIP.search(label))
    if about_usce:
        # Required or not is said by the sentence itself, by the question it answers, or by a
        # heading that is itself the verdict ("Preferred"); a heading such as "Program
        # requirements" over a bare "US clinical experience" says nothing.
        verdict_label = label.endswith("?") or DECISION_LABEL.search(label)
        reading = f"{label} : {clauses}" if verdict_label else clauses
        if USCE_PREFERRED.search(reading if verdict_label else clauses):
            out.add(span, "elig.usce", "preferred", 0.8, "preferred")
            found = True
        elif USCE_NOT_REQUIRED.search(reading):
            out.add(span, "elig.usce", "not_required", 0.85)
            found = True
        elif USCE_REQUIRED.search(reading):
            out.add(span, "elig.usce", "required", 0.85, "hard")
            found = True
    if OBSERVERSHIP.search(sentence):
        if OBSERVERSHIP_NO.search(sentence):
            out.add(span, "elig.observership_counts", False, 0.8)
            found = True
        elif OBSERVERSHIP_YES.search(sentence) and not NEGATIVE.search(sentence):
            out.add(span, "elig.observership_counts", True, 0.8)
            found = True
    elif OBSERVERSHIP.search(label) and OBSERVERSHIP_NO.search(sentence):
        out.add(span, "elig.observership_counts", False, 0.75)
        found = True
    elif OBSERVERSHIP.search(label) and (answer := OBSERVERSHIP_ANSWER.match(sentence)):
        # "Observerships" / "Not counted", or "Do observerships count?" / "No."
        out.add(span, "elig.observership_counts", not answer.group(1), 0.75)
        found = True
    return found


def _ecfmg(out: FindingList, text: str, span: Span, as_of: date | None) -> bool:
    if (
        ECFMG.search(text)
        and ECFMG_REQUIRED.search(text)
        and not re.search(r"\bnot (?:required|necessary)\b", text)
    ):
        deadline = DEADLINE.search(out.doc.text[span.start : span.end])
        detail = {"deadline": deadline.group(1)} if deadline else None
        out.add(span, "elig.ecfmg_required", "yes", 0.85, _strictness(text), detail)
        return True
    return False


def _img_accepted(out: FindingList, text: str, span: Span, as_of: date | None) -> bool:
    label, _, sentence = text.rpartition(" : ")
    if IMG_ACCEPTED_NO.search(sentence):
        out.add(span, "elig.img_accepted", "no", 0.85)
        return True
    # Only the sentence (or the question it answers) speaks of IMGs: a heading "International
    # medical graduates" over "we accept the J-1 visa" says nothing about admitting them.
    if (
        WHO_MAY_APPLY.search(label)
        and re.search(IMG_TERM, sentence)
        and not NEGATIVE.search(sentence)
    ):
        out.add(span, "elig.img_accepted", "yes", 0.75)
        return True
    if YES_ANSWER.search(text) and re.search(IMG_TERM, label):
        out.add(span, "elig.img_accepted", "yes", 0.8)
        return True
    if IMG_ACCEPTED_ES.search(sentence) or IMG_INCLUDED.search(sentence):
        out.add(span, "elig.img_accepted", "yes", 0.75)
        return True
    if re.search(IMG_TERM, label.rsplit(" : ", 1)[-1]) and LABEL_ACCEPTS.match(sentence):
        # "International medical graduates" / "Eligible to apply." (a dt, a table row)
        out.add(span, "elig.img_accepted", "yes", 0.75)
        return True
    for clause in CLAUSES.split(sentence):
        if (
            re.search(IMG_TERM, clause)
            and (ACCEPT_VERBS.search(clause) or IMG_CONDITION.search(clause))
            and not NEGATIVE.search(clause)
        ):
            out.add(span, "elig.img_accepted", "yes", 0.8)
            return True
    return False


RULES: tuple[Rule, ...] = (
    _scores,
    _attempts,
    _graduation,
    _clinical_experience,
    _ecfmg,
    _img_accepted,
)


# The words a rule needs before it is worth running (most sentences mention none of them).
RULE_TOPICS: dict[Rule, re.Pattern] = {
    _scores: re.compile(r"step"),
    _attempts: re.compile(r"attempt|tries|sitting|times|fail|pass|once|twice"),
    _graduation: re.compile(r"graduat|yog|school"),
    _clinical_experience: re.compile(r"experience|usce|observ|clinical|exposure"),
    _ecfmg: re.compile(r"ecfmg|certific|educational commission"),
    _img_accepted: re.compile(
        r"img|international|foreign|graduat|abroad|outside|extranjero|lcme|allopathic|us md"
    ),
}


def _readings(sentence: Sentence) -> Iterator[tuple[str, Span]]:
    """The sentence alone, then with its label (quoting the label when it is adjacent); a row
    of a table with several value columns ("Criterion | Required | Preferred") is also read
    cell by cell under its column's header."""
    cells = sentence.block.cells
    if sentence.block.kind == "row" and sentence.label and len(cells) >= 3:
        # Read cell by cell: "Attempts | No more than 2 | First attempt" under "Threshold |
        # Typical of interviewed applicants" states a rule in one column and a statistic in the other.
        header = [h.strip() for h in sentence.label.split("|")]
        for index, cell in enumerate(cells[1:], start=1):
            statistic = index < len(header) and STATISTIC_COLUMN.search(header[index])
            if index < len(header) and not EMPTY_CELL.match(cell) and not statistic:
                yield f"{normalize(cells[0])} : {header[index]} : {normalize(cell)}", sentence
        return
    yield sentence.norm, sentence
    if sentence.label or sentence.heading:
        yield sentence.in_context, sentence.labelled_span


def extract_eligibility(doc: Document, as_of: date | None = None) -> list[Finding]:
    """Eligibility findings of one page; AS_OF turns calendar-year cutoffs into years."""
    out = FindingList(doc, EXTRACTOR)
    for sentence in sentences(doc):
        if sentence.is_question:
            continue
        context = sentence.in_context
        found = FindingList(doc, EXTRACTOR)
        for rule in RULES:
            if not RULE_TOPICS[rule].search(context):
                continue  # cheap gate: the rule's topic is not mentioned at all
            table_row = sentence.block.kind == "row" and len(sentence.block.cells) >= 3
            if rule is _scores and not table_row and NOT_A_MINIMUM.search(context):
                continue  # under "Preferred" or "Average scores", a number is no minimum
            for text, span in _readings(sentence):
                if rule(found, NUMBER_IN_PARENTHESES.sub(r"\1", text), span, as_of):
                    break
        if PREFERRED_LABEL.search(f"{sentence.heading} : {sentence.label}"):
            # Listed under "Preferred": every rule of the list is a preference.
            found[:] = [replace(f, strictness="preferred") if f.strictness else f for f in found]
        out.extend(found)
    return list(out)
