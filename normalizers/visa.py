"""Visa sponsorship statements -> visa.j1, visa.h1b, visa.h1b_conditions, visa.citizens_only.

Stages per sentence (questions are never statements; headings of a few words are titles):
  1. visa tables with a column per visa ("Program | J-1 | H-1B"): each column read down;
     mixed answers make the visa conditional;
  2. citizens/permanent residents only -> both visas no, citizens_only true; citizens, permanent
     residents or EAD holders -> both visas no;
  3. "J-1 only" (or "H-1B only") -> that visa yes, the other no; "no new H-1B petitions" ->
     H-1B only for those who already hold one;
  4. each clause (split at "but", ";", "however", "while", ", as", "because") that names J-1,
     H-1B or visas in general - or, when it names none, the visas of its label (an FAQ question,
     a dt, a table row's first cell, a card's title): negated -> no; a condition (Step 3, an
     H-1B already held, F-1, case by case, a limited number, some tracks) -> conditional with
     its conditions; a sponsorship verb or a bare "Yes"/"✓" -> yes.
A clause about another program (a fellowship), about the past ("through 2026 we sponsored"),
or about green cards says nothing about this program's J-1 or H-1B.
"""

from __future__ import annotations

import re

from normalizers.document import Document, Evidence, Finding
from normalizers.sentences import Sentence, Span, sentences

EXTRACTOR = "visa@2"

