"""Program lists (CSV or YAML) -> validated program records -> the programs table.

A malformed list is rejected whole with an error naming the line; nothing is half-imported.
Re-importing updates programs by id and never duplicates them.
"""

from __future__ import annotations

import csv
import io
import ipaddress
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

# The one definition of a program id (ACGME id or slug); the API validates paths with it too.
PROGRAM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ID_PATTERN = re.compile(PROGRAM_ID_PATTERN)
# A host name as DNS spells it (after IDNA encoding): labels of letters, digits and hyphens.
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Control characters have no place in a program list; NUL cannot even be stored in PostgreSQL.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LIST_FIELDS = ("allowed_domains", "browser_actions")  # may be YAML lists; the rest are scalars
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
        items = [str(item) for item in value]
    else:
        items = re.split(r"[;,\s]+", _text(value) or "")
    return [d.strip().lower() for d in items if d and d.strip()]


def valid_host(host: str) -> bool:
    """A DNS name (international names allowed) or an IP address literal."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.lower().split(".")
    return len(ascii_host) <= 253 and all(HOST_LABEL.match(label) for label in labels)


def _within(host: str, domains: list[str]) -> bool:
    """HOST is one of DOMAINS or a subdomain of one (the spider's rule for following links)."""
    return any(host == d or host.endswith("." + d) for d in domains)


def _check_raw(raw: dict[str, Any], where: str) -> None:
    """Column names and cell types before any value is read."""
    names = [name for name in raw if not isinstance(name, str)]
    if names:
        raise ProgramListError(f"{where}: column names must be text, not {names[0]!r}")
    unknown = set(raw) - set(KNOWN_FIELDS)
    if unknown:
        raise ProgramListError(f"{where}: unknown column(s) {', '.join(sorted(unknown))}")
    for name, value in raw.items():
        if name not in LIST_FIELDS and isinstance(value, (dict, list)):
            raise ProgramListError(f"{where}: '{name}' must be a single value, not a list or map")
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and CONTROL_CHARS.search(text):
                raise ProgramListError(
                    f"{where}: '{name}' contains a control character (such as NUL)"
                )


def _website(value: str, where: str) -> tuple[str, str]:
    """An http(s) URL with a valid host and port -> (website, lowercased host)."""
    invalid = f"{where}: website {value!r} is not a valid URL"
    try:
        parsed = urlparse(value)
        host, port = parsed.hostname, parsed.port  # .port raises on a port out of range
    except ValueError as error:
        reason = "port must be 1-65535" if "port" in str(error).lower() else str(error)
        raise ProgramListError(f"{invalid} ({reason})") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise ProgramListError(f"{where}: website {value!r} is not an http(s) URL")
    if port == 0:
        raise ProgramListError(f"{invalid} (port must be 1-65535)")
    if not valid_host(host):
        raise ProgramListError(f"{invalid} ({host!r} is not a host name)")
    return value, host.lower()


def validate(raw: dict[str, Any], where: str) -> ProgramRecord:
    """One raw row -> a ProgramRecord, or ProgramListError naming WHERE."""
    _check_raw(raw, where)
    for name in REQUIRED:
        if not _text(raw.get(name)):
            raise ProgramListError(f"{where}: '{name}' is required")
    program_id = _text(raw["id"])
    if not ID_PATTERN.match(program_id):
        raise ProgramListError(
            f"{where}: id {program_id!r} must be letters, digits, . _ - (at most 64)"
        )
    website, host = _website(_text(raw["website"]), where)
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
    domains = _domains(raw.get("allowed_domains")) or [host]
    for domain in domains:
        if not valid_host(domain):
            raise ProgramListError(f"{where}: allowed domain {domain!r} is not a host name")
    if not _within(host, domains):
        raise ProgramListError(
            f"{where}: the website's host {host!r} is not within allowed_domains "
            f"({'; '.join(domains)}): the crawl could not even start"
        )
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
    try:
        header = reader.fieldnames
    except csv.Error as error:
        raise ProgramListError(f"{name} line 1: {error}") from None
    if not header:
        raise ProgramListError(f"{name}: empty file")
    columns = [column.strip() for column in header]
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise ProgramListError(
            f"{name} line 1: column(s) {', '.join(map(repr, repeated))} appear more than once"
        )
    rows = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ProgramListError(f"{name} line {reader.line_num}: {error}") from None
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
