from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.programs_io import ProgramListError, import_programs, parse_program_list
from db.models import Program

HEADER = "id,name,institution,specialty,city,state,website,allowed_domains,render_mode,active\n"
GOOD = HEADER + (
    "alpha-im,Alpha IM,Alpha Univ,Internal Medicine,Detroit,MI,https://alpha.example.org/,,static,true\n"
    "beta-fm,Beta FM,Beta Hosp,Family Medicine,Austin,tx,https://beta.example.org/,"
    "beta.example.org;gme.beta.example.org,auto,\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_rows_become_programs(tmp_path):
    alpha, beta = parse_program_list(write(tmp_path, "p.csv", GOOD))
    assert alpha.allowed_domains == ["alpha.example.org"]  # derived from the website
    assert beta.allowed_domains == ["beta.example.org", "gme.beta.example.org"]
    assert beta.state == "TX" and beta.active is True and beta.render_mode == "auto"


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ("gamma,Gamma,,,,,not-a-url,,,true", "line 4: website 'not-a-url' is not an http(s) URL"),
        (
            "gamma,Gamma,,,,Texas,https://g.org/,,,true",
            "line 4: state 'Texas' must be a 2-letter code",
        ),
        ("gamma,Gamma,,,,,https://g.org/,,fast,true", "line 4: render_mode 'fast'"),
        ("alpha-im,Again,,,,,https://g.org/,,,true", "line 4: id 'alpha-im' already used on"),
        (",Gamma,,,,,https://g.org/,,,true", "line 4: 'id' is required"),
        ("gamma,Gamma,,,,,https://g.org/,,,maybe", "line 4: active 'maybe' must be true or false"),
        ("gamma,Gamma,https://g.org/", "line 4: fewer fields than the header has"),
    ],
)
def test_malformed_csv_names_the_line(tmp_path, bad_row, message):
    with pytest.raises(ProgramListError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_program_list(write(tmp_path, "p.csv", GOOD + bad_row + "\n"))


def test_yaml_list_and_its_errors(tmp_path):
    good = write(
        tmp_path,
        "p.yaml",
        "programs:\n  - id: a\n    name: A\n    website: https://a.org/\n"
        "  - id: b\n    name: B\n    website: https://b.org/\n    active: false\n",
    )
    assert [(p.id, p.active) for p in parse_program_list(good)] == [("a", True), ("b", False)]
    bad = write(
        tmp_path, "bad.yaml", "- id: a\n  name: A\n  website: https://a.org/\n- id: b\n  name: B\n"
    )
    with pytest.raises(ProgramListError, match=r"bad.yaml line 4: 'website' is required"):
        parse_program_list(bad)
    broken = write(tmp_path, "broken.yaml", "- id: a\n  name: [unclosed\n")
    with pytest.raises(ProgramListError, match=r"broken.yaml line \d+: invalid YAML"):
        parse_program_list(broken)


def test_reimport_updates_and_never_duplicates(db, tmp_path):
    records = parse_program_list(write(tmp_path, "p.csv", GOOD))
    assert import_programs(db, records) == (2, 0)
    renamed = GOOD.replace("Alpha IM,", "Alpha Internal Medicine,")
    assert import_programs(db, parse_program_list(write(tmp_path, "p.csv", renamed))) == (0, 2)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Program)) == 2
        assert session.get(Program, "alpha-im").name == "Alpha Internal Medicine"


def test_a_bad_file_imports_nothing(db, tmp_path):
    with pytest.raises(ProgramListError):
        import_programs(db, parse_program_list(write(tmp_path, "p.csv", GOOD + "x,X,,,,,bad,,,\n")))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Program)) == 0


ACTIONS_HEADER = HEADER.replace(",active\n", ",active,browser_actions\n")


