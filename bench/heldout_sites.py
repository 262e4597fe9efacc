"""The held-out demo sites, crawled end to end: how many program values the pipeline gets right.

Prints figures; asserts nothing. Run: .venv/bin/python bench/heldout_sites.py
The sites in tests/fixtures/heldout/ were written apart from the extractors (their README says
how), each with the expected.json a careful reader wrote. A value counts as right when it equals
the expected one; missing and extra values count against it; rosters count as right when the
resident total and the IMG count both match.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from crawler.demo_server import DemoServer, substitute_class_years
from crawler.orchestrate import CrawlOptions, run_cycle
from crawler.programs_io import import_programs, parse_program_list
from db import queries
from db.session import Database

HELDOUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "heldout"


def main() -> None:
    programs_csv = HELDOUT / "programs.csv"
    expected = {
        p.parent.name: json.loads(substitute_class_years(p.read_text()))
        for p in sorted((HELDOUT / "sites").glob("*/expected.json"))
    }
    with DemoServer(HELDOUT / "sites") as server, tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'heldout.sqlite3'}")
        import_programs(
            db, parse_program_list(programs_csv, server.substitute(programs_csv.read_text()))
        )
        run_cycle(
            db,
            Path(tmp),
            CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(server.hosts())),
        )
        right = wrong = missing = extra = rosters_right = rosters = 0
        for program_id, want in sorted(expected.items()):
            with db.session() as session:
                data = queries.program_values(session, program_id)
            got = {
                k: v["value"]
                for k, v in data["values"].items()
                if not k.startswith("roster.") and v.get("status") != "rejected"
            }
            indicators = want["indicators"]
            ok = [k for k in indicators if got.get(k) == indicators[k]]
            bad = [k for k in indicators if k in got and got[k] != indicators[k]]
            lost = [k for k in indicators if k not in got]
            more = [k for k in got if k not in indicators]
            right, wrong, missing, extra = (
                right + len(ok),
                wrong + len(bad),
                missing + len(lost),
                extra + len(more),
            )
            line = f"{program_id:22} values {len(ok)}/{len(indicators)}"
            if want.get("roster"):
                rosters += 1
                share = data["values"].get("roster.img_share", {}).get("value") or {}
                fits = (share.get("total"), share.get("img")) == (
                    want["roster"]["residents"],
                    want["roster"]["img"],
                )
                rosters_right += fits
                line += f"  roster {share.get('total')}/{want['roster']['residents']} residents"
                line += f", {share.get('img')}/{want['roster']['img']} IMG"
            details = [f"wrong {k}: {got[k]!r} != {indicators[k]!r}" for k in bad]
            details += [f"missing {k}" for k in lost] + [f"extra {k}={got[k]!r}" for k in more]
            print(line + ("  | " + "; ".join(details) if details else ""))
        db.dispose()
    total = right + wrong + missing
    print(
        f"\nvalues right {right}/{total} ({right / total:.0%}); wrong {wrong}, missing {missing}, "
        f"extra {extra}; rosters right {rosters_right}/{rosters}"
    )


if __name__ == "__main__":
    main()
