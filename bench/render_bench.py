"""Static versus rendered cost per page over the demo sites, and what rendering costs in memory.

Prints figures; asserts nothing. Run: .venv/bin/python bench/render_bench.py [--repeat 3]
Three cycles per repeat, each on a fresh database over every demo program:
  static    every program render_mode=static: every page fetched statically, no browser;
  rendered  every program render_mode=browser: every page rendered (with the interactions);
  auto      the demo as configured: static first, the browser only where a page needs it.
Pages are fetched one at a time (CONCURRENT_REQUESTS=1, no delay), so a page's latency is its
own cost, not a share of a queue. Latency is Scrapy's download_latency per program page
(crawler/page_costs.py); memory comes from crawler/memory.py (the crawl process's peak RSS;
the Chromium tree's peak PSS and RSS sums, sampled every 0.2 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from crawler.cli import DEMO_PROGRAMS
from crawler.demo_server import DemoServer
from crawler.orchestrate import CrawlOptions, run_cycle
from crawler.programs_io import import_programs, parse_program_list
from db.models import CrawlRun
from db.session import Database

MODES = {"static": "static", "rendered": "browser", "auto": None}
ONE_AT_A_TIME = {
    "CONCURRENT_REQUESTS": 1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "IMGCRAWL_BROWSER_MAX_PAGES": 1,
    "IMGCRAWL_MEMORY_SAMPLE_INTERVAL": 0.2,
}


def one_cycle(server: DemoServer, mode: str) -> dict:
    render_mode = MODES[mode]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        db = Database(f"sqlite:///{data_dir / 'bench.sqlite3'}")
        records = parse_program_list(DEMO_PROGRAMS, server.substitute(DEMO_PROGRAMS.read_text()))
        if render_mode:
            records = [r.__class__(**{**r.__dict__, "render_mode": render_mode}) for r in records]
        import_programs(db, records)
        started = time.perf_counter()
        run_id = run_cycle(
            db,
            data_dir,
            CrawlOptions(
                download_delay=0,
                allow_private_hosts=tuple(server.hosts()),
                extra_settings=ONE_AT_A_TIME,
            ),
        )
        wall = time.perf_counter() - started
        with db.session() as session:
            stats = session.get(CrawlRun, run_id).stats
        db.dispose()
    scrapy, report = stats["scrapy"], stats["report"]
    return {
        "wall_s": wall,
        "latency": {
            kind: (
                scrapy.get(f"imgcrawl/latency/{kind}/pages", 0),
                scrapy.get(f"imgcrawl/latency/{kind}/median_ms"),
            )
            for kind in ("static", "rendered")
        },
        "memory": report["memory"],
        "rendered_pages": report["pages_rendered"],
        "fetched": report["pages_fetched"],
        "failed": report["pages_failed"],
    }


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with DemoServer() as server:
        runs = {mode: [one_cycle(server, mode) for _ in range(args.repeat)] for mode in MODES}
    print(f"demo sites: {len(server.sites)}; {args.repeat} repeats; pages one at a time")
    print(
        f"{'cycle':<10}{'wall s':>8}{'static pages':>14}{'median ms':>11}"
        f"{'rendered pages':>16}{'median ms':>11}{'failed':>8}"
        f"{'crawl MiB':>11}{'Chromium MiB PSS/RSS':>22}{'procs':>7}"
    )
    medians: dict[str, dict[str, float | None]] = {}
    for mode, rows in runs.items():
        figures = {}
        for kind in ("static", "rendered"):
            values = [r["latency"][kind][1] for r in rows if r["latency"][kind][1] is not None]
            figures[kind] = statistics.median(values) if values else None
        medians[mode] = figures
        last = rows[-1]
        memory = last["memory"]
        peak_pss = max((r["memory"]["browser_peak_pss_mib"] or 0) for r in rows)
        peak_rss = max((r["memory"]["browser_peak_rss_mib"] or 0) for r in rows)
        print(
            f"{mode:<10}{statistics.median(r['wall_s'] for r in rows):>8.2f}"
            f"{last['latency']['static'][0]:>14}{_fmt(figures['static']):>11}"
            f"{last['latency']['rendered'][0]:>16}{_fmt(figures['rendered']):>11}"
            f"{last['failed']:>8}{_fmt(memory['crawl_peak_rss_mib'], '.0f'):>11}"
            f"{peak_pss:>13.0f}/{peak_rss:<8.0f}{memory['browser_peak_processes']:>7}"
        )
    static, rendered = medians["static"]["static"], medians["rendered"]["rendered"]
    if static and rendered:
        print(
            f"per page, median: static {static:.1f} ms, rendered {rendered:.1f} ms: "
            f"rendering costs {rendered / static:.0f}x"
        )
    auto = runs["auto"][-1]
    print(
        f"auto (the demo as configured): {auto['rendered_pages']} of {auto['fetched']} captures "
        f"rendered; cycle {statistics.median(r['wall_s'] for r in runs['auto']):.2f} s vs "
        f"{statistics.median(r['wall_s'] for r in runs['rendered']):.2f} s rendering everything "
        f"and {statistics.median(r['wall_s'] for r in runs['static']):.2f} s static only"
    )


if __name__ == "__main__":
    main()
