import pytest

from normalizers.support import extract_support
from normalizers.text import html_to_document


def found(sentence: str) -> dict:
    return {f.indicator: f.value for f in extract_support(html_to_document(f"<p>{sentence}</p>"))}


@pytest.mark.parametrize(
    "sentence, expected",
    [
        (
            "Every intern is paired with a faculty mentor during the first week.",
            {"mentorship.formal": True},
        ),
        ("We do not have a formal mentorship program at this time.", {"mentorship.formal": False}),
        (
            "Our IMG mentorship program pairs new international graduates with senior IMG residents.",
            {
                "mentorship.formal": True,
                "mentorship.img_specific": True,
                "support.img_specific": True,
            },
        ),
        (
            "Interns begin with a two-week orientation that covers the EMR.",
            {"orientation.present": True, "orientation.weeks": 2},
        ),
        (
            "Residents have confidential access to counseling through the Employee Assistance Program.",
            {"wellness.mental_health": True},
        ),
        (
            "The resident wellness committee organizes quarterly protected wellness half-days.",
            {"wellness.protected_time": True, "wellness.committee": True},
        ),
        (
            "Unfortunately, we do not offer a wellness committee or peer support groups.",
            {"wellness.peer_support": False, "wellness.committee": False},
        ),
        ("Residents may take a medical Spanish course.", {}),
        ("We offer communication skills coaching for residents.", {"language.support": True}),
        ("We value diversity.", {}),
        ("Our Office of Diversity and Inclusion runs a DEI curriculum.", {"dei.initiatives": True}),
        (
            "There is no IMG-specific orientation.",
            {"orientation.img_specific": False},
        ),
        ("Respect for every sexual orientation is part of our culture statement.", {}),
    ],
)
def test_support_terms(sentence, expected):
    assert found(sentence) == expected
