"""The evaluation gate: the corpus meets its floors, floors only go up, and the scoring rules
(tests/fixtures/eval/README.md) hold on small corpora written here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import evaluation

FIXTURES = Path(__file__).parent / "fixtures"
HELDOUT = FIXTURES / "eval-heldout"


@pytest.fixture(scope="module")
def corpus_report():
    return evaluation.evaluate(evaluation.DEFAULT_CORPUS)


def test_the_corpus_covers_the_variety_the_issue_asks_for():
    cases = evaluation.load_corpus(evaluation.DEFAULT_CORPUS)
    families = {}
    for case in cases:
        families.setdefault(case.id.split("/")[0], []).append(case)
    assert len(cases) >= 150
    for family, minimum in (("visa", 50), ("eligibility", 30), ("roster", 40), ("support", 30)):
        assert len(families[family]) >= minimum, family
    assert {c.content_type for c in cases} >= {"text/html", "text/plain"}
    residents = sum(len(c.label.get("residents", [])) for c in cases)
    assert residents >= 300


def test_the_corpus_meets_its_floors(corpus_report):
    floors = evaluation.read_floors(evaluation.floors_path(evaluation.DEFAULT_CORPUS))["floors"]
    assert len(floors) >= 20  # the family figures and every indicator's F1 are pinned
    evaluation.check_floors(
        corpus_report.figures(), evaluation.floors_path(evaluation.DEFAULT_CORPUS)
    )


def test_the_heldout_corpus_meets_its_floors():
    report = evaluation.evaluate(HELDOUT)
    evaluation.check_floors(report.figures(), evaluation.floors_path(HELDOUT))


def test_the_cli_prints_the_figures_and_fails_below_a_floor(tmp_path):
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"floors": {"visa.accuracy": 1.01}}))
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "eval", "--floors", str(floors)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "pages/s on one core" in result.stdout
    assert "precision" in result.stdout and "schools.accuracy" in result.stdout
    assert result.stderr.strip().splitlines() == [
        f"error: 1 figure(s) below their floors in {floors}: visa.accuracy "
        + result.stderr.split("visa.accuracy ", 1)[1].strip()
    ]
    assert "< 1.010" in result.stderr


def test_floors_only_go_up_unless_a_reason_is_given(tmp_path):
    path = tmp_path / "floors.json"
    evaluation.update_floors({"visa.accuracy": 0.9612, "support.f1": 0.9}, path)
    assert evaluation.read_floors(path)["floors"] == {"support.f1": 0.9, "visa.accuracy": 0.961}
    # A better figure raises its floor; a worse one is refused and changes nothing.
    evaluation.update_floors({"visa.accuracy": 0.97, "support.f1": 0.9}, path)
    with pytest.raises(evaluation.BelowFloors, match="support.f1 would be lowered"):
        evaluation.update_floors({"visa.accuracy": 0.97, "support.f1": 0.8}, path)
    assert evaluation.read_floors(path)["floors"]["support.f1"] == 0.9
    entry = evaluation.update_floors(
        {"visa.accuracy": 0.97, "support.f1": 0.8}, path, "support labels corrected"
    )
    data = evaluation.read_floors(path)
    assert data["floors"] == {"support.f1": 0.8, "visa.accuracy": 0.97}
    assert entry["lowered"] == {"support.f1": 0.8}
    assert data["history"][-1]["reason"] == "support labels corrected"


def write_case(root: Path, family: str, name: str, page: str, label: dict, suffix=".html"):
    folder = root / family
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}{suffix}").write_text(page)
    (folder / f"{name}.json").write_text(json.dumps(label))


def test_scoring_counts_wrong_values_silence_and_spurious_residents(tmp_path):
    write_case(
        tmp_path,
        "visa",
        "j1-only",
        "<p>We sponsor J-1 visas only.</p>",
        {"indicators": {"visa.j1": "yes", "visa.h1b": "conditional"}},
    )
    write_case(
        tmp_path,
        "visa",
        "silent",
        "<p>Our hospital has 400 beds.</p>",
        {"indicators": {}},
    )
    write_case(
        tmp_path,
        "visa",
        "unlabelled-statement",
        "<p>We do not sponsor H-1B visas.</p>",
        {"indicators": {}},
    )
    write_case(
        tmp_path,
        "roster",
        "two-residents",
        "<h1>Current Residents</h1><h2>PGY-1</h2><ul><li>Ana Ruiz - St. George's University</li>"
        "<li>Ben Cole - Emory University School of Medicine</li></ul>",
        {
            "indicators": {},
            "residents": [
                {
                    "name": "Ana Ruiz",
                    "pgy": "PGY-1",
                    "class_year": None,
                    "chief": False,
                    "school": "St. George's University",
                    "school_type": "IMG_CARIBBEAN",
                },
                {
                    "name": "Ben Cole",
                    "pgy": "PGY-1",
                    "class_year": None,
                    "chief": False,
                    "school": "Emory University School of Medicine",
                    "school_type": "US_MD",
                },
                {
                    "name": "Cy Dunn",
                    "pgy": "PGY-1",
                    "class_year": None,
                    "chief": False,
                    "school": None,
                    "school_type": "UNKNOWN",
                },
            ],
        },
    )
    report = evaluation.evaluate(tmp_path)
    j1, h1b = report.indicators["visa.j1"], report.indicators["visa.h1b"]
    assert (j1.tp, j1.fp, j1.fn, j1.wrong) == (1, 0, 0, 0)
    # "J-1 only" read as h1b=no against a label of conditional: a wrong value; the unlabelled
    # "do not sponsor H-1B" is a false positive; the silent page counts nowhere.
    assert (h1b.tp, h1b.fp, h1b.fn, h1b.wrong) == (0, 1, 0, 1)
    figures = report.figures()
    assert figures["visa.accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    assert figures["roster.count_exact"] == 0.0  # 2 found, 3 listed
    assert figures["roster.resident_recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert figures["roster.school_type_accuracy"] == 1.0
    assert figures["roster.clean_non_roster_pages"] == 1.0
    assert report.pages == 4 and report.pages_per_second > 0


def test_a_page_without_a_label_is_named(tmp_path):
    write_case(tmp_path, "visa", "ok", "<p>x</p>", {"indicators": {}})
    (tmp_path / "visa" / "orphan.txt").write_text("We sponsor J-1 visas.")
    with pytest.raises(evaluation.CorpusError, match="orphan: has no label"):
        evaluation.load_corpus(tmp_path)


def test_a_label_outside_the_vocabulary_is_named(tmp_path):
    write_case(tmp_path, "visa", "typo", "<p>x</p>", {"indicators": {"visa.h1": "yes"}})
    with pytest.raises(evaluation.CorpusError, match=r"typo.json: unknown indicator\(s\) visa.h1"):
        evaluation.load_corpus(tmp_path)
