"""Load of the read API over a generated database of many programs, on SQLite and PostgreSQL.

Prints requests per second and p50/p95 latency of the programs list and program detail
endpoints (a real uvicorn server on loopback, one client thread per concurrency slot); asserts
nothing. Run: .venv/bin/python bench/api_load.py [--programs 5000] [--requests 400]
PostgreSQL runs when the server binaries are installed (a throwaway server, as in the tests).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import live_server  # noqa: E402

from db.models import Program, ProgramIndicator  # noqa: E402
from db.session import Database  # noqa: E402
from web.api import create_app  # noqa: E402

STATES = ("TX", "NY", "CA", "MI", "IL", "FL", "OH", "PA", "LA", "AZ")
SPECIALTIES = ("Internal Medicine", "Family Medicine", "Pediatrics", "Psychiatry", "Surgery")


def populate(db: Database, count: int) -> None:
    rng = random.Random(7)
    with db.session() as session:
        for n in range(count):
            pid = f"prog-{n:05d}"
            session.add(
                Program(
                    id=pid,
                    name=f"Program {n}",
                    website=f"https://p{n}.example.org/",
                    specialty=rng.choice(SPECIALTIES),
                    state=rng.choice(STATES),
                    allowed_domains=[f"p{n}.example.org"],
                )
            )
            total = rng.randint(6, 40)
            img = rng.randint(0, total)
            for indicator, value in (
                ("visa.j1", rng.choice(("yes", "no"))),
                ("visa.h1b", rng.choice(("yes", "no", "conditional"))),
                ("roster.resident_count", total),
                (
                    "roster.img_share",
                    {
                        "img": img,
                        "us_canadian": total - img,
                        "unknown": 0,
                        "total": total,
                        "share": round(img / total, 3),
                    },
                ),
                ("mentorship.formal", rng.random() < 0.6),
            ):
                session.add(
                    ProgramIndicator(
                        program_id=pid,
                        indicator=indicator,
                        value=value,
                        status="auto",
                        confidence=0.9,
                    )
                )


def measure(base: str, paths: list[str], concurrency: int) -> tuple[float, float, float]:
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:

        def one(path: str) -> None:
            started = time.perf_counter()
            client.get(path).raise_for_status()
            latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, paths))
        wall = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    return len(paths) / wall, statistics.median(latencies) * 1000, p95 * 1000


def bench(label: str, db_url: str, args: argparse.Namespace) -> None:
    db = Database(db_url)
    populate(db, args.programs)
    base, server = live_server.start(create_app(db_url))
    rng = random.Random(11)
    lists = [
        f"/api/programs?limit=50&offset={rng.randrange(0, args.programs - 50)}"
        f"&state={rng.choice(STATES)}&visa.h1b={rng.choice(('yes', 'no', 'conditional'))}"
        for _ in range(args.requests)
    ]
    details = [
        f"/api/programs/prog-{rng.randrange(args.programs):05d}" for _ in range(args.requests)
    ]
    for name, paths in (("programs list (filtered)", lists), ("program detail", details)):
        rps, p50, p95 = measure(base, paths, args.concurrency)
        print(f"{label:<11}{name:<26}{rps:>10.1f}{p50:>10.1f}{p95:>10.1f}")
    server.should_exit = True
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    print(
        f"{args.programs} programs, {args.requests} requests per endpoint, "
        f"concurrency {args.concurrency}"
    )
    print(f"{'database':<11}{'endpoint':<26}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", f"sqlite:///{Path(tmp) / 'load.sqlite3'}", args)
    import pg_server

    if pg_server.available():
        server = pg_server.PostgresServer()
        try:
            bench("postgresql", server.start(), args)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
