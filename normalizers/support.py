"""Support offered to residents -> mentorship, orientation, wellness, language, DEI, IMG support.

Per clause of each sentence (questions are skipped; an FAQ "No." borrows its question):
  1. a term that names an offering gives `true`; negated near the term ("we do not currently
     have a formal mentorship program") it gives `false`; a term that only appears in a menu,
     a non-discrimination notice ("sexual orientation") or advice ("talk to a therapist") gives
     nothing;
  2. offerings for someone else - medical students, nurses, hospital employees - give nothing;
  3. a mentorship or orientation named for IMGs (in the same clause) is also IMG-specific, and
     anything IMG-specific is `support.img_specific`; "the same orientation as everyone else"
     is not IMG-specific. A denial of one IMG offering says nothing about IMG support overall.
Protected *didactic*, research or academic time is teaching time, not wellness time.
"""

from __future__ import annotations

import re
from dataclasses import replace

from normalizers.document import Document, Finding, FindingList
from normalizers.sentences import Sentence, Span, sentences
from normalizers.terms import IMG

EXTRACTOR = "support@2"

CLAUSES = re.compile(r";|\bbut\b|\bhowever\b|\bwhereas\b|\bwhile\b")
# Negation is looked for in the few words before the term: wider windows catch unrelated "not"s.
NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|don't|doesn't|do not|does not|without|lack|lacks|nor|never|none|neither"
    r"|unfortunately|unable|no longer)\b(?:\W+\w+){0,6}\W*$"
)
NEGATION_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,4}(?:is|are) (?:not|no longer) (?:offered|available|provided|part|in place)"
)
NOT_FOR_RESIDENTS = re.compile(
    r"\b(?:medical |nursing |undergraduate |high[- ]school )?students?\b|\bnurs(?:e|es|ing)\b"
    r"|\bnew employees?\b|\bemployee orientation\b|\bstaff orientation\b|\bjob (?:posting|opening)"
    r"|\bwe are hiring\b|\bposition (?:summary|description)\b|\bestudiantes\b|\bjobs?\b"
    r"|\bjob id\b|\bcareers? at\b"
)
STUDENT_SUBJECT = re.compile(r"^\W*(?:every|each|all|our) (?:[\w-]+ ){0,2}students?\b")
RESIDENTS = re.compile(
    r"\bresiden(?:ts?|cy|tes)\b|\binterns?\b|\bhouse ?staff\b|\btrainees?\b|\bimgs?\b"
)
# Advice and reporting about a topic rather than an offering ("a therapist is a sign of strength",
# "results of our wellness survey").
NOT_AN_OFFERING = re.compile(
    r"\bsign of strength\b|\bsurvey\b|\basked for\b|\brequested\b|\bwish list\b|\bsuggestions?\b"
    r"|\bstudy (?:found|shows)\b|\bresearch shows\b|\btips?\b"
    r"|\bdiscriminat|\bequal opportunity\b|\bprohibit"
)

