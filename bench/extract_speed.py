"""Extraction speed: pages per second of the normalizers over the bundled pages, one core.

Prints figures; asserts nothing. Run: .venv/bin/python bench/extract_speed.py [--repeat 5]
Pages: every .html and .pdf under tests/fixtures/sites and tests/fixtures/heldout.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from normalizers.extract import document_from, extract_page

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
TYPES = {".html": "text/html", ".pdf": "application/pdf"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pages = [
        (p.read_bytes(), TYPES[p.suffix])
        for folder in ("sites", "heldout")
        for p in sorted((FIXTURES / folder).rglob("*"))
        if p.suffix in TYPES
    ]
    size = sum(len(body) for body, _ in pages)
    extract_page(document_from(*pages[0]))  # load the schools index outside the timing
    rates = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for body, content_type in pages:
            extract_page(document_from(body, content_type))
        rates.append(len(pages) / (time.perf_counter() - started))
    print(f"{len(pages)} pages, {size / len(pages) / 1024:.1f} KiB mean, {args.repeat} repeats")
    print(
        f"pages per second (median): {statistics.median(rates):.0f}  "
        f"(min {min(rates):.0f}, max {max(rates):.0f})"
    )


if __name__ == "__main__":
    main()
