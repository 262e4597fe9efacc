"""Scrapy settings for imgcrawl: polite and safe by default.

imgcrawl's own settings are IMGCRAWL_* names; the Scrapy ones keep their names. The CLI and the
demo override them per run (`crawler.orchestrate.crawl_settings`).
"""

from __future__ import annotations

BOT_NAME = "imgcrawl"
SPIDER_MODULES = ["spiders"]

# Identify ourselves with a way to reach the operator.
IMGCRAWL_CONTACT_URL = "https://github.com/imgcrawl/imgcrawl#contact"
IMGCRAWL_USER_AGENT_NAME = "imgcrawl/0.1"

# Politeness: robots.txt (and its Crawl-delay, see CrawlDelayMiddleware), a per-domain delay
# and a small per-domain concurrency.
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
IMGCRAWL_MAX_CRAWL_DELAY = 30.0  # a robots.txt Crawl-delay above this is capped, not obeyed

# Limits: program pages are small; anything huge is not a program page.
DOWNLOAD_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
REDIRECT_MAX_TIMES = 5

# Navigation budget per program.
IMGCRAWL_MAX_DEPTH = 3
IMGCRAWL_PAGE_BUDGET = 40

# Safety: never fetch private, loopback or link-local addresses unless the host is listed here
# (the demo and the tests list their own local server).
IMGCRAWL_ALLOW_PRIVATE_HOSTS: list[str] = []
TWISTED_DNS_RESOLVER = "crawler.safe_resolver.SafeResolver"  # names are checked where they resolve

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100) so not even robots.txt is fetched from a forbidden address.
    "crawler.middlewares.SafetyGuardMiddleware": 50,
    # Sees the robots.txt responses Scrapy fetches and applies their Crawl-delay to the slot.
    "crawler.middlewares.CrawlDelayMiddleware": 110,
}
ITEM_PIPELINES = {
    "crawler.pipelines.CapturePipeline": 300,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.progress.ProgressReporter": 500,
}
HTTPERROR_ALLOW_ALL = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