MENTORSHIP = re.compile(
    r"\bmentor(?:ship|ing)? (?:program|programme|system|network|pairing|track|pilot)s?\b"
    r"|\bformal mentor|\bmentoría\b|\bmentor del cuerpo docente\b"
    r"|\b(?:assign|pair|match|partner)(?:s|ed|ing)?\b(?: \w+){0,6} (?:with|to) (?:an? |their |one )?"
    r"(?:\w+ ){0,2}(?:mentors?|advisors?|advisers?|attendings?|faculty members?|senior residents?"
    r"|alumn\w*)\b"
    r"|\b(?:assigned|given|receives?|gets?|has|have|chooses?|selects?) (?:an? |their own |one )?"
    r"(?:\w+ ){0,2}(?:mentors?|advisors?|advisers?)\b"
    r"|\bmentors? (?:are|is) assigned\b|\b(?:each|every) (?:resident|intern|img|trainee)\b.{0,60}"
    r"\bmentor\b|\bmentorship (?:is|are) (?:provided|offered|available)|\boffers? mentorship"
    r"|\b(?:faculty|designated|personal|dedicated) mentors?\b|\bse le asigna un mentor"
)
ORIENTATION = re.compile(
    r"(?<!sexual )\b(?:orientation|onboarding(?! (?:portal|paperwork|documents?|forms?|checklists?"
    r"|tasks?|system|files?|packets?))|orientación|boot ?camp)\b|\bintern (?:bootcamp|week)\b"
    r"|\b(?:transition|bridge) (?:course|program|week|module)s?\b(?=.{0,40}\b(?:incoming|new)\b)"
)
# An orientation that happens: it runs, lasts, is attended, or belongs to interns/residents.
ORIENTATION_OFFERED = re.compile(
    r"\b(?:intern|interns'|resident|residents'|residency|new resident|incoming|program|gme|"
    r"institutional|house ?staff|img|two-week|week-long|\w+-day|\w+-week|transition)\s+"
    r"(?:orientation|onboarding|boot ?camp)"
    r"|\b(?:orientation|onboarding|boot ?camp)\b.{0,80}\b(?:runs?|lasts?|begins?|starts?|is held|takes?"
    r"|covers?|includes?|consists?|spans?|will (?:again )?(?:be|last|run|begin|take)|ends?|is (?:paid|"
    r"mandatory|required)|(?:for|of) (?:all )?(?:new |incoming )?(?:interns|residents)|days?\b"
    r"|weeks?\b|schedule|sessions?)"
    r"|\b(?:interns?|residents?|you|imgs?|graduates|everyone|all|trainees)\b.{0,30}\b(?:attend|complete"
    r"|join|participate in|begin with|start with|go through)s?\b.{0,50}\b(?:orientation|onboarding"
    r"|boot ?camp)|\bduring (?:the |that |our |this )?(?:orientation|onboarding)"
    r"|\b(?:orientation|onboarding) (?:is|was) (?:wrapping up|underway|under way)|\bwraps? up\b"
    r"|\b(?:orientation|onboarding) (?:program|period|week|month|sessions?|schedule|module)"
    r"|\borientación (?:de|para)\b|\b(?:no|not|without)\b.{0,30}\borientation\b"
    r"|(?:^|: )\W*(?:orientation|onboarding)\W*(?:\||:)|\b(?:spend|spends|spent)\b.{0,40}\b(?:in|on) "
    r"(?:orientation|onboarding)|\b(?:orientation|onboarding)\W+(?:\w+ ){0,3}(?:january|february|march|"
    r"april|may|june|july|august|september|october|november|december)\b"
    r"|\b(?:transition|bridge|welcome) (?:course|program|week|module)s?\b.{0,40}\b(?:incoming|new)\b"
)
NOT_ORIENTATION = re.compile(
    r"\borientación (?:profesional|vocacional|académica)|\bcareer orientation\b"
)
ORIENTATION_WEEKS = re.compile(
    r"\b(\d|one|two|three|four|five|six|dos|tres|cuatro)[- ](?:week|wk|semana)s?(?:[- ]long)?\b"
    r"|\b(?:lasts?|spans?|runs?|of|for|is|takes?) (?:\w+ ){0,2}?(\d|one|two|three|four|five|six) "
    r"(?:full )?weeks?\b|\b(\d|one|two|three|four|five|six) weeks? (?:of|in|long|in late|in june|"
    r"before|during)\b|\b(week)-long\b|^(?:\w+ ){0,2}(\d|one|two|three|four|five|six) weeks\b"
    r"|\bsemanas? de (?:orientación)"
)
WEEK_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "a": 4,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "week": 1,
}
MENTAL_HEALTH = re.compile(
    r"\bmental health\b(?! (?:centers?|clinics?|facilit|rotations?|patients|disorders?|care for))"
    r"|(?<!patient )\bcounsel(?:l)?ing\b(?! (?:patients|families|sessions? with patients))|\bcounsel(?:l)?ors?\b|\btherap(?:y|ists?)\b"
    r"|\bpsycholog(?:ist|ical) (?:services|support|care)|\bemployee assistance\b|\beap\b"
    r"|\bbehavioral health (?:services|support)\b|\bsalud mental\b|\bconsejería\b|\bcrisis line\b"
    r"|\bpsychologists?\b|\bpsychiatrists?\b"
)
OFFERED = re.compile(
    r"\b(?:offer|provid|availab|access|free|confidential|includ|through|dedicated|on-site|"
    r"program|service|session|line|appointment|ofrece|gratuit|cover|reimburs|no cost|can (?:use|call|"
    r"reach|schedule|request|see|meet)|have|has)\w*"
)
PEER_SUPPORT = re.compile(
    r"\bpeer[- ]support|\bpeer[- ]to[- ]peer\b|\bsupport (?:groups?|circles?|network)\b"
    r"|\bbuddy (?:program|system)\b|\bbig sib|\bpeer mentor|\bresident (?:families|circle|network)"
    r"|\b(?:matched|paired|partnered) with an? (?:[\w-]+ ){0,2}buddy\b|\bbuddies\b"
    r"|\bimg (?:resident )?(?:network|circle|group)|\bresidents'? (?:circle|group|network)\b"
)
# Wellness time, not teaching time: "protected didactic time" is for conferences.
PROTECTED_TIME = re.compile(
    r"\b(?:wellness|well-being|wellbeing|personal|self-care|mental health|recharge|retreat)\s+(?:half[- ]days?|"
    r"days?|afternoons?|time)\b"
    r"|\bprotected (?:\w+ )?(?:time|half[- ]days?|days?|afternoons?) (?:for|to) (?:\w+ )?(?:wellness|"
    r"well-being|rest|self-care|personal|appointments|recharg)"
)
TEACHING_TIME = re.compile(
    r"\b(?:didactic|research|academic|educational|teaching|conference|study|learning|scholarly)"
    r" (?:half[- ]days?|days?|time|afternoons?|blocks?|sessions?)\b|\bfor didactics\b"
)
WELLNESS_COMMITTEE = re.compile(
    r"\b(?:wellness|well-being|wellbeing) (?:committee|council|champions?|task force|team)\b"
    r"|\bcomité de bienestar\b"
)
LANGUAGE = re.compile(
    r"\benglish (?:language|as a second language|conversation|tutoring|classes|coaching)|\besl\b"
    r"|\bmedical english\b|\baccent (?:reduction|modification|coaching|training|clarity)\b"
    r"|\bcommunication (?:skills )?(?:coach(?:es|ing)?|support)\b|\bcommunication coach"
    r"|\blanguage (?:support|coaching|classes|tutor\w*|lessons|training|instruction)"
    r"|\bpresentation coaching\b|\bspeaking (?:club|practice)|\bpronunciation\b"
    r"|\binglés médico\b|\b(?:talleres|clases|cursos) de inglés\b"
)
NOT_LANGUAGE = re.compile(r"\bmedical spanish\b|\bspanish for\b|\binterpret(?:er|ing|ation)\b")
DEI = re.compile(
    r"\boffice (?:of|for) (?:diversity|inclusion|equity|health equity|inclusive)"
    r"|\b(?:diversity|inclusion|equity|belonging)(?:,? (?:equity|inclusion|and|&|belonging))* "
    r"(?:office|committee|council|curriculum|task force|subcommittee|program|initiative|pipeline)s?\b"
    r"|\b(?:dei|edi|ded|idea|jedi)\b (?:committee|council|office|curriculum|program|initiative)"
    r"|\b(?:consejo|comité|oficina) de (?:equidad|diversidad|inclusión)\b"
    r"|\bpipeline program\b|\bunderrepresented in medicine\b.{0,40}\b(?:program|committee|visiting|"
    r"scholarship|elective)|\bvisiting (?:student|clerkship) program\b.{0,40}\bunderrepresented"
)
SUPPORT_NOUN = (
    r"(?:support|programs?|groups?|workshops?|orientation|mentor\w*|resources?|liaisons?"
    r"|coordinators?|network|sessions?|curriculum|committee|onboarding|assistance|coaching|team"
    r"|services|office|advisors?|module|circle)"
)
# Something offered *for* IMGs: "a workshop series for IMGs", "IMG mentorship", "IMG-specific".
IMG_SUPPORT = re.compile(
    rf"\b{SUPPORT_NOUN}\b(?: \w+){{0,4}} (?:for|to help|dedicated to|designed for|tailored (?:to|for)"
    rf"|created for|built for) (?:our |all |incoming |new )*(?:{IMG.pattern})"
    rf"|\bimg[- ](?:specific|focused|dedicated)\b|(?:{IMG.pattern})(?: \w+){{0,4}} {SUPPORT_NOUN}\b"
    rf"|\b(?:immigration|international (?:trainee|physician|scholar|resident|medical graduate)s?)"
    rf" (?:coordinator|office|services|team|specialist|advisor|liaison)s?\b(?! for (?:employees|staff"
    rf"|faculty))|\b(?:estudiaron|graduados)\b[^.]{{0,60}}\bextranjero\b[^.]{{0,40}}\b(?:ofrecemos"
    rf"|talleres|programa|apoyo)"
    rf"|\bassigned to (?:each|every) img\b"
)
NO_IMG_SUPPORT = re.compile(
    r"\b(?:no|not (?:offer|have|provide)|without)\b.{0,30}\b(?:programs?|support|resources|services)"
    r" (?:specifically |designed |tailored )?(?:for|to) (?:imgs|international)"
)
SAME_AS_EVERYONE = re.compile(
    r"\bsame\b.{0,40}\bas (?:everyone|all|every|other|us)\b|\balongside (?:all|every|other)\b"
    r"|\bimgs? or not\b|\bwhether or not\b|\bregardless of\b"
)
# Any support topic at all: a cheap gate before the per-indicator patterns.
TOPICS = re.compile(
    r"mentor|orient|onboard|boot ?camp|well|counsel|therap|psych|mental|eap|employee assistance"
    r"|peer|support|buddy|sib|protected|committee|champion|english|language|accent|communicat"
    r"|esl|pronunciation|speaking|divers|inclusi|equity|dei\b|edi\b|pipeline|underrepresented"
    r"|img|international|immigration|abroad|outside|extranjero|bienestar|salud|consejer|mentor"
    r"|crisis|belonging|coach|liaison|coordinator|advis"
)
ORIENTATION_WEEKS_ANSWER = re.compile(
    r"^(?:a\s*[:.)-]\s*)?(?:about |around )?(\d|one|two|three|four|five|six) (?:full )?weeks?\b"
)
ANSWER = re.compile(r"^(?:a\s*[:.)-]\s*)?(?:\w+, )?(yes|no)\b")