CLAUSE_SPLIT = re.compile(
    r";|\bbut\b(?! only\b)|\bhowever\b|\bwhile\b|\bwhereas\b|\bexcept\b|, and we\b|, as\b|\bbecause\b"
    r"|, since\b|, so\b|\. |, and (?:you|applicants|residents|candidates)\b"
)
# "Residents who are not US citizens train on the J-1": the "not" belongs to citizenship.
CITIZENSHIP_CLAUSE = re.compile(
    r"\b(?:who|that) (?:are|is) not (?:us |united states )?citizens?(?:,? (?:or|nor) (?:lawful )?"
    r"permanent residents?)?|\b(?:who|that) (?:do|does) not (?:need|require)\b[^,;.]*"
    r"|\bif you are not (?:a |an )?(?:us |united states )?citizen[^,;]{0,40}"
    r"|\bnon-(?:us )?citizens?|\bneither (?:us |united states )?citizens? "
    r"nor (?:lawful )?permanent residents?|\bnot (?:us |united states )?citizens? or (?:lawful )?"
    r"permanent residents?"
)
CITIZENS_ONLY = re.compile(
    r"\bonly (?:us |united states )?citizens"
    r"|\b(?:citizens?|citizenship) (?:and|or) (?:lawful )?(?:permanent residents?|green card holders?)"
    r"(?: only| are eligible| will be considered| may apply| can be considered| are considered)"
    r"|\bmust be (?:a |an )?(?:us |united states )?citizens?(?: of the united states)?,? (?:or|and) "
    r"(?:a )?(?:lawful )?permanent resident"
    r"|\blimited to (?:us |united states )?citizens"
    r"|\bgreen card holders only\b|\bciudadanos\b.{0,40}\bresidentes permanentes\b"
    r"|\b(?:open|available|limited) only to (?:us |united states )?citizens\b"
    r"|\b(?:us |united states )?citizenship (?:or|and) (?:lawful )?permanent residen\w* (?:is|are) "
    r"(?:required|mandatory|a requirement)"
)
# Citizens, permanent residents *or* an EAD: not citizens-only, but no visa is sponsored.
WORK_AUTHORIZATION_ONLY = re.compile(
    r"\b(?:citizens?|citizenship)\b[^.;]{0,40}\bpermanent residen\w*\b[^.;]{0,40}\b(?:ead|employment "
    r"authorization)"
)
# "Preliminary positions: J-1 only": a part of the program, not all of it.
RESTRICTED_SUBJECT = re.compile(
    r"^\W*(?:our |the )?(?:preliminary|categorical|transitional|research|primary care|[\w-]+ track)"
    r"\b[^.;:]{0,30}(?::|positions?\b|tracks?\b)"
)
# "J-1, through ECFMG. That's it: we cannot sponsor any other visa category."
NO_OTHER_VISA = re.compile(
    r"\b(?:no|not|don't|do not|cannot|can't)\b[^.;]{0,60}\bany other (?:visa|immigration)"
)
# "J-1 only" is exclusive; "H-1B only for applicants who..." is a condition.
ONLY_IF = r" (?:for|if|when|to|after|in|with|once|where|provided)\b"
J1_ONLY = re.compile(
    r"\bj-1(?: visas?)?(?: \([^)]*\))?,? only\b(?!"
    + ONLY_IF
    + r")|\bonly (?:sponsor|accept|offer|support|consider)s? "
    r"(?:the )?(?:ecfmg[- ]sponsored )?j-1\b|\bonly (?:the )?(?:ecfmg[- ]sponsored )?j-1\b"
    r"|\bexclusively (?:in |through )?(?:the )?(?:[\w-]+ ){0,3}\(?j-1\)?|\blimited to (?:the )?j-1\b|\bsolely (?:the )?j-1\b"
    r"|\bj-1\b[^.;]{0,80}\b(?:is|remains) (?:the )?(?:only|sole)\b"
    r"|\bonly (?:visa|option|pathway)\b[^.;]{0,40}\bis (?:the )?(?:ecfmg[- ]sponsored )?j-1\b"
)
H1B_ONLY = re.compile(
    r"\bh-1b(?: visas?)?,? only\b(?!"
    + ONLY_IF
    + r")|\bonly (?:sponsor|accept|offer|support|consider)s? (?:the )?h-1b\b"
    r"|\bexclusively (?:the )?h-1b\b|\bh-1b\b[^.;]{0,60}\bis the only\b"
)
NO_NEW_PETITIONS = re.compile(
    r"\b(?:not|never) (?:initiate|file|start|submit|sponsor)s? (?:any )?new h-1b"
    r"|\bno new h-1b (?:petitions|sponsorship)"
)
GENERIC_VISA = re.compile(
    r"\bvisa sponsorship\b|\bsponsor(?:ship of)? (?:any |all )?(?:types of )?visas?\b"
    r"|\bvisas? (?:are|is|will be|can be|cannot be) (?:not )?sponsored\b|\bsponsor(?:ing)? visas\b"
    r"|\bvisas? (?:sponsorship )?(?:is|are) not (?:offered|available|provided)\b"
    r"|\bvisas? of any (?:type|kind)\b|\bpatrocin\w* (?:de )?visas?\b"
)
GREEN_CARD = re.compile(
    r"\bgreen cards?\b|\bpermanent residen(?:cy|ce) (?:sponsorship|application|petition)"
    r"|\bapplications? for permanent residen"
)
NEGATION = re.compile(
    r"\b(?:do|does|did|will|can|are|is|am|were|was)(?:n't| not)\b|\bcannot\b|\bunable\b"
    r"|\bnot (?:able|in a position|currently|presently|offer|provide|sponsor|accept|available|"
    r"eligible|considered|possible|support)\b|\bno (?:visa|h-1b|j-1|sponsorship)\b|\bnever\b"
    r"|\bno longer\b|\bnot\b.{0,20}\bsponsor|\bno (?:patrocin|acept|ofrec)\w*|\bdeclines?\b"
)
# A cap on numbers: "at most two H-1B positions a year", "limited to one resident per class".
QUOTA = (
    r"\bno more than (?:one|two|three|\d+) (?:per|a|each|every)\b|\bat most (?:[\w-]+ ){0,3}(?:positions?|residents?|trainees?|slots?|petitions?)\b"
    r"|\b(?:limited|capped) (?:to|at) (?:one|two|three|four|five|\d+) (?:[\w-]+ ){0,2}"
    r"(?:positions?|residents?|trainees?|slots?|per (?:year|class))"
    r"|\bup to (?:one|two|three|four|\d) (?:h-1b )?(?:positions|residents|slots|trainees)\b"
)
# A condition waived is no negation: "you do not need Step 3 to be sponsored".
WAIVED = re.compile(
    r"\b(?:do|does|will) not need (?:to have )?(?:taken|passed|completed)?[^,;.]{0,40}"
)
CONDITIONAL = re.compile(
    r"case[- ]by[- ]case|individual(?:ly)? (?:basis|reviewed|review)|reviewed individually"
    r"|\bonly (?:if|when|for|after|to)\b|\bprovided (?:that)?\b|\blimited to\b|\blimited number\b"
    r"|\brequire[sd]?\b|\bmust (?:have )?(?:pass|be|hold)|\bcontingent\b|\bselect(?:ed)? "
    r"|\bin (?:some|certain|rare|limited) (?:cases|circumstances|instances)\b|\bmay (?:be )?consider"
    r"|\bon a limited basis\b|\bdepending on\b|\bunder certain\b|\bif (?:the )?(?:applicants?|you)\b"
    r"|\bwho (?:have|has) (?:already )?passed\b|\bafter passing\b|\bby the time\b|\bwho pass"
    r"|\bfor (?:h-1b )?consideration\b|\beither\b|\bapproval\b|\bat most \w+ (?:a|per) year"
    r"|\b(?:the following|these|two|three|certain|some) (?:situations|circumstances|conditions|cases)\b"
    r"|\bfollowing (?:are|is) met\b|\btied to\b|\bsmall number\b|\bapproved by\b|\bdecided by (?:each|the) program"
    r"|\bvar(?:ies|y) by program|\bdepends? on the program|\bprogram by program\b"
    r"|\bonly (?:in|at|within) (?:the following|certain|some|select|these)\b"
    r"|\bin (?:the following|certain|some|select) programs\b|\b(?:positions?|tracks?)\s+only\b"
    r"|" + QUOTA
)
# Conditions outside the named ones: some tracks, a limited number, an approval.
OTHER_CONDITION = re.compile(
    r"\bapprov|\blimited number\b|\bat most \w+ (?:a|per) year|\btracks?\b|\bselect(?:ed)? "
    r"(?:programs|positions|candidates)|\bsome (?:programs|positions)|\bdepartment(?:al)? (?:chair|"
    r"approval)|\bdio\b|\bgmec\b|" + QUOTA
)
POSITIVE = re.compile(
    r"\bsponsor(?!ship)|\baccept|\bsupport|\boffer|\beligible\b|\bavailable\b|\bprovide|\bconsider"
    r"|\bwelcome|\bwe (?:will )?process\b|\bwe (?:do )?(?:take|use)\b|\bj-1 (?:and|or|&) h-1b\b|\bh-1b (?:and|or|&) j-1\b"
    r"|\btrains? (?:\w+ ){0,3}on (?:a |the )?(?:ecfmg[- ]sponsored )?j-1\b|\bpatrocin|\baceptamos\b"
    r"|\bacepta\b|\bofrecemos\b|\bwe (?:will )?file\b|\bwill file\b|\bfiles? (?:an? )?h-1b"
    r"|\bfiled by\b|\bpetition for\b|\bas an? (?:ecfmg[- ]sponsored )?j-1\b|\bparticipates? in (?:the )?ecfmg|\b(?:may|can) (?:rank|apply)\b|\bapply with\b"
    r"|\b(?:with|through|under) (?:ecfmg )?j-1 sponsorship"
)
J1_CONDITIONAL = re.compile(
    r"\b(?:positions?|tracks?|programs?)\s+only\b|\bonly (?:for|in) (?:our |the )?(?:categorical|"
    r"preliminary|primary care|research|\w+ track)"
)
H1B_CONDITIONS = (
    (
        "step3_required",
        re.compile(r"\bstep (?:3|iii|three)\b|\blevel 3\b|\bsteps?\b[^.;]{0,25}\b(?:and|&) 3\b"),
    ),
    (
        "already_h1b",
        re.compile(
            r"\balready (?:hold|have|on|possess|in)|\bcurrently (?:hold|on|have|in) (?:an? )?h-1b"
            r"|\bexisting h-1b|\btransfer|\bcap[- ]exempt (?:h-1b )?transfer|\bport\b|\bno new h-1b"
            r"|\bnot (?:initiate|file|start|submit|sponsor)s? (?:any )?new h-1b"
            r"|\b(?:presently|currently) (?:working|training|employed)\b[^.;]{0,30}\bh-1b"
            r"|\bchange[- ]of[- ]employer"
        ),
    ),
    (
        "us_grad_f1",
        re.compile(
            r"\bf-1\b|\bopt\b|\bgraduates? of (?:a )?(?:us|u\.s|united states) (?:medical )?schools?"
        ),
    ),
    (
        "case_by_case",
        re.compile(
            r"case[- ]by[- ]case|individual(?:ly)? (?:basis|review)|reviewed individually"
            r"|\bone (?:applicant|application|request|case) at a time\b|\bon (?:its|their) own merits\b"
            r"|\breviews? each (?:such )?(?:request|application|case)|\bcaso por caso\b"
        ),
    ),
)
# A statement about another program, or about the past, is not this program's policy.
OTHER_PROGRAM = re.compile(
    r"\bfellowships?\b|\bfellows\b|\bsister program\b|\baffiliated program\b|\banother program\b"
)
RESTATEMENT = re.compile(
    r"\b(?:this|these|that|the above) (?:requirements?|conditions?|date|deadline)\b"
)
# "We do not offer H-1B as a matter of course": a no with exceptions.
SOFTENED = re.compile(
    r"\bas a matter of course\b|\broutinely\b|\bautomatically\b|\bde manera general\b"
    r"|\bin general\b|\bas a rule\b"
)
# "The other six programs do not sponsor H-1B": a no for some programs makes it conditional.
RESTRICTED_NEGATION = re.compile(
    r"\b(?:the )?(?:other|remaining) (?:\w+ )?programs\b|\bsome programs\b|\bthose programs\b"
    r"|\bprograms (?:marked|listed|shown)\b|\bprograms that\b"
)
OUR_PROGRAM = re.compile(r"\bresiden(?:cy|ts?)\b|\bour program\b|\ball (?:of our )?programs\b")
# Explanations of how visas work in general ("hospitals are usually cap-exempt").
GENERAL_TEXT = re.compile(
    r"\bproclamation\b|\blegislation\b|\bcongress\b|\bthe (?:new )?(?:federal )?rule\b"
    r"|\b(?:said|stated|claimed|rumou?rs?|heard)\b|\bread (?:on|that)\b|(?:^|\s)>\s"
    r"|\busually\b|\btypically\b|\bgenerally\b|\bin general\b|\bmost (?:programs|hospitals)\b"
    r"|^\W*(?:ecfmg|uscis|the (?:state department|federal government|aamc)|news reports|consulates)\b"
    r"\s+(?:reports?|says?|recommends?|processed|announced|notes?)"
    r"|\bthis (?:position|job|role)\b|\bthe successful candidate\b|\bjob (?:posting|description)\b"
)
HISTORY = re.compile(
    r"\b(?:through|until|up to|before) (?:the )?(?:(?:19|20)\d\d|last year)\b|\bpreviously\b"
    r"|\bformerly\b|\bin the past\b|\bused to\b|\bhistorically\b"
)
ANSWER_PREFIX = re.compile(r"^(?:a|answer|r|respuesta)\s*[:.)-]\s*")
YES_NO_ANSWER = re.compile(r"^(yes|no|sí|si)\b")
BARE_ANSWER = re.compile(
    r"^\W*(yes|no|✓|✔|✗|✘|×|x|sponsored|not sponsored|accepted|not accepted|offered|not offered"
    r"|available|not available|supported|not supported|sí|si)\W*$"
)
NO_WORDS = frozenset({"no", "✗", "✘", "×", "x"})
ECFMG_FILLER = re.compile(r"\b(?:through|via|by|with) (?:the )?ecfmg\b|\(ecfmg\)|\becfmg\b")
TYPE_NAMES = re.compile(r"\bj-1\b|\bh-1b\b|\bvisas?\b|[*()\[\],/&]|\band\b|\bor\b|\btypes?\b")
# "Program | J-1 | H-1B": a table with a column per visa.
VISA_COLUMN = {"j-1": "visa.j1", "h-1b": "visa.h1b"}


