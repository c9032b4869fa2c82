"""examples/crawler.py crawls its whole site plainly and under ``python -m zio.patch``.

A small site (30 pages, 100 ms each) keeps this quick: serially the crawl
would take 3 s, concurrently about 0.3 s (three levels of links).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from ._patched import ROOT

CRAWLER = str(ROOT / "examples" / "crawler.py")
ARGS = ["--pages", "30", "--fanout", "5", "--delay", "0.1", "--workers", "30"]


def _crawl(patched: bool) -> tuple[int, float, int, str]:
    prefix = [sys.executable, "-m", "zio.patch"] if patched else [sys.executable]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([*prefix, CRAWLER, *ARGS], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    m = re.search(r"crawled (\d+) pages in ([\d.]+) s with 30 workers", proc.stdout)
    t = re.search(r"fetching OS threads: (\d+); zio.patch: (on|off)", proc.stdout)
    assert m and t, proc.stdout
    return int(m.group(1)), float(m.group(2)), int(t.group(1)), t.group(2)


@pytest.mark.parametrize("patched", [False, True], ids=["plain", "zio.patch"])
def test_crawler_fetches_every_page_concurrently(patched: bool) -> None:
    if patched and not __import__("zio.patch").patch.available("socket"):
        pytest.fail("zio.green.socket is not available: the demo cannot run patched")
    pages, elapsed, os_threads, mode = _crawl(patched)
    assert pages == 30
    assert elapsed < 2.0, elapsed  # 3 s if the fetches ran one after another
    if patched:
        assert (mode, os_threads) == ("on", 1)  # every "thread" of the pool was a fiber
    else:
        assert mode == "off" and os_threads > 1