# (indicator, pattern, confidence)
SIMPLE_TERMS = (
    ("wellness.peer_support", PEER_SUPPORT, 0.85),
    ("wellness.committee", WELLNESS_COMMITTEE, 0.9),
)


def _negated(clause: str, match: re.Match) -> bool:
    return bool(
        NEGATION_BEFORE.search(clause[: match.start()])
        or NEGATION_AFTER.search(clause[match.end() :])
    )


def _offering(
    out: FindingList,
    span: Sentence | Span,
    clause: str,
    indicator: str,
    pattern: re.Pattern,
    confidence: float,
    img_indicator: str | None = None,
) -> bool:
    """Record INDICATOR for the first match in CLAUSE (and its IMG-specific twin). True if found."""
    match = pattern.search(clause)
    if not match:
        return False
    negated = _negated(clause, match)
    for_imgs = bool(IMG.search(clause)) and not SAME_AS_EVERYONE.search(clause)
    # "There is no separate orientation for IMGs" denies only the IMG-specific kind.
    if not (negated and for_imgs):
        out.add(span, indicator, not negated, confidence)
    if img_indicator and for_imgs:
        out.add(span, img_indicator, not negated, confidence - 0.05)
        if not negated:
            out.add(span, "support.img_specific", True, confidence - 0.1)
    return True


