"""The command line as a user runs it: real processes, real files, one-line errors."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"

VISA_PAGE = """<html><head><title>Visa Sponsorship | Alpha Internal Medicine</title></head><body>
<nav><a href="/">Home</a> <a href="/visa">Visas</a></nav>
<h1>Visa sponsorship</h1>
<p>Alpha Internal Medicine participates in the ECFMG exchange visitor program, and we welcome
international medical graduates. We sponsor J-1 visas. We do not sponsor H-1B visas.</p>
</body></html>"""

ROSTER_TEXT = """Our Current Residents

PGY-1
Ana Ruiz, MD - Harvard Medical School
Priya Raman, MBBS - Unlisted Medical College, Mumbai, India

PGY-2
Tomás Silva (Universidad de Buenos Aires)
"""


def imgcrawl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_extract_follows_the_contract_on_a_visa_page(tmp_path):
    page = tmp_path / "visa.html"
    page.write_text(VISA_PAGE)
    result = imgcrawl("extract", str(page), "--url", "https://alpha.example.org/visa")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["url"] == "https://alpha.example.org/visa"
    assert "visa" in out["page_types"]
    assert {k: v["value"] for k, v in out["indicators"].items()} == {
        "visa.j1": "yes",
        "visa.h1b": "no",
        "elig.img_accepted": "yes",
    }
    evidence = out["indicators"]["visa.h1b"]["evidence"][0]
    assert evidence["quote"] == "We do not sponsor H-1B visas."
    assert evidence["end"] - evidence["start"] == len(evidence["quote"])
    assert 0 < out["indicators"]["visa.h1b"]["confidence"] <= 1
    assert out["residents"] == []


def test_extract_follows_the_contract_on_a_plain_text_roster(tmp_path):
    page = tmp_path / "residents.txt"
    page.write_text(ROSTER_TEXT)
    out = json.loads(imgcrawl("extract", str(page)).stdout)
    assert out["url"].startswith("file://") and out["page_types"] == ["roster"]
    assert out["indicators"] == {}
    residents = {r["name"]: r for r in out["residents"]}
    assert set(residents) == {"Ana Ruiz", "Priya Raman", "Tomás Silva"}
    assert residents["Priya Raman"]["pgy"] == "PGY-1"
    assert (
        residents["Priya Raman"]["school_type"],
        residents["Priya Raman"]["country"],
        residents["Priya Raman"]["img"],
    ) == ("IMG_OTHER", "India", True)
    assert residents["Tomás Silva"]["pgy"] == "PGY-2"
    assert set(residents["Ana Ruiz"]) == {
        "name",
        "pgy",
        "class_year",
        "chief",
        "school",
        "school_id",
        "school_type",
        "country",
        "img",
    }


def test_extract_reads_a_pdf_and_names_the_page_in_the_evidence():
    pdf = Path(__file__).parent / "fixtures/sites/coastal-fm/site/docs/gme-visa-policy.pdf"
    out = json.loads(imgcrawl("extract", str(pdf)).stdout)
    assert {k: v["value"] for k, v in out["indicators"].items()} == {
        "visa.j1": "yes",
        "visa.h1b": "no",
    }
    assert out["indicators"]["visa.h1b"]["evidence"][0]["quote"] == (
        "H-1B visas are not sponsored by Coastal Health."
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["extract", "missing.html"], "error: missing.html: cannot read"),
        (
            ["extract", "notes.docx"],
            "error: notes.docx: extract reads .html, .htm, .txt or .pdf files",
        ),
        (["normalize"], "error: give exactly one of --all or --run N"),
        (["show", "nope"], "error: no program with id 'nope'"),
    ],
)
def test_bad_input_gets_one_line_and_a_non_zero_exit(tmp_path, args, message):
    result = imgcrawl("--data-dir", str(tmp_path), *args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == message or result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_program_list_names_the_line_and_imports_nothing(tmp_path):
    bad = tmp_path / "programs.csv"
    bad.write_text("id,name,website\nok,OK,https://ok.example.org/\nbad,Bad,ftp://x\n")
    result = imgcrawl("--data-dir", str(tmp_path), "programs", "import", str(bad))
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "error: programs.csv line 3: website 'ftp://x' is not an http(s) URL"
    )
    listed = imgcrawl("--data-dir", str(tmp_path), "programs", "list")
    assert json.loads(listed.stdout) == []


def test_every_command_is_documented_in_the_readme():
    from crawler.cli import app, programs_app, runs_app, schools_app, users_app

    readme = README.read_text()
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    commands += [f"programs {c.name}" for c in programs_app.registered_commands]
    commands += ["runs"] + [f"runs {c.name}" for c in runs_app.registered_commands]
    commands += [f"users {c.name}" for c in users_app.registered_commands]
    commands += [f"schools {c.name}" for c in schools_app.registered_commands]
    undocumented = [c for c in commands if not re.search(rf"`imgcrawl {c}\b", readme)]
    assert undocumented == []


def test_users_add_reads_the_password_from_stdin_and_refuses_duplicates(tmp_path):
    def add(password: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "crawler.cli",
                "--data-dir",
                str(tmp_path),
                "users",
                "add",
                "alice",
                "--password-stdin",
            ],
            input=password + "\n",
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert add("a long enough password").returncode == 0
    again = add("another long password")
    assert (again.returncode, again.stderr.strip()) == (1, "error: user 'alice' already exists")


@pytest.mark.parametrize(
    "written, school_type, country, method",
    [
        ("Maulana Azad Medical College, New Delhi", "IMG_OTHER", "India", "leading-part"),
        ("Grant Govt. Medical College", "IMG_OTHER", "India", "exact"),
        ("Michigan, University of", "US_MD", "United States", "word-order"),
        ("Universidad Autonoma de Guadalajara", "IMG_OTHER", "Mexico", "exact"),
        ("Ponce Health Sciences University", "US_MD", "United States", "exact"),
        ("SGU", "IMG_CARIBBEAN", "Grenada", "exact"),
        ("Unlisted College of Medicine, Lahore", "IMG_OTHER", "Pakistan", "country"),
        ("Springfield Medical School", "UNKNOWN", None, "unknown"),
    ],
)
def test_schools_match_says_what_and_why(written, school_type, country, method):
    out = json.loads(imgcrawl("schools", "match", written).stdout)
    assert (out["school_type"], out["country"], out["method"]) == (school_type, country, method)
    assert out["img"] == (school_type in ("IMG_OTHER", "IMG_CARIBBEAN"))


def _broken_inputs(tmp_path: Path) -> dict[str, Path]:
    files = {
        "broken.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage without a trailer",
        "keys.yaml": b"- {1: a, foo: b}\n",
        "ipv6.csv": b"id,name,website\nx,X,http://[::1\n",
        "nul.csv": b"id,name,website\nx,X\x00Y,https://x.example.org/\n",
        "a-file": b"not a directory\n",
    }
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    return {name: tmp_path / name for name in files}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--db", "nonsense://x", "runs"], "error: unknown database driver 'nonsense'"),
        (["--db", "garbage", "runs"], "error: not a database URL"),
        (
            ["--db", "postgresql://imgcrawl:hunter22@127.0.0.1:1/imgcrawl", "runs"],
            "error: postgresql://imgcrawl:***@127.0.0.1:1/imgcrawl: connection failed",
        ),
        (
            ["--db", "sqlite:///{tmp}/missing/imgcrawl.sqlite3", "runs"],
            "error: sqlite:///{tmp}/missing/imgcrawl.sqlite3: directory {tmp}/missing does not",
        ),
        (
            ["export", "--output", "{tmp}/missing/values.csv"],
            "error: {tmp}/missing/values.csv: cannot write (No such file or directory)",
        ),
        (["extract", "{tmp}/broken.pdf"], "error: {tmp}/broken.pdf: cannot read as PDF ("),
        (
            ["programs", "import", "{tmp}/keys.yaml"],
            "error: keys.yaml line 1: column names must be text, not 1",
        ),
        (
            ["programs", "import", "{tmp}/ipv6.csv"],
            "error: ipv6.csv line 2: website 'http://[::1' is not a valid URL (Invalid IPv6 URL)",
        ),
        (
            ["programs", "import", "{tmp}/nul.csv"],
            "error: nul.csv line 2: 'name' contains a control character (such as NUL)",
        ),
        (
            ["--data-dir", "{tmp}/a-file", "runs"],
            "error: data directory {tmp}/a-file is a file, not a directory",
        ),
    ],
)
def test_library_errors_end_in_one_line_without_a_traceback(tmp_path, args, message):
    _broken_inputs(tmp_path)
    data = ["--data-dir", str(tmp_path / "data")] if "--data-dir" not in args else []
    result = imgcrawl(*data, *(arg.format(tmp=tmp_path) for arg in args), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(message.format(tmp=tmp_path)), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and "hunter22" not in result.stderr
    assert not (tmp_path / "missing").exists()  # no directory made up for a mistyped path


@pytest.mark.parametrize(
    "args, option",
    [
        (["crawl", "--browser", "bogus"], "--browser"),
        (["crawl", "--budget", "-1"], "--budget"),
        (["crawl", "--budget", "0"], "--budget"),
        (["crawl", "--depth", "-1"], "--depth"),
        (["crawl", "--delay", "-0.5"], "--delay"),
        (["runs", "--limit", "-5"], "--limit"),
        (["schedule", "--once", "--timeout", "0"], "--timeout"),
        (["serve", "--port", "99999"], "--port"),
    ],
)
def test_out_of_range_options_are_usage_errors(tmp_path, args, option):
    result = imgcrawl("--data-dir", str(tmp_path), *args)
    assert result.returncode == 2, result.stderr
    assert f"Invalid value for '{option}'" in result.stderr


def test_users_add_refuses_an_empty_user_name(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "--data-dir", str(tmp_path)]
        + ["users", "add", "", "--password-stdin"],
        input="a long enough password\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "error: the user name must not be empty",
    )