TOPICS = re.compile(
    r"j-1|h-1b|visa|citizen|sponsor|ead\b|employment authorization|green card|permanent resid"
    r"|patrocin|ciudadan|immigra|petition"
)


def _types(norm: str) -> set[str]:
    found = set()
    if re.search(r"\bj-1\b", norm):
        found.add("visa.j1")
    if re.search(r"\bh-1b\b", norm):
        found.add("visa.h1b")
    return found


def _conditions(norm: str) -> list[str]:
    found = [name for name, pattern in H1B_CONDITIONS if pattern.search(norm)]
    if OTHER_CONDITION.search(norm) or not found:
        found.append("other")
    return found


def _answer(text: str) -> str | None:
    """'yes' / 'no' for a bare answer cell or reply ("No.", "✓", "Not sponsored"), else None."""
    match = BARE_ANSWER.match(ANSWER_PREFIX.sub("", text.strip()))
    if not match:
        return None
    word = match.group(1)
    return "no" if word in NO_WORDS or word.startswith("not") else "yes"


class _Collector:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.findings: list[Finding] = []

    def add(self, indicator: str, value, confidence: float, span: Span | Sentence) -> None:
        evidence = Evidence.span(self.doc, span.start, span.end)
        self.findings.append(Finding(indicator, value, confidence, evidence, EXTRACTOR))

    def verdict(
        self,
        types: set[str],
        norm: str,
        span: Span | Sentence,
        confidence: float,
        negated: bool | None = None,
        answered: str | None = None,
        conditions_from: str | None = None,
    ) -> None:
        plain = WAIVED.sub(" ", CITIZENSHIP_CLAUSE.sub(" ", norm))
        negated = bool(NEGATION.search(plain)) if negated is None else negated
        if negated and (RESTRICTED_NEGATION.search(plain) or SOFTENED.search(plain)):
            for indicator in sorted(types):
                self.add(indicator, "conditional", confidence - 0.1, span)
                if indicator == "visa.h1b":
                    conditions = _conditions(conditions_from or plain)
                    self.add("visa.h1b_conditions", conditions, confidence - 0.1, span)
            return
        for indicator in sorted(types):
            if negated or answered == "no":
                self.add(indicator, "no", confidence, span)
            elif indicator == "visa.h1b" and (
                CONDITIONAL.search(plain) or any(p.search(plain) for _, p in H1B_CONDITIONS)
            ):
                self.add(indicator, "conditional", confidence - 0.05, span)
                conditions = _conditions(conditions_from or plain)
                # "...and has not met this requirement": it refers back to a condition already read.
                if conditions != ["other"] or not RESTATEMENT.search(plain):
                    self.add("visa.h1b_conditions", conditions, confidence - 0.05, span)
            elif indicator == "visa.j1" and J1_CONDITIONAL.search(plain):
                self.add(indicator, "conditional", confidence - 0.05, span)
            elif answered == "yes" or POSITIVE.search(plain):
                self.add(indicator, "yes", confidence, span)


