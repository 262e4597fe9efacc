"""The run report: what one cycle fetched, failed, skipped and found, stored on the run."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Capture, ChangeEvent, CrawlRun, Page, Program, ProgramIndicator

VISA_INDICATORS = ("visa.j1", "visa.h1b", "visa.citizens_only")


def build_report(session: Session, run_id: int) -> dict[str, Any]:
    """Figures of run RUN_ID from its captures, its Scrapy stats and the current values."""
    run = session.get(CrawlRun, run_id)
    scrapy_stats = (run.stats or {}).get("scrapy", {})
    rows = session.execute(
        select(
            Page.program_id,
            Capture.error,
            Capture.unchanged,
            Capture.rendered,
            Capture.size,
            Capture.not_due,
            Capture.http_status,
        )
        .join(Page, Page.id == Capture.page_id)
        .where(Capture.run_id == run_id)
    ).all()
    failed = Counter(row.error.split(":")[0] for row in rows if row.error)
    per_program: dict[str, Counter] = {}
    for program_id, error, *_ in rows:
        per_program.setdefault(program_id, Counter())["failed" if error else "fetched"] += 1
    dropped = Counter(
        session.scalars(select(Page.dropped_reason).where(Page.dropped_run_id == run_id))
    )
    robots = _per_program(scrapy_stats, "imgcrawl/robots_skipped/")
    # Pages not fetched because their host's robots.txt could not be read (5xx, timeout...).
    robots_unavailable = _per_program(scrapy_stats, "imgcrawl/robots_unavailable/")
    program_ids = run.program_ids or [
        p for p in session.scalars(select(Program.id).where(Program.active.is_(True)))
    ]
    indicators: dict[str, set[str]] = {}
    for program_id, indicator in session.execute(
        select(ProgramIndicator.program_id, ProgramIndicator.indicator).where(
            ProgramIndicator.program_id.in_(program_ids)
        )
    ):
        indicators.setdefault(program_id, set()).add(indicator)
    not_reached = sorted(p for p in program_ids if not per_program.get(p, {}).get("fetched"))
    reached = [p for p in program_ids if p not in not_reached]
    finished = run.finished_at or run.started_at
    return {
        "run_id": run_id,
        "status": run.status,
        "pages_fetched": sum(1 for row in rows if not row.error and not row.not_due),
        "pages_unchanged": sum(1 for row in rows if row.unchanged and not row.not_due),
        "pages_not_modified": sum(1 for row in rows if row.http_status == 304),
        "pages_not_due": sum(1 for row in rows if row.not_due),
        "pages_rendered": sum(1 for row in rows if row.rendered),
        "rendered_pages": _rendered_pages(session, run_id),
        "browser": (run.stats or {}).get("browser", "off"),
        "browser_use": _browser_use(scrapy_stats),
        "memory": _memory(scrapy_stats),
        "page_cost_ms": {
            kind: {
                figure: scrapy_stats.get(f"imgcrawl/latency/{kind}/{figure}")
                for figure in ("pages", "median_ms", "p95_ms")
            }
            for kind in ("static", "rendered")
        },
        "pages_failed": sum(failed.values()),
        "failed_by_reason": dict(sorted(failed.items())),
        "robots_skipped": sum(robots.values()),
        "robots_skipped_by_program": dict(sorted(robots.items())),
        # Pages found but not requested because the program's page budget was spent.
        "pages_over_budget": dict(
            sorted(_per_program(scrapy_stats, "imgcrawl/budget/dropped/").items())
        ),
        "robots_unavailable": sum(robots_unavailable.values()),
        "robots_unavailable_by_program": dict(sorted(robots_unavailable.items())),
        "blocked_private_address": scrapy_stats.get("safety/blocked", 0),
        "bytes_downloaded": scrapy_stats.get("downloader/response_bytes", 0),
        "bodies_stored": scrapy_stats.get("imgcrawl/bodies_stored", 0),
        "pages_dropped": dict(sorted(dropped.items())),
        "programs": len(program_ids),
        # Not reached: nothing of the program could be read this run (site down, every page
        # failed). Their values stand as the last cycle that reached them left them; they are
        # not counted as having no roster or no visa statement, which would be a finding.
        "programs_not_reached": not_reached,
        "programs_without_roster": sorted(
            p for p in reached if "roster.resident_count" not in indicators.get(p, set())
        ),
        "programs_without_visa_statement": sorted(
            p for p in reached if not indicators.get(p, set()) & set(VISA_INDICATORS)
        ),
        "changes": session.scalar(
            select(func.count()).select_from(ChangeEvent).where(ChangeEvent.run_id == run_id)
        ),
        "per_program": {p: dict(c) for p, c in sorted(per_program.items())},
        "duration_seconds": round((finished - run.started_at).total_seconds(), 2)
        if run.finished_at
        else None,
    }


def _per_program(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    """Program id -> value of the Scrapy stats named PREFIX<program id>."""
    return {key[len(prefix) :]: value for key, value in stats.items() if key.startswith(prefix)}


def _rendered_pages(session: Session, run_id: int) -> list[dict[str, str]]:
    """Each page read in a browser this run, and why it was escalated."""
    rows = session.execute(
        select(Page.url, Capture.headers)
        .join(Capture, Capture.page_id == Page.id)
        .where(Capture.run_id == run_id, Capture.rendered.is_(True))
        .order_by(Capture.id)
    )
    return [
        {"url": url, "reason": (headers or {}).get("X-Imgcrawl-Render-Reason", "?")}
        for url, headers in rows
    ]


def _browser_use(stats: dict[str, Any]) -> dict[str, int]:
    """How the browser fared: launches (more than one means it was restarted), pages opened,
    closed (fewer than opened: pages lost with a crashed browser) and the most open at once,
    pages caught in a crash and retried."""
    return {
        "launches": stats.get("playwright/browser_count", 0),
        "pages_opened": stats.get("playwright/page_count", 0),
        "pages_closed": stats.get("playwright/page_count/closed", 0),
        "max_concurrent_pages": stats.get("playwright/page_count/max_concurrent", 0),
        "crashed_pages": stats.get("imgcrawl/browser/crashed_pages", 0),
        "crash_retries": stats.get("imgcrawl/browser/crash_retries", 0),
    }


def _memory(stats: dict[str, Any]) -> dict[str, float | int | None]:
    """Peak memory in MiB (crawler/memory.py): the crawl process, the Chromium tree (PSS and
    RSS sums) and the Playwright driver."""

    def mib(key: str) -> float | None:
        value = stats.get(f"imgcrawl/memory/{key}")
        return None if value is None else round(value / 2**20, 1)

    return {
        "crawl_peak_rss_mib": mib("crawl_peak_rss"),
        "browser_peak_pss_mib": mib("browser_peak_pss"),
        "browser_peak_rss_mib": mib("browser_peak_rss"),
        "driver_peak_rss_mib": mib("driver_peak_rss"),
        "browser_peak_processes": stats.get("imgcrawl/memory/browser_peak_processes", 0),
    }
