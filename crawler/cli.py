"""The `imgcrawl` command line. Library errors become one-line messages and a non-zero exit."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pypdf.errors import PyPdfError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

import scheduler
from crawler import evaluation
from crawler.browser import BrowserUnavailable
from crawler.capture_store import CaptureStore
from crawler.config import ConfigError, database_url
from crawler.config import data_dir as resolve_data_dir
from crawler.demo_server import DEFAULT_SITES_DIR, DemoServer, DemoServerError
from crawler.lease import LeaseHeld, LeaseLost
from crawler.normalize_stage import normalize_captures
from crawler.orchestrate import CrawlError, CrawlOptions, run_cycle
from crawler.programs_io import ProgramListError, import_programs, parse_program_list
from crawler.resolve_stage import resolve_programs
from db import queries
from db.models import CrawlRun, Program
from db.session import Database, DatabaseUnavailable, describe_db_error
from normalizers.extract import document_from, extract_contract
from normalizers.vocabulary import VocabularyError
from scheduler import CycleFailed, ScheduleError
from web.auth import AccountError

app = typer.Typer(
    help="Crawl residency program websites and extract IMG facts with evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
programs_app = typer.Typer(help="Register and list programs.", no_args_is_help=True)
app.add_typer(programs_app, name="programs")
runs_app = typer.Typer(help="Runs and their reports.")
app.add_typer(runs_app, name="runs")
users_app = typer.Typer(help="Reviewer accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
schools_app = typer.Typer(help="The medical-school classifier.", no_args_is_help=True)
app.add_typer(schools_app, name="schools")
# Piped or logged output gets a wide fixed width, so summary tables are not folded.
console = Console() if Console().is_terminal else Console(width=200)
err_console = Console(stderr=True)

DEMO_PROGRAMS = DEFAULT_SITES_DIR.parent / "programs.csv"
CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
}  # what `extract` reads, by file name
EXPORT_COLUMNS = (
    "program_id",
    "program_name",
    "specialty",
    "state",
    "indicator",
    "value",
    "status",
    "confidence",
    "quote",
    "url",
    "fetched_at",
    "extractor",
)
SUPPORT_COLUMNS = (
    ("mentorship.formal", "mentor"),
    ("mentorship.img_specific", "IMG mentor"),
    ("orientation.present", "orient."),
    ("wellness.mental_health", "mental h."),
    ("language.support", "language"),
    ("dei.initiatives", "DEI"),
    ("support.img_specific", "IMG support"),
)


class UsageError(Exception):
    """A command used wrongly; the message says how."""


class BrowserMode(StrEnum):
    auto = "auto"
    never = "never"
    required = "required"


@dataclass
class Context:
    db_url: str | None
    data_dir: Path | None

    @property
    def data(self) -> Path:
        return resolve_data_dir(self.data_dir)

    def database(self) -> Database:
        return Database(database_url(self.db_url, self.data))


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (default: "
            "$IMGCRAWL_DATABASE_URL, else SQLite in the data directory).",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Data directory (default: $IMGCRAWL_DATA_DIR, else ~/.local/share/imgcrawl).",
        ),
    ] = None,
) -> None:
    ctx.obj = Context(db, data_dir)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@programs_app.command("import")
def programs_import(ctx: typer.Context, file: Path) -> None:
    """Import programs from a CSV or YAML list; re-importing updates, never duplicates.

    Example: imgcrawl programs import programs.csv
    """
    records = parse_program_list(file)
    added, updated = import_programs(ctx.obj.database(), records)
    console.print(f"imported {len(records)} programs ({added} new, {updated} updated)")


@programs_app.command("list")
def programs_list(
    ctx: typer.Context,
    table: Annotated[bool, typer.Option("--table", help="A table, not JSON.")] = False,
) -> None:
    """List programs with their current values (JSON by default).

    Example: imgcrawl programs list --table
    """
    with ctx.obj.database().session() as session:
        rows = queries.program_summaries(session)
    if table:
        console.print(_summary_table(rows))
    else:
        _print_json(rows)


def _progress_callback(progress: Progress):
    task = progress.add_task("crawling", total=None)

    def update(event: dict[str, Any]) -> None:
        if "stage" in event:
            progress.update(task, description=event["stage"])
        elif "done" in event:
            progress.update(
                task, total=max(event["scheduled"], event["done"]), completed=event["done"]
            )

    return update


def _crawl(ctx: Context, options: CrawlOptions, db: Database | None = None) -> dict[str, Any]:
    db = db or ctx.database()
    started: dict[str, int] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        show = _progress_callback(progress)

        def update(event: dict[str, Any]) -> None:
            started.update({"run_id": event["run_id"]} if "run_id" in event else {})
            show(event)

        try:
            run_id = run_cycle(db, ctx.data, options, update)
        except Exception as error:
            if "run_id" not in started:
                raise  # failed before a run existed: nothing to record
            reason = scheduler.failure_reason(error)
            scheduler.record_failure(db, started["run_id"], reason, options.trigger)
            raise CycleFailed(reason, started["run_id"]) from error
    with db.session() as session:
        return queries.run_summary(session, run_id)


@app.command()
def crawl(
    ctx: typer.Context,
    program: Annotated[
        list[str] | None,
        typer.Option(
            "--program", "-p", help="Program id; repeat for several (default: all active)."
        ),
    ] = None,
    delay: Annotated[
        float | None,
        typer.Option(min=0, max=3600, help="Seconds between requests to one host (0-3600)."),
    ] = None,
    budget: Annotated[
        int | None, typer.Option(min=1, max=100_000, help="Most pages fetched per program.")
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(min=0, max=50, help="Most clicks from the home page (0: home page only)."),
    ] = None,
    allow_private_host: Annotated[
        list[str] | None,
        typer.Option(help="Host that may resolve to a private address (e.g. a local mirror)."),
    ] = None,
    browser: Annotated[
        BrowserMode,
        typer.Option(
            help="auto: render pages that need it when Chromium is installed; never; required."
        ),
    ] = BrowserMode.auto,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Crawl programs, extract, resolve, and print the run report.

    Example: imgcrawl crawl --program riverside-im --delay 2
    """
    summary = _crawl(
        ctx.obj,
        CrawlOptions(
            program_ids=program or None,
            download_delay=delay,
            page_budget=budget,
            max_depth=depth,
            allow_private_hosts=tuple(allow_private_host or ()),
            browser=browser.value,
        ),
    )
    if as_json:
        _print_json(summary)
    else:
        console.print(_report_table(summary))
    if summary["status"] != "completed":
        raise typer.Exit(1)


