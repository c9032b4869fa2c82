"""A plain, blocking, threaded web crawler: run it as is, then under zio.patch.

    python examples/crawler.py                  # real OS threads
    python -m zio.patch examples/crawler.py     # the same code, threads become fibers

Nothing here knows about zio.  The program starts a small web site in a
child process (an asyncio server that answers each page after ``--delay``
seconds, like a slow backend), then crawls it from page 0 by
following links, fetching up to ``--workers`` pages at once with a
``ThreadPoolExecutor`` and ``requests`` (``urllib.request`` if requests is
not installed).  It prints how many pages it fetched, the wall time and how
many OS threads did the fetching.

The site is served by a separate, unpatched process, so both runs hit the
same server; only the crawler changes.
"""

from __future__ import annotations

import argparse
import html.parser
import os
import queue
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

# -- the site (runs in a child process) ----------------------------------------


def page_links(i: int, pages: int, fanout: int) -> list[int]:
    """Links on page ``i``: its ``fanout`` children in a tree, plus a few back/cross links."""
    children = [c for c in range(i * fanout + 1, i * fanout + fanout + 1) if c < pages]
    return children + [0, (i * 7 + 3) % pages]


def serve(pages: int, fanout: int, delay: float) -> None:
    """Serve the site on 127.0.0.1 (free port, printed on stdout) until stdin closes.

    An asyncio server: it holds thousands of keep-alive connections with
    little CPU, so the crawler, not the site, is what the two runs measure.
    """
    import asyncio

    def render(path: str) -> tuple[str, bytes]:
        m = re.fullmatch(r"/page/(\d+)", path)
        if not m or int(m.group(1)) >= pages:
            return "404 Not Found", b"no such page"
        i = int(m.group(1))
        links = "".join(f'<li><a href="/page/{j}">page {j}</a></li>' for j in page_links(i, pages, fanout))
        return "200 OK", f"<html><head><title>Page {i}</title></head><body><ul>{links}</ul></body></html>".encode()

    handlers: dict[asyncio.Task, asyncio.StreamWriter] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers[asyncio.current_task()] = writer
        try:
            while True:  # HTTP/1.1 keep-alive: requests on one connection, one at a time
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                await asyncio.sleep(delay)  # a slow backend: each page takes `delay` to render
                status, body = render(path)
                reply = f"HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
                writer.write(reply.encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            del handlers[asyncio.current_task()]

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the crawler is done
        server.close()
        # Close idle keep-alive connections so their handlers end normally
        # (asyncio.run would otherwise cancel them, and 3.11 logs that noisily).
        for writer in handlers.values():
            writer.close()
        await asyncio.gather(*handlers, return_exceptions=True)

    asyncio.run(main())


def start_site(pages: int, fanout: int, delay: float) -> tuple[subprocess.Popen, str]:
    """Start the site in a child process; return it and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve",
         "--pages", str(pages), "--fanout", str(fanout), "--delay", str(delay)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    port = proc.stdout.readline().strip()
    if not port:
        raise SystemExit("the site did not start")
    return proc, f"http://127.0.0.1:{port}"


# -- the crawler ------------------------------------------------------------------


class LinkParser(html.parser.HTMLParser):
    """Collects href targets and the title of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def make_fetcher(workers: int):
    """A ``fetch(url) -> (status, text)`` function shared by all worker threads."""
    try:
        import requests
    except ImportError:
        import urllib.error
        import urllib.request

        def fetch(url: str) -> tuple[int, str]:
            try:
                with urllib.request.urlopen(url, timeout=30) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as exc:
                return exc.code, ""

        return fetch, "urllib"
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=workers))

    def fetch(url: str) -> tuple[int, str]:
        resp = session.get(url, timeout=30)
        return resp.status_code, resp.text

    return fetch, "requests"


def crawl(base: str, fetch, workers: int) -> tuple[dict[str, str], set[int]]:
    """Crawl from /page/0 with ``workers`` threads; return {path: title} and the OS thread ids that fetched."""
    native_ids: set[int] = set()
    results: queue.Queue = queue.Queue()

    def visit(path: str) -> None:
        native_ids.add(threading.get_native_id())
        try:
            status, text = fetch(base + path)
            parser = LinkParser()
            parser.feed(text)
            results.put((path, status, parser, None))
        except Exception as exc:  # report it to the main thread, which stops the crawl
            results.put((path, 0, None, exc))

    titles: dict[str, str] = {}
    seen = {"/page/0"}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pool.submit(visit, "/page/0")
        pending = 1
        while pending:
            path, status, parser, exc = results.get()
            pending -= 1
            if exc is not None or status != 200:
                raise RuntimeError(f"{path}: {exc or f'HTTP {status}'}")
            titles[path] = parser.title
            for link in parser.links:
                if link not in seen:
                    seen.add(link)
                    pool.submit(visit, link)
                    pending += 1
    return titles, native_ids


def main() -> None:
    """Parse arguments; serve the site (``--serve``) or start it and crawl it."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=200, help="pages on the site (default 200)")
    ap.add_argument("--fanout", type=int, default=10, help="child links per page (default 10)")
    ap.add_argument("--delay", type=float, default=0.1, help="seconds the server takes per page (default 0.1)")
    ap.add_argument("--workers", type=int, default=100, help="pages fetched at once (default 100)")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.pages, args.fanout, args.delay)
        return

    site, base = start_site(args.pages, args.fanout, args.delay)
    try:
        fetch, client = make_fetcher(args.workers)  # imports requests: not part of the crawl's time
        t0 = time.monotonic()
        titles, native_ids = crawl(base, fetch, args.workers)
        elapsed = time.monotonic() - t0
    finally:
        site.stdin.close()
        site.wait()
    # The program does not import zio; `python -m zio.patch` has, and patched threading.
    patched = "zio.patch" in sys.modules and sys.modules["zio.patch"].is_patched("threading")
    if len(titles) != args.pages or titles["/page/0"] != "Page 0":
        raise SystemExit(f"incomplete crawl: {len(titles)} of {args.pages} pages")
    print(f"crawled {len(titles)} pages in {elapsed:.2f} s with {args.workers} workers ({client})")
    print(f"fetching OS threads: {len(native_ids)}; zio.patch: {'on' if patched else 'off'}")


if __name__ == "__main__":
    main()
