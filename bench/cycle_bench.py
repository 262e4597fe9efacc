"""First cycle vs. an unchanged second cycle over the demo sites: wall time, requests, bytes.

Prints figures; asserts nothing. Run: .venv/bin/python bench/cycle_bench.py [--repeat 3]
Each repeat uses a fresh database, so every first cycle starts cold.
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


def one_pair(server: DemoServer, delay: float) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        db = Database(f"sqlite:///{data_dir / 'bench.sqlite3'}")
        import_programs(
            db, parse_program_list(DEMO_PROGRAMS, server.substitute(DEMO_PROGRAMS.read_text()))
        )
        figures = []
        for _ in range(2):
            before = len(server.requests)
            started = time.perf_counter()
            run_id = run_cycle(
                db,
                data_dir,
                CrawlOptions(download_delay=delay, allow_private_hosts=tuple(server.hosts())),
            )
            wall = time.perf_counter() - started
            with db.session() as session:
                stats = session.get(CrawlRun, run_id).stats
            report, scrapy = stats["report"], stats["scrapy"]
            figures.append(
                {
                    "wall_s": wall,
                    "requests": len(server.requests) - before,
                    "bytes": scrapy.get("downloader/response_bytes", 0),
                    "unchanged": report["pages_unchanged"],
                    "fetched": report["pages_fetched"],
                    "not_due": report["pages_not_due"],
                    "new_findings": stats["normalize"]["findings"],
                }
            )
        db.dispose()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.2, help="per-host delay, seconds")
    args = parser.parse_args()
    with DemoServer() as server:
        pairs = [one_pair(server, args.delay) for _ in range(args.repeat)]
    print(f"demo sites: {len(server.sites)}, per-host delay {args.delay}s, {args.repeat} repeats")
    print(
        f"{'cycle':<10}{'wall s (median)':>16}{'requests':>10}{'bytes':>10}"
        f"{'unchanged/fetched':>19}{'not due':>9}{'new findings':>14}"
    )
    for index, label in enumerate(("first", "unchanged")):
        rows = [pair[index] for pair in pairs]
        median = statistics.median(r["wall_s"] for r in rows)
        last = rows[-1]
        print(
            f"{label:<10}{median:>16.2f}{last['requests']:>10}{last['bytes']:>10}"
            f"{last['unchanged']:>10}/{last['fetched']:<8}{last['not_due']:>9}"
            f"{last['new_findings']:>14}"
        )
    first = statistics.median(p[0]["bytes"] for p in pairs)
    second = statistics.median(p[1]["bytes"] for p in pairs)
    print(f"bytes ratio unchanged/first: {second / first:.3f}" if first else "no bytes")


if __name__ == "__main__":
    main()