def _visa_tables(out: _Collector, items: list[Sentence]) -> set[int]:
    """Tables with a column per visa: each column read down. Returns the rows consumed."""
    consumed: set[int] = set()
    columns: dict[str, list[tuple[str, Sentence]]] = {}
    for index, sentence in enumerate(items):
        if sentence.block.kind != "row" or not sentence.label:
            continue
        header = [cell.strip() for cell in sentence.label.split("|")]
        visa_columns = {
            i: VISA_COLUMN[cell.split()[0]]
            for i, cell in enumerate(header)
            if cell and cell.split()[0] in VISA_COLUMN
        }
        if not visa_columns or _types(sentence.norm):
            continue
        consumed.add(index)
        cells = sentence.block.cells
        for i, indicator in visa_columns.items():
            answer = _answer(cells[i].lower()) if i < len(cells) else None
            if answer:
                columns.setdefault(indicator, []).append((answer, sentence))
    for indicator, answers in columns.items():
        values = {answer for answer, _ in answers}
        span = Span(answers[0][1].start, answers[-1][1].end)
        if len(values) == 1:
            out.add(indicator, values.pop(), 0.85, span)
        else:  # some programs yes, others no
            out.add(indicator, "conditional", 0.8, span)
            if indicator == "visa.h1b":
                out.add("visa.h1b_conditions", ["other"], 0.8, span)
    return consumed


