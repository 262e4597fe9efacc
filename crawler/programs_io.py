"""Program lists (CSV or YAML) -> validated program records -> the programs table.

A malformed list is rejected whole with an error naming the line; nothing is half-imported.
Re-importing updates programs by id and never duplicates them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from sqlalchemy import select

from crawler.interactions import ActionError, parse_actions
from db.models import Program
from db.session import Database

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
RENDER_MODES = ("auto", "static", "browser")
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n", ""}
REQUIRED = ("id", "name", "website")
KNOWN_FIELDS = (
    "id",
    "name",
    "institution",
    "specialty",
    "city",
    "state",
    "website",
    "allowed_domains",
    "render_mode",
    "browser_actions",
    "active",
)


class ProgramListError(ValueError):
    """A program list that cannot be imported; the message names file and line."""


@dataclass(frozen=True)
class ProgramRecord:
    id: str
    name: str
    website: str
    institution: str | None = None
    specialty: str | None = None
    city: str | None = None
    state: str | None = None
    allowed_domains: list[str] = field(default_factory=list)
    render_mode: str = "auto"
    browser_actions: list[dict[str, Any]] | None = None  # crawler/interactions.py
    active: bool = True


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _domains(value: Any) -> list[str]:
    if isinstance(value, list):
        items = value
    else:
        items = re.split(r"[;,\s]+", _text(value) or "")
    return [d.strip().lower() for d in items if d and d.strip()]


def validate(raw: dict[str, Any], where: str) -> ProgramRecord:
    """One raw row -> a ProgramRecord, or ProgramListError naming WHERE."""
    unknown = set(raw) - set(KNOWN_FIELDS)
    if unknown:
        raise ProgramListError(f"{where}: unknown column(s) {', '.join(sorted(unknown))}")
    for name in REQUIRED:
        if not _text(raw.get(name)):
            raise ProgramListError(f"{where}: '{name}' is required")
    program_id = _text(raw["id"])
    if not ID_PATTERN.match(program_id):
        raise ProgramListError(
            f"{where}: id {program_id!r} must be letters, digits, . _ - (at most 64)"
        )
    website = _text(raw["website"])
    parsed = urlparse(website)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ProgramListError(f"{where}: website {website!r} is not an http(s) URL")
    state = _text(raw.get("state"))
    if state and not re.fullmatch(r"[A-Za-z]{2}", state):
        raise ProgramListError(f"{where}: state {state!r} must be a 2-letter code")
    render_mode = (_text(raw.get("render_mode")) or "auto").lower()
    if render_mode not in RENDER_MODES:
        raise ProgramListError(
            f"{where}: render_mode {render_mode!r} must be one of {', '.join(RENDER_MODES)}"
        )
    try:
        actions = parse_actions(raw.get("browser_actions"))
    except ActionError as error:
        raise ProgramListError(f"{where}: browser_actions: {error}") from error
    active_raw = raw.get("active")
    active_text = "" if active_raw is None else str(active_raw).strip().lower()
    if isinstance(active_raw, bool):
        active = active_raw
    elif active_text == "":
        active = True  # a blank column means the default
    elif active_text in TRUE_WORDS | FALSE_WORDS:
        active = active_text in TRUE_WORDS
    else:
        raise ProgramListError(f"{where}: active {active_raw!r} must be true or false")
    domains = _domains(raw.get("allowed_domains")) or [parsed.hostname.lower()]
    return ProgramRecord(
        id=program_id,
        name=_text(raw["name"]),
        website=website,
        institution=_text(raw.get("institution")),
        specialty=_text(raw.get("specialty")),
        city=_text(raw.get("city")),
        state=state.upper() if state else None,
        allowed_domains=domains,
        render_mode=render_mode,
        browser_actions=actions,
        active=active,
    )


def _rows_csv(text: str, name: str) -> list[tuple[dict[str, Any], str]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ProgramListError(f"{name}: empty file")
    rows = []
    for row in reader:
        where = f"{name} line {reader.line_num}"
        if None in row:
            raise ProgramListError(f"{where}: more fields than the header has")
        if any(v is None for v in row.values()):
            raise ProgramListError(f"{where}: fewer fields than the header has")
        rows.append((row, where))
    return rows


def _rows_yaml(text: str, name: str) -> list[tuple[dict[str, Any], str]]:
    try:
        nodes = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ProgramListError(
            f"{name}{line}: invalid YAML ({getattr(error, 'problem', error)})"
        ) from error
    if isinstance(data, dict) and "programs" in data:
        data = data["programs"]
        nodes = next(v for k, v in nodes.value if k.value == "programs")
    if not isinstance(data, list):
        raise ProgramListError(f"{name}: expected a list of programs (or a 'programs:' list)")
    rows = []
    for item, node in zip(data, nodes.value, strict=True):
        where = f"{name} line {node.start_mark.line + 1}"
        if not isinstance(item, dict):
            raise ProgramListError(f"{where}: each program must be a mapping")
        rows.append((item, where))
    return rows


def parse_program_list(path: Path, text: str | None = None) -> list[ProgramRecord]:
    """Read and validate a whole CSV or YAML list; raises ProgramListError on the first fault."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise ProgramListError(f"{path}: cannot read ({error})") from error
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = _rows_yaml(text, path.name)
    elif path.suffix.lower() == ".csv":
        rows = _rows_csv(text, path.name)
    else:
        raise ProgramListError(f"{path.name}: unknown format (use .csv, .yaml or .yml)")
    records, seen = [], {}
    for raw, where in rows:
        record = validate(raw, where)
        if record.id in seen:
            raise ProgramListError(f"{where}: id {record.id!r} already used on {seen[record.id]}")
        seen[record.id] = where
        records.append(record)
    return records


def import_programs(db: Database, records: list[ProgramRecord]) -> tuple[int, int]:
    """Insert or update RECORDS in one transaction; returns (added, updated)."""
    added = updated = 0
    with db.session() as session:
        existing = {
            p.id: p
            for p in session.scalars(select(Program).where(Program.id.in_([r.id for r in records])))
        }
        for record in records:
            program = existing.get(record.id)
            if program is None:
                session.add(Program(**asdict(record)))
                added += 1
            else:
                for key, value in asdict(record).items():
                    setattr(program, key, value)
                updated += 1
    return added, updated