@app.command()
def normalize(
    ctx: typer.Context,
    all_captures: Annotated[bool, typer.Option("--all", help="Every archived capture.")] = False,
    run: Annotated[
        int | None, typer.Option("--run", min=1, help="Only the captures of this run.")
    ] = None,
) -> None:
    """Re-run extraction over archived captures (no crawling), then refresh current values.

    Example: imgcrawl normalize --all
    """
    if all_captures == (run is not None):
        raise UsageError("give exactly one of --all or --run N")
    db = ctx.obj.database()
    stats = normalize_captures(db, CaptureStore(ctx.obj.data), None if all_captures else run)
    with db.session() as session:
        program_ids = list(session.scalars(select(Program.id)))
        if run is not None and session.get(CrawlRun, run) is None:
            raise queries.NotFound(f"no run with id {run}")
    # Changes found by re-extraction belong to no crawl run: the feed lists them as `normalize`.
    resolved = resolve_programs(db, program_ids, cause="normalize")
    _print_json({"normalize": stats.as_dict(), "resolve": resolved.as_dict()})


@app.command()
def extract(
    file: Path,
    url: Annotated[str, typer.Option(help="URL to report the page under.")] = "",
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Day the page was fetched, for stale-page detection (default: today).",
        ),
    ] = None,
) -> None:
    """Run the normalizers on one .html/.htm, .txt or .pdf file and print the extract JSON.

    Example: imgcrawl extract page.html --url https://example.org/residents --as-of 2026-11-01
    """
    suffix = file.suffix.lower()
    if suffix not in CONTENT_TYPES:
        raise UsageError(f"{file.name}: extract reads .html, .htm, .txt or .pdf files")
    try:
        body = file.read_bytes()
    except OSError as error:
        raise UsageError(f"{file}: cannot read ({error.strerror})") from error
    content_type = CONTENT_TYPES[suffix]
    # pypdf logs what it repairs as warnings; a file it cannot read gets our one line instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        document = document_from(body, content_type, url or file.resolve().as_uri())
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        # pypdf reports a broken file with any of these, depending on where it breaks.
        raise UsageError(f"{file}: cannot read as {suffix[1:].upper()} ({error})") from error
    _print_json(extract_contract(document, (as_of or datetime.now(UTC)).date()))


