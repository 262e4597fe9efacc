import pytest

from normalizers.text import html_to_document
from normalizers.visa import extract_visa


def values(html: str) -> dict:
    out: dict = {}
    for finding in extract_visa(html_to_document(html)):
        out.setdefault(finding.indicator, []).append(finding.value)
    return out


@pytest.mark.parametrize(
    "html, expected",
    [
        (
            "<p>We sponsor J-1 visas through ECFMG. We do not sponsor H-1B visas.</p>",
            {"visa.j1": ["yes"], "visa.h1b": ["no"]},
        ),
        ("<p>The program sponsors J1 visas only.</p>", {"visa.j1": ["yes"], "visa.h1b": ["no"]}),
        ("<p>Visa sponsorship: J-1 (ECFMG) only.</p>", {"visa.j1": ["yes"], "visa.h1b": ["no"]}),
        ("<p>We sponsor both J-1 and H1B visas.</p>", {"visa.j1": ["yes"], "visa.h1b": ["yes"]}),
        (
            "<p>We accept J-1 visa holders but we do not sponsor H1-B.</p>",
            {"visa.j1": ["yes"], "visa.h1b": ["no"]},
        ),
        (
            "<p>We are unable to sponsor visas at this time.</p>",
            {"visa.j1": ["no"], "visa.h1b": ["no"]},
        ),
        (
            "<p>Only US citizens and permanent residents are eligible.</p>",
            {"visa.citizens_only": [True], "visa.j1": ["no"], "visa.h1b": ["no"]},
        ),
    ],
)
def test_statements(html, expected):
    assert values(html) == expected


def test_h1b_conditions_are_carried_with_the_conditional_value():
    found = values(
        "<p>H-1B sponsorship is considered case by case for applicants who have "
        "passed USMLE Step 3 before the rank list deadline.</p>"
    )
    assert found["visa.h1b"] == ["conditional"]
    assert found["visa.h1b_conditions"] == [["step3_required", "case_by_case"]]


def test_green_card_statement_says_nothing_about_visas():
    assert values("<p>We do not offer green card sponsorship.</p>") == {}


def test_faq_answer_takes_its_subject_from_the_question():
    assert values("<h3>Do you sponsor H-1B visas?</h3><p>No.</p>") == {"visa.h1b": ["no"]}
    assert values("<h3>Do you sponsor J-1 visas?</h3><p>Yes, through ECFMG.</p>") == {
        "visa.j1": ["yes"]
    }


def test_question_without_answer_is_not_a_statement():
    assert values("<h3>Does the program not sponsor H-1B visas?</h3><h3>Next question?</h3>") == {}


def test_navigation_mentions_are_not_statements():
    assert values("<nav><a>We do not sponsor visas</a></nav><p>Welcome!</p>") == {}


def test_evidence_is_the_exact_sentence():
    doc = html_to_document("<p>Intro text here. We do not sponsor H-1B visas. Contact us.</p>")
    (finding,) = extract_visa(doc)
    assert finding.evidence.quote == "We do not sponsor H-1B visas."
    assert doc.text[finding.evidence.start : finding.evidence.end] == finding.evidence.quote
    assert finding.extractor.startswith("visa@")


def test_a_yes_to_a_question_about_visas_in_general_does_not_say_which():
    assert values("<h3>Do you sponsor visas?</h3><p>Yes.</p>") == {}
    assert values("<h3>Do you sponsor visas?</h3><p>No.</p>") == {
        "visa.j1": ["no"],
        "visa.h1b": ["no"],
    }
