"""Medical-school data: namesakes and short forms that must land on the right school."""

import csv

import pytest

from normalizers.schools import PLACES_FILE, SCHOOL_TYPES, SCHOOLS_FILE, classify_school


@pytest.mark.parametrize(
    "written, school_type, country, school_id",
    [
        # Duke-NUS is in Singapore; "Duke" alone is Duke University
        ("Duke-NUS Medical School", "IMG_OTHER", "Singapore", "int-sg-dukenus"),
        ("Duke NUS Graduate Medical School Singapore", "IMG_OTHER", "Singapore", "int-sg-dukenus"),
        ("Duke", "US_MD", "United States", "us-md-duke"),
        # St George's, University of London is not St. George's University, Grenada
        ("St George's, University of London", "IMG_OTHER", "United Kingdom", "int-gb-sgul"),
        ("St George's Hospital Medical School", "IMG_OTHER", "United Kingdom", "int-gb-sgul"),
        (
            "St. George's University School of Medicine, Grenada",
            "IMG_CARIBBEAN",
            "Grenada",
            "car-sgu",
        ),
        # San Juan Bautista: a private university in Lima and an LCME school in Puerto Rico
        ("Universidad Privada San Juan Bautista, Lima, Peru", "IMG_OTHER", "Peru", "int-pe-upsjb"),
        ("San Juan Bautista School of Medicine", "US_MD", "United States", "us-md-sanjuanbautista"),
        # Dublin, Ohio and London, Ontario are not Ireland and England
        ("OU-HCOM Dublin", "US_DO", "United States", "us-do-ohio"),
        (
            "Ohio University Heritage College of Osteopathic Medicine, Dublin",
            "US_DO",
            "United States",
            "us-do-ohio",
        ),
        ("Trinity College Dublin", "IMG_OTHER", "Ireland", "ie-tcd"),
        ("Western University, London, Ontario", "CA_MD", "Canada", "ca-western"),
        ("Western University London", "CA_MD", "Canada", "ca-western"),
        ("Western University of Health Sciences", "US_DO", "United States", "us-do-comp"),
        ("COMP-Northwest, Lebanon, OR", "US_DO", "United States", "us-do-comp-nw"),
        # Queen's: Kingston, Ontario unless Belfast is named
        ("Queen's University", "CA_MD", "Canada", "ca-queens"),
        ("Queen's University, Belfast", "IMG_OTHER", "United Kingdom", "int-gb-qub"),
        # US schools' names abroad
        ("Weill Cornell Medicine-Qatar", "IMG_OTHER", "Qatar", "int-qa-wcmq"),
        (
            "University of Queensland-Ochsner Clinical School",
            "IMG_OTHER",
            "Australia",
            "int-au-uq-ochsner",
        ),
        (
            "Saint Louis University, Baguio City, Philippines",
            "IMG_OTHER",
            "Philippines",
            "int-ph-slu",
        ),
        ("UCLA, Barquisimeto, Venezuela", "IMG_OTHER", "Venezuela", "int-ve-ucla"),
        ("University of Guyana, Georgetown", "IMG_CARIBBEAN", "Guyana", "car-ug"),
        ("Georgetown", "US_MD", "United States", "us-md-georgetown"),
        ("University of Birmingham", "IMG_OTHER", "United Kingdom", "int-gb-birmingham"),
        ("University of Alabama at Birmingham", "US_MD", "United States", "us-md-uab"),
        # Short forms residents write
        ("Penn Med", "US_MD", "United States", "us-md-penn"),
        ("WUSTL", "US_MD", "United States", "us-md-wustl"),
        ("Columbia VP&S", "US_MD", "United States", "us-md-columbia"),
        ("Sydney Kimmel Medical College", "US_MD", "United States", "us-md-jefferson"),
        ("NYITCOM Jonesboro", "US_DO", "United States", "us-do-nyit-arkansas"),
        ("Université de Montréal Faculté de médecine", "CA_MD", "Canada", "ca-montreal"),
    ],
)
def test_namesakes_and_short_forms(written, school_type, country, school_id):
    match = classify_school(written)
    assert (match.type, match.country, match.school and match.school.id) == (
        school_type,
        country,
        school_id,
    )


@pytest.mark.parametrize(
    "written",
    [
        "Ross School of Business",  # not a medical school at all
        "Springfield Medical School, USA",  # a US address names no US school
    ],
)
def test_not_a_known_medical_school_is_unknown(written):
    assert classify_school(written).type == "UNKNOWN"


def test_data_files_are_consistent():
    with SCHOOLS_FILE.open(encoding="utf-8", newline="") as handle:
        schools = list(csv.DictReader(handle))
    ids = [row["id"] for row in schools]
    assert len(ids) == len(set(ids))
    assert {row["type"] for row in schools} <= set(SCHOOL_TYPES) - {"UNKNOWN"}
    assert all(row["country"] for row in schools)
    with PLACES_FILE.open(encoding="utf-8", newline="") as handle:
        places = list(csv.DictReader(handle))
    names = [row["place"] for row in places]
    assert len(names) == len(set(names))
    assert {row["kind"] for row in places} <= {"country", "region", "city"}
    assert {row["type"] for row in places} <= {"IMG_OTHER", "IMG_CARIBBEAN", "CA_MD"}
    # Places that are also homes of US or Canadian schools would misplace them.
    assert not {"london", "dublin", "athens", "birmingham", "kingston", "georgia"} & set(names)