@app.command()
def show(
    ctx: typer.Context,
    program_id: Annotated[str, typer.Argument(metavar="PROGRAM")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """Show a program's current values with the quotes, URLs and fetch times behind them.

    Example: imgcrawl show riverside-im
    """
    with ctx.obj.database().session() as session:
        data = queries.program_values(session, program_id)
    if as_json:
        _print_json(data)
        return
    console.print(f"[bold]{data['name']}[/bold] ({data['id']}) {data['website']}")
    for indicator, entry in data["values"].items():
        value = json.dumps(entry["value"], ensure_ascii=False)
        console.print(
            f"\n[bold cyan]{indicator}[/bold cyan] = {value}  [dim]{entry['status']}[/dim]",
            highlight=False,
        )
        if entry.get("rejected_value") is not None:
            rejected = json.dumps(entry["rejected_value"], ensure_ascii=False)
            console.print(f"  rejected: {rejected}", markup=False, highlight=False)
        evidence = entry.get("evidence")
        if evidence and evidence.get("kind") == "roster":
            # A figure computed from roster pages: the pages, then the lines it counts.
            for page in evidence["pages"]:
                console.print(
                    f"  {page['residents']} residents on {page['url']}  fetched "
                    f"{page['fetched_at']}  {page['extractor']}",
                    markup=False,
                    highlight=False,
                )
            if indicator == "people.img_chief":
                for line in evidence["residents"]:
                    console.print(f"  “{line['quote']}”", markup=False, highlight=False)
        elif evidence:
            console.print(f"  “{evidence['quote']}”", markup=False, highlight=False)
            console.print(
                f"  {evidence['url']}  fetched {evidence['fetched_at']}  {evidence['extractor']}",
                markup=False,
                highlight=False,
            )
    if data["residents"]:
        console.print(f"\n[bold]residents[/bold] ({len(data['residents'])})")
        for r in data["residents"]:
            year = r["pgy"] or (f"class of {r['class_year']}" if r["class_year"] else "")
            console.print(
                f"  {r['name']}  {year}  {r['school'] or '-'}  [{r['school_type']}]",
                markup=False,
                highlight=False,
            )


@runs_app.callback(invoke_without_command=True)
def runs_list(
    ctx: typer.Context,
    table: Annotated[bool, typer.Option("--table", help="A table, not JSON.")] = False,
    limit: Annotated[
        int, typer.Option(min=1, max=100_000, help="How many runs, newest first.")
    ] = 50,
) -> None:
    """List runs, newest first, with their headline figures (JSON by default).

    Example: imgcrawl runs --table
    """
    if ctx.invoked_subcommand is not None:
        return
    with ctx.obj.database().session() as session:
        rows = queries.runs(session, limit)
    if not table:
        _print_json(rows)
        return
    out = Table(title="Runs")
    columns = (
        "id",
        "trigger",
        "status",
        "started_at",
        "pages_fetched",
        "pages_unchanged",
        "pages_failed",
        "changes",
        "duration_seconds",
        "error",
    )
    for column in columns:
        out.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        out.add_row(*(_fmt(row[c]) for c in columns))
    console.print(out)


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[int | None, typer.Argument(metavar="[RUN]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Show the report of a run (default: the latest).

    Example: imgcrawl runs show 3 --json
    """
    with ctx.obj.database().session() as session:
        run_id = run_id or queries.latest_run_id(session)
        if run_id is None:
            raise queries.NotFound("no runs yet")
        summary = queries.run_summary(session, run_id)
    if as_json:
        _print_json(summary)
    else:
        console.print(_report_table(summary))


@app.command()
def changes(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            help="A run id (changes of later runs, and reviewers' and normalize changes since "
            "it started) or an ISO date/time (changes at or after it)."
        ),
    ] = None,
    since_id: Annotated[
        int | None,
        typer.Option(
            "--since-id",
            min=0,
            help="Changes with a larger id: the cursor that misses nothing (keep the last id).",
        ),
    ] = None,
    table: Annotated[bool, typer.Option("--table", help="A table, not JSON.")] = False,
) -> None:
    """What changed in the served values and rosters since a run, a date or a change id
    (JSON by default). Each change says its cause: crawl, review or normalize.

    Example: imgcrawl changes --since 12 --table; imgcrawl changes --since-id 340
    """
    if since is None and since_id is None:
        raise UsageError("give --since RUN|DATE or --since-id ID")
    run_id, moment = None, None
    if since is None:
        pass
    elif since.isdigit():
        run_id = int(since)
    else:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            raise UsageError(f"--since {since!r} is neither a run id nor an ISO date") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    with ctx.obj.database().session() as session:
        rows = queries.changes_since(session, run_id, moment, since_id)
    if not table:
        _print_json(rows)
        return
    title = f"Changes since {since}" if since is not None else f"Changes after #{since_id}"
    out = Table(title=title)
    for column in ("id", "run", "cause", "program", "indicator", "old", "new"):
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(
            str(row["id"]),
            _fmt(row["run_id"]),
            row["cause"],
            row["program_id"],
            row["indicator"],
            json.dumps(row["old"], ensure_ascii=False),
            json.dumps(row["new"], ensure_ascii=False),
        )
    console.print(out)


@app.command()
def schedule(
    ctx: typer.Context,
    cron: Annotated[str | None, typer.Option(help="Crontab expression, UTC ('0 3 * * 1').")] = None,
    every: Annotated[float | None, typer.Option(help="Interval in hours.")] = None,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle now and exit.")] = False,
    timeout: Annotated[
        float | None, typer.Option(min=1, help="Hard limit on a crawl, seconds.")
    ] = None,
    lease_stale_minutes: Annotated[
        float,
        typer.Option(
            min=0.01, help="Take over a cycle lease whose holder has been silent this long."
        ),
    ] = 10.0,
    allow_private_host: Annotated[
        list[str] | None, typer.Option(help="Host that may resolve to a private address.")
    ] = None,
    delay: Annotated[
        float | None,
        typer.Option(min=0, max=3600, help="Seconds between requests to one host (0-3600)."),
    ] = None,
) -> None:
    """Run refresh cycles on a schedule (or one with --once); one cycle at a time, ever.

    Example: imgcrawl schedule --cron "0 3 * * *"   |   imgcrawl schedule --once
    """
    settings = scheduler.CycleSettings(
        db_url=database_url(ctx.obj.db_url, ctx.obj.data),
        data_dir=str(ctx.obj.data),
        timeout_seconds=timeout,
        lease_stale_minutes=lease_stale_minutes,
        allow_private_hosts=tuple(allow_private_host or ()),
        download_delay=delay,
    )
    db = ctx.obj.database()  # migrate before the scheduler touches the database
    if once:
        run_id = scheduler.run_once(settings)
        if run_id is None:
            err_console.print("skipped: another cycle is running")
            return
        with db.session() as session:
            summary = queries.run_summary(session, run_id)
        console.print(_report_table(summary))
        if summary["status"] != "completed":
            raise typer.Exit(1)
        return
    trigger = scheduler.trigger_for(cron, every)
    err_console.print(f"scheduler started: {trigger}")
    scheduler.run_forever(settings, trigger)


@app.command()
def demo(
    ctx: typer.Context,
    delay: Annotated[
        float, typer.Option(min=0, max=60, help="Seconds between requests to one demo host.")
    ] = 0.2,
) -> None:
    """Serve the bundled demo sites, crawl them into a fresh database, and print a summary.

    The database is a new SQLite file in DATA_DIR/demo; with --db the demo goes into that
    database instead, adding a run to whatever it holds.

    Example: imgcrawl demo
    """
    demo_dir = ctx.obj.data / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_ctx = Context(ctx.obj.db_url or f"sqlite:///{demo_dir / 'imgcrawl.sqlite3'}", demo_dir)
    db = demo_ctx.database()
    with DemoServer() as server:
        console.print(
            f"demo server: {len(server.sites)} sites on "
            f"{server.hosts()[0]}..{server.hosts()[-1]} port {server.port}"
        )
        records = parse_program_list(DEMO_PROGRAMS, server.substitute(DEMO_PROGRAMS.read_text()))
        import_programs(db, records)
        summary = _crawl(
            demo_ctx,
            CrawlOptions(download_delay=delay, allow_private_hosts=tuple(server.hosts())),
            db,
        )
    console.print(_report_table(summary))
    with db.session() as session:
        console.print(_summary_table(queries.program_summaries(session)))
    me = f"{_self_command()} --data-dir {demo_dir}"
    if ctx.obj.db_url:
        me += " --db URL"
    console.print(
        f"\nexplore: {me} show {records[0].id}\n"
        f"serve:   {me} users add YOU && {me} serve   (then open http://127.0.0.1:8000/review)",
        markup=False,
        highlight=False,
    )
    if summary["status"] != "completed":
        raise typer.Exit(1)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    api_token: Annotated[
        str | None,
        typer.Option(envvar="IMGCRAWL_API_TOKEN", help="Require 'Authorization: Bearer TOKEN'."),
    ] = None,
    hide_names: Annotated[
        bool, typer.Option("--hide-names", help="Leave residents' names out of API responses.")
    ] = False,
) -> None:
    """Serve the read-only JSON API under /api (OpenAPI at /openapi.json).

    Example: imgcrawl serve --port 8000
    """
    import uvicorn

    from web.api import create_app

    api = create_app(
        database_url(ctx.obj.db_url, ctx.obj.data),
        api_token,
        hide_names,
        ctx.obj.data,
        secret_key(ctx.obj.data),
    )
    uvicorn.run(api, host=host, port=port, log_level="info")


def secret_key(data: Path) -> str:
    """$IMGCRAWL_SECRET_KEY, else a random key kept (mode 0600) in the data directory."""
    if os.environ.get("IMGCRAWL_SECRET_KEY"):
        return os.environ["IMGCRAWL_SECRET_KEY"]
    path = data / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a reviewer account (the password is prompted for, or read from stdin).

    Example: imgcrawl users add alice
    """
    from web.auth import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    add_user(ctx.obj.database(), username, password)
    console.print(f"added reviewer {username}")


@app.command()
def export(
    ctx: typer.Context,
    format_: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "jsonl",
    indicator: Annotated[
        list[str] | None, typer.Option(help="Only this indicator; repeat for several.")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
) -> None:
    """Export current values, one row per program and indicator, with their evidence.

    Example: imgcrawl export --format csv --indicator visa.h1b --output h1b.csv
    """
    if format_ not in ("csv", "jsonl"):
        raise UsageError(f"--format {format_!r}: use csv or jsonl")
    with ctx.obj.database().session() as session:
        rows = queries.indicator_rows(session, indicator)
    try:
        handle = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    except OSError as error:
        raise UsageError(f"{output}: cannot write ({error.strerror})") from None
    try:
        if format_ == "jsonl":
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            import csv

            writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "value": json.dumps(row["value"], ensure_ascii=False)})
    finally:
        if output:
            handle.close()


@schools_app.command("match")
def schools_match(name: str) -> None:
    """Classify a medical school as written, and say why (JSON).

    Example: imgcrawl schools match "Grant Govt. Medical College, Mumbai"
    """
    from normalizers.schools import classify_school, default_index

    match = classify_school(name)
    _print_json(
        {
            "written": name,
            "school_type": match.type,
            "country": match.country,
            "img": match.img,
            "school_id": match.school.id if match.school else None,
            "school_name": match.school.name if match.school else None,
            "method": match.method,
            "matched": match.matched,
            "known_schools": len(default_index()),
        }
    )


@app.command("eval")
def eval_command(
    corpus: Annotated[
        Path, typer.Option(help="Labelled corpus directory (see its README.md).")
    ] = evaluation.DEFAULT_CORPUS,
    floors: Annotated[
        Path | None, typer.Option(help="Floors file (default: CORPUS/floors.json).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
    errors: Annotated[bool, typer.Option("--errors", help="List every mistake.")] = False,
    update_floors: Annotated[
        bool, typer.Option("--update-floors", help="Raise the floors to the current figures.")
    ] = False,
    lower_floors: Annotated[
        str | None,
        typer.Option(
            "--lower-floors",
            metavar="REASON",
            help="With --update-floors: allow lowering, recording REASON in the floors file.",
        ),
    ] = None,
) -> None:
    """Score the normalizers on a labelled corpus; exit 1 if a figure falls below its floor.

    Prints precision, recall and accuracy per indicator, the family figures (visa and
    eligibility value accuracy, support F1), roster figures, school classification accuracy
    and pages per second.

    Example: imgcrawl eval --corpus tests/fixtures/eval --errors
    """
    if lower_floors and not update_floors:
        raise UsageError("--lower-floors REASON goes with --update-floors")
    floors_file = floors or evaluation.floors_path(corpus)
    report = evaluation.evaluate(corpus)
    figures = report.figures()
    pinned = evaluation.read_floors(floors_file)["floors"]
    if as_json:
        _print_json({**report.as_dict(), "floors": pinned})
    else:
        console.print(_eval_indicator_table(report))
        console.print(_eval_figures_table(figures, pinned))
        if errors:
            for m in report.mistakes:
                quote = f"  \u00ab{m.quote[:90]}\u00bb" if m.quote else ""
                console.print(
                    f"{m.case}: {m.indicator}: expected {m.expected!r}, got {m.predicted!r}{quote}",
                    markup=False,
                    highlight=False,
                )
        console.print(
            f"{report.pages} pages, {report.pages_per_second:.0f} pages/s on one core "
            f"(largest page {report.largest_page_bytes / 1024:.0f} KiB)"
        )
    if update_floors:
        entry = evaluation.update_floors(figures, floors_file, lower_floors)
        err_console.print(f"floors updated in {floors_file}: {len(entry['raised'])} raised")
        return
    evaluation.check_floors(figures, floors_file)


def _eval_indicator_table(report: evaluation.EvalReport) -> Table:
    table = Table(title=f"Indicators ({report.pages} pages)")
    for column in ("indicator", "expected", "tp", "fp", "fn", "wrong", "precision", "recall"):
        table.add_column(column, justify="left" if column == "indicator" else "right")
    table.add_column("accuracy", justify="right")
    for name, c in report.as_dict()["indicators"].items():
        table.add_row(
            name,
            *(str(c[k]) for k in ("expected", "tp", "fp", "fn", "wrong")),
            *(_pct(c[k]) for k in ("precision", "recall", "accuracy")),
        )
    return table


def _eval_figures_table(figures: dict[str, float], floors: dict[str, float]) -> Table:
    table = Table(title="Figures")
    for column in ("figure", "value", "floor", "target"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for name, value in figures.items():
        if name.startswith("indicator."):
            continue  # per-indicator F1 is in the table above; its floor is still checked
        target = evaluation.TARGETS.get(name)
        mark = "" if target is None else (" met" if value >= target else " NOT met")
        table.add_row(
            name,
            _pct(value),
            _pct(floors.get(name)),
            "-" if target is None else f"{_pct(target)}{mark}",
        )
    return table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@app.command("db-upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the database schema to the newest version.

    Example: imgcrawl --db postgresql://localhost/imgcrawl db-upgrade
    """
    db = ctx.obj.database()
    console.print(f"schema up to date: {db.engine.url.render_as_string(hide_password=True)}")


def _self_command() -> str:
    """How the user can run imgcrawl again: the console script they used, else python -m."""
    script = Path(sys.argv[0])
    if script.name == "imgcrawl":
        return str(script) if shutil.which("imgcrawl") != str(script.resolve()) else "imgcrawl"
    installed = Path(sys.executable).parent / "imgcrawl"
    if installed.exists():
        return str(installed)
    return f"{sys.executable} -m crawler.cli"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def _summary_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Programs", show_lines=False)
    for column in (
        "program",
        "J-1",
        "H-1B",
        "conditions",
        "IMG share",
        "residents",
        *(label for _, label in SUPPORT_COLUMNS),
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        values = row["values"]
        share = values.get("roster.img_share")
        share_text = (
            "-"
            if not share
            else (
                f"{share['img']}/{share['img'] + share['us_canadian']}"
                + (f" ({share['share']:.0%})" if share["share"] is not None else "")
            )
        )
        visa_no = values.get("visa.citizens_only") and "citizens only"
        table.add_row(
            row["id"],
            _fmt(values.get("visa.j1")),
            _fmt(values.get("visa.h1b")),
            _fmt(values.get("visa.h1b_conditions") or visa_no),
            share_text,
            _fmt(values.get("roster.resident_count")),
            *(_fmt(values.get(key)) for key, _ in SUPPORT_COLUMNS),
        )
    return table


def _rendered(report: dict[str, Any]) -> str:
    pages = report.get("rendered_pages") or []
    reasons = ", ".join(f"{p['url'].rsplit('/', 1)[-1] or '/'}: {p['reason']}" for p in pages)
    state = f"browser {report.get('browser', 'off')}"
    return f"{len(pages)} ({reasons}; {state})" if pages else f"0 ({state})"


def _browser_figures(report: dict[str, Any]) -> str:
    use, memory = report.get("browser_use") or {}, report.get("memory") or {}
    if not use.get("launches"):
        return f"not started (crawl peak {memory.get('crawl_peak_rss_mib', '?')} MiB)"
    return (
        f"{use['launches']} launch(es), {use['pages_opened']} pages, at most "
        f"{use['max_concurrent_pages']} open, {use['crashed_pages']} caught in a crash; peak "
        f"memory MiB: crawl {memory.get('crawl_peak_rss_mib')}, Chromium "
        f"{memory.get('browser_peak_pss_mib')} PSS / {memory.get('browser_peak_rss_mib')} RSS "
        f"in {memory.get('browser_peak_processes')} processes"
    )


def _run_rows(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    """When and how the run went, and why it did not complete."""
    running = summary["status"] == "running"
    rows: list[tuple[str, Any]] = [
        ("trigger", summary.get("trigger")),
        ("started", summary.get("started_at")),
        ("finished", summary.get("finished_at") or ("still running" if running else None)),
    ]
    if summary.get("error"):
        rows.append(("reason", summary["error"]))
    if not summary.get("report"):
        rows.append(
            (
                "report",
                "none yet: the run is still going"
                if running
                else "none: the run ended before its report was written",
            )
        )
    return rows


def _report_table(summary: dict[str, Any]) -> Table:
    r = summary.get("report") or {}
    table = Table(title=f"Run {summary['id']} ({summary['status']})", show_header=False)
    table.add_column("figure")
    table.add_column("value", overflow="fold")
    for label, value in _run_rows(summary):
        table.add_row(label, _fmt(value))
    if not r:
        return table
    failed = ", ".join(f"{k}: {v}" for k, v in r.get("failed_by_reason", {}).items()) or "none"
    for label, value in (
        ("programs", r.get("programs")),
        ("pages fetched", r.get("pages_fetched")),
        ("pages unchanged", r.get("pages_unchanged")),
        ("pages failed", f"{r.get('pages_failed')} ({failed})"),
        ("skipped by robots.txt", r.get("robots_skipped")),
        ("robots.txt unreadable (pages)", r.get("robots_unavailable")),
        ("blocked private addresses", r.get("blocked_private_address")),
        ("pages rendered", _rendered(r)),
        ("browser", _browser_figures(r)),
        ("bytes downloaded", r.get("bytes_downloaded")),
        ("value changes", r.get("changes")),
        ("not reached", ", ".join(r.get("programs_not_reached", [])) or "none"),
        ("no roster found", ", ".join(r.get("programs_without_roster", [])) or "none"),
        ("no visa statement", ", ".join(r.get("programs_without_visa_statement", [])) or "none"),
        ("duration (s)", r.get("duration_seconds")),
    ):
        table.add_row(label, _fmt(value))
    return table


ONE_LINE_ERRORS = (
    ProgramListError,
    ConfigError,
    DatabaseUnavailable,
    CycleFailed,
    LeaseLost,
    CrawlError,
    queries.NotFound,
    UsageError,
    DemoServerError,
    LeaseHeld,
    ScheduleError,
    AccountError,
    BrowserUnavailable,
    VocabularyError,
    evaluation.CorpusError,
    evaluation.BelowFloors,
)


def _fail(message: str) -> None:
    one_line = " ".join(message.split())  # never a multi-line message (a traceback in disguise)
    err_console.print(f"error: {one_line}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(1)


def main() -> None:
    """Console entry point: typed errors become one line on stderr and exit status 1."""
    try:
        app()  # standalone: usage errors and typer.Exit end the process themselves
    except ONE_LINE_ERRORS as error:
        _fail(str(error))
    except DBAPIError as error:  # the database went away (or refused a write) mid-command
        _fail(f"database error: {describe_db_error(error)}")


if __name__ == "__main__":
    main()
