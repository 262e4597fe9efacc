from normalizers.document import Evidence, ResidentRecord
from normalizers.resolve import resolve_values, roster_aggregates


def resolve(*items):
    return resolve_values(
        [
            (indicator, value, confidence, f"src{i}")
            for i, (indicator, value, confidence) in enumerate(items)
        ]
    )


def test_agreeing_findings_give_one_value_with_all_sources():
    out = resolve(("visa.j1", "yes", 0.9), ("visa.j1", "yes", 0.8))
    assert (out["visa.j1"].value, out["visa.j1"].status) == ("yes", "auto")
    assert out["visa.j1"].sources == ["src0", "src1"]


def test_a_condition_refines_a_yes():
    out = resolve(
        ("visa.h1b", "yes", 0.9),
        ("visa.h1b", "conditional", 0.85),
        ("visa.h1b_conditions", ["step3_required"], 0.85),
    )
    assert out["visa.h1b"].value == "conditional" and out["visa.h1b"].status == "auto"
    assert out["visa.h1b_conditions"].value == ["step3_required"]


def test_disagreement_is_flagged_not_hidden():
    out = resolve(("visa.h1b", "no", 0.9), ("visa.h1b", "no", 0.9), ("visa.h1b", "yes", 0.9))
    assert out["visa.h1b"].value == "no"
    assert out["visa.h1b"].status == "conflicting" and out["visa.h1b"].conflicting == ["yes"]


def test_conditions_without_a_conditional_h1b_are_dropped():
    out = resolve(("visa.h1b", "no", 0.9), ("visa.h1b_conditions", ["case_by_case"], 0.8))
    assert "visa.h1b_conditions" not in out


def resident(name, school_type, pgy=None, chief=False, country=None):
    return ResidentRecord(
        name=name,
        evidence=Evidence(name, 0, len(name)),
        pgy=pgy,
        school_type=school_type,
        chief=chief,
        country=country,
    )


def test_roster_aggregates_count_img_share_overall_and_by_pgy():
    out = roster_aggregates(
        [
            resident("A", "IMG_OTHER", "PGY-1", country="India"),
            resident("B", "US_MD", "PGY-1"),
            resident("C", "IMG_CARIBBEAN", "PGY-2", chief=True, country="Grenada"),
            resident("D", "UNKNOWN", "PGY-2"),
            resident("a", "IMG_OTHER", "PGY-1", country="India"),  # same person listed twice
        ]
    )
    assert out["roster.resident_count"] == 4
    assert out["roster.img_share"] == {
        "img": 2,
        "us_canadian": 1,
        "unknown": 1,
        "total": 4,
        "share": 0.667,
    }
    assert out["roster.img_share_by_pgy"]["PGY-1"] == {"total": 2, "img": 1, "share": 0.5}
    assert out["roster.img_share_by_pgy"]["PGY-2"] == {"total": 2, "img": 1, "share": 1.0}
    assert out["roster.caribbean_share"]["caribbean"] == 1
    assert out["roster.countries"] == {"Grenada": 1, "India": 1}
    assert out["people.img_chief"] is True


def test_no_residents_no_roster_values():
    assert roster_aggregates([]) == {}