def test_browser_actions_are_parsed_validated_and_stored(db, tmp_path):
    csv_text = ACTIONS_HEADER + (
        "alpha-im,Alpha IM,,,,,https://alpha.example.org/,,auto,true,"
        '"click button.cookies; tabs .years > li => #panel; load_more #more; wait 500"\n'
        "beta-fm,Beta FM,,,,,https://beta.example.org/,,auto,true,\n"
        "gamma-fm,Gamma FM,,,,,https://gamma.example.org/,,auto,true,none\n"
    )
    alpha, beta, gamma = parse_program_list(write(tmp_path, "p.csv", csv_text))
    assert alpha.browser_actions == [
        {"action": "click", "selector": "button.cookies"},
        {"action": "tabs", "selector": ".years > li", "panel": "#panel"},
        {"action": "load_more", "selector": "#more"},
        {"action": "wait", "ms": 500},
    ]
    assert beta.browser_actions is None  # blank: the generic interactions
    assert gamma.browser_actions == [{"action": "none"}]
    import_programs(db, [alpha, beta, gamma])
    with db.session() as session:
        assert session.get(Program, "alpha-im").browser_actions == alpha.browser_actions
        assert session.get(Program, "beta-fm").browser_actions is None
    yaml_list = write(
        tmp_path,
        "p.yaml",
        "- id: a\n  name: A\n  website: https://a.org/\n"
        "  browser_actions:\n    - load_more button.more\n    - generic\n",
    )
    assert parse_program_list(yaml_list)[0].browser_actions == [
        {"action": "load_more", "selector": "button.more"},
        {"action": "generic"},
    ]


@pytest.mark.parametrize(
    "value, message",
    [
        ("scroll .x", "unknown action 'scroll'"),
        ("click", "click needs a CSS selector"),
        ("click text=Load more", "is not a CSS selector"),
        ("wait soon", "wait takes milliseconds"),
        ("wait 60000", "wait takes milliseconds"),
        ("none; click .x", "'none' must be the only action"),
        ("click [title='a;b]", "unbalanced quote"),
    ],
)
def test_bad_browser_actions_name_the_line(tmp_path, value, message):
    csv_text = ACTIONS_HEADER + (
        "alpha-im,Alpha IM,,,,,https://alpha.example.org/,,auto,true,\n"
        f'beta-fm,Beta FM,,,,,https://beta.example.org/,,auto,true,"{value}"\n'
    )
    with pytest.raises(ProgramListError) as error:
        parse_program_list(write(tmp_path, "p.csv", csv_text))
    assert str(error.value).startswith("p.csv line 3: browser_actions: ")
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ("gamma,Gamma,,,,,http://[::1,,,true", "line 4: website 'http://[::1' is not a valid URL"),
        (
            "gamma,Gamma,,,,,https://g.org:99999/,,,",
            "line 4: website 'https://g.org:99999/' is not",
        ),
        ("gamma,Gamma,,,,,https://g.org:0/,,,", "(port must be 1-65535)"),
        ("gamma,Gamma,,,,,https://g org/,,,", "('g org' is not a host name)"),
        ("gamma,Gamma,,,,,https://www.g.org/,other.org,,", "host 'www.g.org' is not within"),
        ("gamma,Gamma,,,,,https://g.org/,g.org;bad_domain!,,", "allowed domain 'bad_domain!'"),
        ("gamma,Gam\x00ma,,,,,https://g.org/,,,", "'name' contains a control character"),
    ],
)
def test_websites_domains_and_cells_are_checked(tmp_path, bad_row, message):
    with pytest.raises(ProgramListError) as error:
        parse_program_list(write(tmp_path, "p.csv", GOOD + bad_row + "\n"))
    assert str(error.value).startswith("p.csv line 4: ") and message in str(error.value)


def test_subdomains_of_an_allowed_domain_are_fine(tmp_path):
    row = "gamma,Gamma,,,,,https://www.gamma.example.org:8443/,gamma.example.org,,\n"
    gamma = parse_program_list(write(tmp_path, "p.csv", GOOD + row))[-1]
    assert gamma.allowed_domains == ["gamma.example.org"]


def test_a_duplicated_header_column_is_refused(tmp_path):
    text = "id,name,website,id\nx,X,https://x.org/,y\n"
    with pytest.raises(ProgramListError, match=r"p.csv line 1: column\(s\) 'id' appear more"):
        parse_program_list(write(tmp_path, "p.csv", text))


@pytest.mark.parametrize(
    "text, message",
    [
        ("- {1: a, foo: b}\n", "p.yaml line 1: column names must be text, not 1"),
        (
            "- id: a\n  name: [A, B]\n  website: https://a.org/\n",
            "p.yaml line 1: 'name' must be a single value",
        ),
    ],
)
def test_yaml_keys_and_values_must_have_the_right_shape(tmp_path, text, message):
    with pytest.raises(ProgramListError) as error:
        parse_program_list(write(tmp_path, "p.yaml", text))
    assert str(error.value).startswith(message)
