"""Peak memory of the crawl process and of the browser it drives, as run stats.

Rendering is where a crawl's memory goes: each Chromium renderer costs tens of MiB. A thread
samples, every IMGCRAWL_MEMORY_SAMPLE_INTERVAL seconds, the resident memory of the crawl
process's descendants: the Playwright driver (a child) and the Chromium processes it starts
(everything below the driver). The peak of their sum is kept, not a sum of peaks. The crawl
process's own peak comes from the kernel (getrusage), so it is exact, not sampled.

Stats (bytes): `imgcrawl/memory/crawl_peak_rss`, `imgcrawl/memory/browser_peak_rss` and
`imgcrawl/memory/browser_peak_pss` (the Chromium process tree), `imgcrawl/memory/driver_peak_rss`,
and the counts `imgcrawl/memory/browser_peak_processes`, `imgcrawl/memory/samples`. Chromium's
processes share most of their pages, which RSS counts once per process: the RSS sum is an upper
bound, the PSS sum (shared pages split between their users; Linux only) what the tree holds.
"""

from __future__ import annotations

import logging
import resource
import sys
import threading

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class MemoryMonitor:
    """Samples memory in a thread from engine start to spider close; off when the interval is 0."""

    def __init__(self, crawler: Crawler) -> None:
        self.interval = crawler.settings.getfloat("IMGCRAWL_MEMORY_SAMPLE_INTERVAL")
        if self.interval <= 0:
            raise NotConfigured("IMGCRAWL_MEMORY_SAMPLE_INTERVAL is 0")
        try:
            import psutil
        except ImportError as error:  # pragma: no cover - a declared dependency
            raise NotConfigured("psutil is not installed") from error
        self.psutil = psutil
        self.stats = crawler.stats
        self.browser_peak = self.browser_pss_peak = self.driver_peak = 0
        self.processes_peak = self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MemoryMonitor:
        monitor = cls(crawler)
        crawler.signals.connect(monitor.engine_started, signal=signals.engine_started)
        crawler.signals.connect(monitor.spider_closed, signal=signals.spider_closed)
        return monitor

    def engine_started(self) -> None:
        self._thread = threading.Thread(target=self._run, name="memory-monitor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        """One reading of the browser's memory; processes that exit meanwhile are skipped."""
        psutil = self.psutil
        browser = pss = driver = processes = 0
        try:
            children = psutil.Process().children()
        except psutil.Error:
            return
        for child in children:
            try:
                driver += child.memory_info().rss
                descendants = child.children(recursive=True)
            except psutil.Error:
                continue
            for process in descendants:
                try:
                    info = process.memory_full_info()
                    browser += info.rss
                    pss += getattr(info, "pss", info.rss)
                    processes += 1
                except psutil.Error:
                    continue
        self.samples += 1
        self.driver_peak = max(self.driver_peak, driver)
        self.browser_peak = max(self.browser_peak, browser)
        self.browser_pss_peak = max(self.browser_pss_peak, pss)
        self.processes_peak = max(self.processes_peak, processes)

    def spider_closed(self, spider=None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.sample()  # a crawl shorter than one interval still gets a reading
        # ru_maxrss is KiB on Linux, bytes on macOS.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak *= 1 if sys.platform == "darwin" else 1024
        self.stats.set_value("imgcrawl/memory/crawl_peak_rss", peak)
        self.stats.set_value("imgcrawl/memory/browser_peak_rss", self.browser_peak)
        self.stats.set_value("imgcrawl/memory/browser_peak_pss", self.browser_pss_peak)
        self.stats.set_value("imgcrawl/memory/driver_peak_rss", self.driver_peak)
        self.stats.set_value("imgcrawl/memory/browser_peak_processes", self.processes_peak)
        self.stats.set_value("imgcrawl/memory/samples", self.samples)
        logger.info(
            "memory: crawl peak %.0f MiB, browser peak %.0f MiB PSS in %d processes",
            peak / 2**20,
            self.browser_pss_peak / 2**20,
            self.processes_peak,
        )