def _orientation_weeks(out: FindingList, span: Sentence | Span, clause: str) -> None:
    match = ORIENTATION_WEEKS.search(clause)
    if match:
        token = next((group for group in match.groups() if group), None)
        if token is not None:
            weeks = int(token) if token.isdigit() else WEEK_WORDS[token]
            out.add(span, "orientation.weeks", weeks, 0.8)


# "A peer support program is something residents have asked for; we do not currently offer one":
# the denial in the last clause takes back the offering named before it.
DENIED_LATER = re.compile(
    r"\b(?:do|does) not (?:currently |yet )?(?:offer|have|provide|run) (?:one|it|this|them|that)\b"
    r"|\b(?:is|are) not (?:yet )?(?:offered|available|in place)\b(?=[^;]*$)"
)


ROW_NO = re.compile(
    r"^\W*(?:✘|✗|×|x|no|none|not (?:offered|available|at this time|yet)|n/a)(?!\w)", re.I
)


def _row_says_no(cells: tuple[str, ...]) -> bool:
    return len(cells) >= 2 and bool(ROW_NO.match(cells[1])) and cells[1].strip() != ""


def _reconciled(found: list[Finding]) -> list[Finding]:
    """One sentence's findings; where it denies an IMG-specific offering ("no mentorship program
    specific to IMGs; IMG residents are matched with mentors like everyone"), the denial stands."""
    denied = {
        f.indicator for f in found if f.value is False and f.indicator.endswith("img_specific")
    }
    kept = [f for f in found if not (f.indicator in denied and f.value is True)]
    if denied:  # the IMG-specific twins that were denied do not make IMG support either
        kept = [f for f in kept if not (f.indicator == "support.img_specific" and f.value is True)]
    return kept