def _about_this_program(clause: str) -> bool:
    if OTHER_PROGRAM.search(clause) and not OUR_PROGRAM.search(clause):
        return False
    return not HISTORY.search(clause) and not GENERAL_TEXT.search(clause)


def _whole_sentence_rules(out: _Collector, sentence: Sentence, norm: str) -> bool:
    """Citizens-only, work-authorization-only, "J-1 only", "H-1B only", no new petitions."""
    if re.search(r"\bnot (?:only|limited)\b", norm):
        return False
    if not _about_this_program(norm):
        return True  # "our sister fellowship takes J-1 only": nothing about this program
    if WORK_AUTHORIZATION_ONLY.search(norm) and not _types(norm):
        out.verdict({"visa.j1", "visa.h1b"}, norm, sentence, 0.8, negated=True)
        return True
    if CITIZENS_ONLY.search(norm) and not CITIZENSHIP_CLAUSE.search(norm):
        out.add("visa.citizens_only", True, 0.9, sentence)
        out.verdict({"visa.j1", "visa.h1b"}, norm, sentence, 0.85, negated=True)
        return True
    if J1_ONLY.search(norm):
        out.add("visa.j1", "yes", 0.93, sentence)
        if not RESTRICTED_SUBJECT.search(norm):  # "Preliminary positions: J-1 only" is not all
            out.add("visa.h1b", "no", 0.9, sentence)
        return True
    if H1B_ONLY.search(norm):
        out.add("visa.h1b", "yes", 0.9, sentence)
        out.add("visa.j1", "no", 0.88, sentence)
        return True
    if NO_NEW_PETITIONS.search(norm):
        out.add("visa.h1b", "conditional", 0.85, sentence)
        out.add("visa.h1b_conditions", ["already_h1b"], 0.85, sentence)
        return True
    return False


