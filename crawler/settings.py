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

# Politeness: robots.txt (StrictRobotsTxtMiddleware: a host whose robots.txt cannot be read is
# not crawled; its Crawl-delay, see CrawlDelayMiddleware), a per-domain delay and a small
# per-domain concurrency.
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

# Browser rendering (crawler/browser.py, crawler/interactions.py): bounded in pages, time and
# clicks, so one heavy site cannot stall the cycle.
IMGCRAWL_BROWSER_MAX_PAGES = 4  # pages open at once (memory grows with each)
IMGCRAWL_BROWSER_NAVIGATION_TIMEOUT = 20.0  # seconds to load a page, as DOWNLOAD_TIMEOUT
IMGCRAWL_BROWSER_ACTION_TIMEOUT = 5.0  # seconds for one click, wait or data load
IMGCRAWL_BROWSER_INTERACTION_BUDGET = 30.0  # seconds for all interactions on one page
IMGCRAWL_BROWSER_MAX_CLICKS = 20  # "Load more" clicks per page
IMGCRAWL_BROWSER_MAX_TABS = 12  # tabs visited per tablist (a year per tab needs under 10)
IMGCRAWL_BROWSER_CRASH_RETRIES = 2  # a page whose browser died is tried again this often
IMGCRAWL_MEMORY_SAMPLE_INTERVAL = 0.5  # seconds between samples of the browser's memory

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
    # A redirect hop off the program's domains is refused before robots.txt is asked for it.
    "crawler.offsite.OffsiteRedirectMiddleware": 60,
    # Scrapy's robots.txt middleware lets requests through unchecked when several wait for one
    # robots.txt, and takes an unreadable robots.txt for none: ours, in its place.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.StrictRobotsTxtMiddleware": 100,
    # Sees the robots.txt responses Scrapy fetches and applies their Crawl-delay to the slot.
    "crawler.middlewares.CrawlDelayMiddleware": 110,
}
ITEM_PIPELINES = {
    "crawler.pipelines.CapturePipeline": 300,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.progress.ProgressReporter": 500,
    "crawler.memory.MemoryMonitor": 510,
    "crawler.page_costs.PageCostRecorder": 520,
}
HTTPERROR_ALLOW_ALL = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