def _answer(out: FindingList, sentence: Sentence) -> bool:
    """An FAQ "No." / "Yes, ..." / "4 weeks" to a question that names an offering."""
    label, span = sentence.label, sentence.labelled_span
    if not label.endswith("?"):
        return False
    if ORIENTATION.search(label) and re.search(r"\bhow long\b", label):
        weeks = ORIENTATION_WEEKS_ANSWER.match(sentence.norm)
        if weeks:
            token = weeks.group(1)
            out.add(
                span,
                "orientation.weeks",
                int(token) if token.isdigit() else WEEK_WORDS[token],
                0.75,
            )
            return True
    answer = ANSWER.match(sentence.norm)
    if not answer:
        return False
    offered = answer.group(1) == "yes"
    for indicator, pattern, img_twin in (
        ("mentorship.formal", MENTORSHIP, "mentorship.img_specific"),
        ("orientation.present", ORIENTATION, "orientation.img_specific"),
        ("wellness.mental_health", MENTAL_HEALTH, None),
        ("wellness.peer_support", PEER_SUPPORT, None),
        ("wellness.committee", WELLNESS_COMMITTEE, None),
        ("wellness.protected_time", PROTECTED_TIME, None),
        ("language.support", LANGUAGE, None),
        ("dei.initiatives", DEI, None),
    ):
        if pattern.search(label):
            # "Is there a mentorship program for IMGs?" "No." says nothing of mentorship for all.
            for_imgs = img_twin and IMG.search(label)
            out.add(span, img_twin if for_imgs else indicator, offered, 0.75)
            if for_imgs and offered:
                out.add(span, "support.img_specific", True, 0.7)
            return True
    return False


def _clause(
    out: FindingList, span: Sentence | Span, clause: str, context: str, for_others: bool
) -> None:
    if not for_others:  # mentorship, orientation and wellness for students or nurses: not ours
        _offering(
            out, span, clause, "mentorship.formal", MENTORSHIP, 0.85, "mentorship.img_specific"
        )
        if ORIENTATION.search(clause) and ORIENTATION_OFFERED.search(context):
            if not NOT_ORIENTATION.search(clause) and _offering(
                out,
                span,
                clause,
                "orientation.present",
                ORIENTATION,
                0.8,
                "orientation.img_specific",
            ):
                _orientation_weeks(out, span, clause)
        if OFFERED.search(clause):
            _offering(out, span, clause, "wellness.mental_health", MENTAL_HEALTH, 0.85)
        if not TEACHING_TIME.search(clause):
            _offering(out, span, clause, "wellness.protected_time", PROTECTED_TIME, 0.85)
        for indicator, pattern, confidence in SIMPLE_TERMS:
            _offering(out, span, clause, indicator, pattern, confidence)
        if not NOT_LANGUAGE.search(clause):
            _offering(out, span, clause, "language.support", LANGUAGE, 0.8)
    _offering(out, span, clause, "dei.initiatives", DEI, 0.85)
    img_support = IMG_SUPPORT.search(clause)
    for_staff = re.search(r"\bemployees\b|\bstaff members\b", clause) and not RESIDENTS.search(
        clause
    )
    if img_support and not _negated(clause, img_support) and not for_staff:
        out.add(span, "support.img_specific", True, 0.75)
    elif NO_IMG_SUPPORT.search(clause):
        out.add(span, "support.img_specific", False, 0.75)


def extract_support(doc: Document) -> list[Finding]:
    """Support findings of one page."""
    out = FindingList(doc, EXTRACTOR)
    # A page about nurses' or employees' orientation is about them throughout.
    page_topic = " ".join(
        [
            doc.title,
            *(doc.block_text(b) for b in doc.blocks if b.kind == "heading" and b.level == 1),
        ]
    ).lower()
    for sentence in sentences(doc):
        norm = sentence.norm
        if sentence.is_question or _answer(out, sentence) or len(norm) < 8:
            continue
        # Who is it for, and is it an offering at all? The heading and label say as much.
        if not TOPICS.search(sentence.in_context):
            continue
        if NOT_AN_OFFERING.search(norm) and not DENIED_LATER.search(norm):
            continue
        for_others = (
            NOT_FOR_RESIDENTS.search(f"{page_topic} {sentence.in_context}")
            and not RESIDENTS.search(norm)
        ) or STUDENT_SUBJECT.match(norm)
        in_list = sentence.block.kind in ("row", "item")
        context = sentence.in_context if in_list else norm
        found = FindingList(doc, EXTRACTOR)
        for clause in CLAUSES.split(norm):
            if clause.strip():
                _clause(found, sentence, clause, context, for_others)
        if sentence.block.kind == "row" and _row_says_no(sentence.block.cells):
            # "Formal mentorship program | ✘ | Not at this time": the row's mark is the answer.
            found = [replace(f, value=False) if f.value is True else f for f in found]
        if DENIED_LATER.search(norm):
            found = [replace(f, value=False) if f.value is True else f for f in found]
        out.extend(_reconciled(found))
        if in_list and ORIENTATION.search(sentence.heading) and IMG.search(norm):
            # A line of an orientation schedule attended by IMGs: an IMG-specific session.
            out.add(sentence, "orientation.img_specific", True, 0.7)
            out.add(sentence, "support.img_specific", True, 0.7)
    return list(out)