def _statement(out: _Collector, sentence: Sentence) -> None:
    norm = ANSWER_PREFIX.sub("", sentence.norm)
    if _whole_sentence_rules(out, sentence, norm):
        return
    adjacent = sentence.label_start is not None
    label_types = (_types(sentence.label) or _types(sentence.heading)) if adjacent else set()
    if sentence.block.kind == "row":
        # A row names its visa in its first cell; a later sentence of the row answers to it.
        cells = sentence.block.cells
        label_types = set() if _types(norm) else _types(cells[0].lower()) if cells else set()
    for clause in CLAUSE_SPLIT.split(norm):
        if GREEN_CARD.search(clause) or not _about_this_program(clause):
            continue
        types = _types(clause)
        answered = None
        span: Span | Sentence = sentence
        if types and sentence.block.kind == "row":
            answered = _answer(TYPE_NAMES.sub(" ", clause.split("|", 1)[-1]))
        elif (
            types
            and len(clause.split()) <= 6
            and not re.search(r"[a-z]{4,}", TYPE_NAMES.sub(" ", ECFMG_FILLER.sub(" ", clause)))
        ):
            answered = "yes"  # "Visas: J-1, H-1B*" - a list of the visas offered
        if not types and label_types:
            # "Do you sponsor H-1B visas?" "No." / "H-1B" "Each request is reviewed individually".
            types, span = label_types, sentence.labelled_span
            answered = _answer(clause) or (
                YES_NO_ANSWER.match(clause).group(1) if YES_NO_ANSWER.match(clause) else None
            )
            answered = {"sí": "yes", "si": "yes"}.get(answered or "", answered)
        if not types:
            if not GENERIC_VISA.search(clause) and not (
                sentence.label.endswith("?") and GENERIC_VISA.search(sentence.label)
            ):
                continue
            # "We do not sponsor visas" covers both; a bare "we sponsor visas" says too little.
            plain = CITIZENSHIP_CLAUSE.sub(" ", clause)
            if not (
                NEGATION.search(plain) or YES_NO_ANSWER.match(clause) and clause.startswith("no")
            ):
                continue
            out.verdict({"visa.j1", "visa.h1b"}, clause, sentence.labelled_span, 0.9, negated=True)
            continue
        # Conditions often follow in clauses of their own: "H-1B: case by case; candidates must
        # have passed Step 3" - the sentence, less its J-1-only clauses, holds them all.
        conditions_from = " ; ".join(
            c for c in CLAUSE_SPLIT.split(norm) if _types(c) != {"visa.j1"}
        )
        out.verdict(types, clause, span, 0.93, answered=answered, conditions_from=conditions_from)


