"""The crawl stage in its own process: `python -m crawler.crawl_job CONFIG.json`.

Twisted's reactor cannot be restarted within one process, so every crawl gets a fresh one. The
config holds the Scrapy settings for this run; the run's Scrapy stats are written to the run
row when the crawl ends, whatever the outcome of individual pages.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.config import DATABASE_URL_ENV
from db.models import CrawlRun
from db.session import Database
from spiders.program_spider import ProgramSpider


def _jsonable(stats: dict) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in stats.items()
        if isinstance(v, (int, float, str, datetime, list))
    }


def main(config_path: str) -> int:
    overrides = json.loads(Path(config_path).read_text())
    # The config file holds the URL without its password; the real one comes in the environment.
    if os.environ.get(DATABASE_URL_ENV):
        overrides["IMGCRAWL_DATABASE_URL"] = os.environ[DATABASE_URL_ENV]
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(ProgramSpider)
    process.crawl(crawler)
    process.start()
    stats = _jsonable(crawler.stats.get_stats())
    db = Database(settings["IMGCRAWL_DATABASE_URL"], migrate=False)
    with db.session() as session:
        run = session.get(CrawlRun, settings.getint("IMGCRAWL_RUN_ID"))
        run.stats = {**(run.stats or {}), "scrapy": stats}
    db.dispose()
    return 0 if stats.get("finish_reason") == "finished" else 1


if __name__ == "__main__":
    logging.captureWarnings(True)
    sys.exit(main(sys.argv[1]))
