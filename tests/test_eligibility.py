import pytest

from normalizers.eligibility import extract_eligibility
from normalizers.text import html_to_document


def found(sentence: str) -> dict:
    return {
        f.indicator: (f.value, f.strictness)
        for f in extract_eligibility(html_to_document(f"<p>{sentence}</p>"))
    }


@pytest.mark.parametrize(
    "sentence, expected",
    [
        (
            "Applicants must have a minimum score of 220 on Step 2 CK.",
            {"elig.step2ck_min": (220, "hard")},
        ),
        (
            "Step 1 and Step 2 CK must be passed with minimum scores of 215 and 225.",
            {"elig.step1_min": (215, "hard"), "elig.step2ck_min": (225, "hard")},
        ),
        ("The average Step 2 CK score of our current interns is 238.", {}),
        ("A Step 2 CK score of 240 or higher is preferred.", {}),
        (
            "All USMLE Steps must be passed on the first attempt.",
            {"elig.attempts_max": (1, "hard")},
        ),
        ("We accept no more than two attempts on any Step.", {"elig.attempts_max": (2, "hard")}),
        (
            "Candidates must be within 3 years of graduation from medical school.",
            {"elig.yog_max_years": (3, "hard")},
        ),
        (
            "Applicants should have graduated within the last 5 years; recent graduates are preferred.",
            {"elig.yog_max_years": (5, "preferred")},
        ),
        ("US clinical experience is required.", {"elig.usce": ("required", "hard")}),
        (
            "U.S. clinical experience is strongly preferred but not required.",
            {"elig.usce": ("preferred", "preferred")},
        ),
        ("US clinical experience is not required.", {"elig.usce": ("not_required", None)}),
        (
            "Observerships do not count as US clinical experience.",
            {"elig.observership_counts": (False, None)},
        ),
        (
            "Observerships count toward the USCE requirement.",
            {"elig.observership_counts": (True, None)},
        ),
        (
            "We welcome applications from international medical graduates.",
            {"elig.img_accepted": ("yes", None)},
        ),
        (
            "We do not accept applications from international medical graduates.",
            {"elig.img_accepted": ("no", None)},
        ),
    ],
)
def test_rules(sentence, expected):
    assert found(sentence) == expected


def test_ecfmg_deadline_is_kept_as_detail():
    (finding,) = extract_eligibility(
        html_to_document("<p>ECFMG certification must be obtained by June 1, 2026.</p>")
    )
    assert (finding.indicator, finding.value) == ("elig.ecfmg_required", "yes")
    assert finding.detail == {"deadline": "June 1, 2026"}