ONLY_THESE = re.compile(
    r"\bonly (?:these|the following)\b|\bfollowing (?:categories|statuses)\b.*:$"
)
STATUS_WORDS = re.compile(
    r"\bcitizens?\b|\bnationals?\b|\bpermanent residen|\bgreen card|\bead\b|\bemployment authorization|\basylees?|\brefugees?"
)


def _authorization_list(out: _Collector, items: list[Sentence], index: int) -> bool:
    """'We can appoint applicants in the following categories, and only these:' followed by
    citizens, permanent residents, EAD holders: no visa is sponsored."""
    following = [s for s in items[index + 1 : index + 6] if s.block.kind == "item"]
    if not following or _types(" ".join(s.norm for s in following)):
        return False
    statuses = " ".join(s.norm for s in following)
    if not STATUS_WORDS.search(statuses):
        return False
    span = Span(items[index].start, following[-1].end)
    if not re.search(r"\bead\b|employment authorization|asyl|refugee", statuses):
        out.add("visa.citizens_only", True, 0.85, span)
    out.add("visa.j1", "no", 0.85, span)
    out.add("visa.h1b", "no", 0.85, span)
    return True


def _list_conditions(out: _Collector, items: list[Sentence], index: int) -> bool:
    """'H-1B ... only when both of the following are met:' -> conditions from the lines below."""
    following = []
    for item in items[index + 1 : index + 6]:
        if item.block.kind == "heading" or _types(item.norm) - {"visa.h1b"}:
            break
        following.append(item)
    if not following:
        return False
    conditions = _conditions(" ".join(s.norm for s in following))
    span = Span(items[index].start, following[-1].end)
    out.add("visa.h1b", "conditional", 0.85, span)
    out.add("visa.h1b_conditions", conditions, 0.85, span)
    return True


def extract_visa(doc: Document) -> list[Finding]:
    """Visa findings of one page."""
    out = _Collector(doc)
    items = sentences(doc)
    consumed = _visa_tables(out, items)
    previous_types: set[str] = set()
    for index, sentence in enumerate(items):
        if index in consumed or sentence.is_question:
            continue
        if ONLY_THESE.search(sentence.norm) and _authorization_list(out, items, index):
            continue
        if sentence.block.kind == "heading" and len(sentence.norm.split()) <= 6:
            continue  # a title ("H-1B Sponsorship") announces a topic, it states nothing
        row_subject = sentence.block.cells[0] if sentence.block.kind == "row" else ""
        if not TOPICS.search(f"{sentence.in_context} {row_subject.lower()}"):
            continue  # no visa, citizenship or sponsorship word anywhere near
        leads_a_list = sentence.text.endswith(":") and "visa.h1b" in _types(sentence.norm)
        if (
            leads_a_list
            and CONDITIONAL.search(sentence.norm)
            and _list_conditions(out, items, index)
        ):
            continue
        _statement(out, sentence)
        if NO_OTHER_VISA.search(sentence.norm) and "visa.j1" in previous_types | _types(
            sentence.norm
        ):
            out.add("visa.j1", "yes", 0.85, sentence)
            out.add("visa.h1b", "no", 0.85, sentence)
        previous_types = _types(sentence.norm)
    return out.findings
