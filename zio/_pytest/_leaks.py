"""Resource snapshots for the leak check: open fds, OS threads and child processes.

A snapshot maps a stable key to a description.  Fds are keyed by number *and*
what they point to, so a closed-and-reused fd number is still a new fd;
threads by ident, children by (pid, create time).  psutil supplies socket
addresses and child process details; on Linux ``/proc/self/fd`` names every
other kind of fd (pipes, eventfds, epoll instances).
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from .._core._frames import current_frames
from . import _real

__all__ = ["Snapshot", "take", "leaks_between", "wait_for_no_leaks"]


@dataclass
class Snapshot:
    """What the process held at one moment (see the module docstring)."""

    fds: dict[Any, str] = field(default_factory=dict)
    threads: dict[int, str] = field(default_factory=dict)
    native_threads: int = 0
    children: dict[Any, str] = field(default_factory=dict)


def _psutil() -> Any:
    try:
        import psutil
    except ImportError as exc:  # pragma: no cover - psutil is a test dependency
        raise RuntimeError("the zio leak check needs psutil: pip install psutil") from exc
    return psutil


def _socket_details(proc: Any) -> dict[int, str]:
    details: dict[int, str] = {}
    try:
        conns = proc.net_connections(kind="all") if hasattr(proc, "net_connections") else proc.connections("all")
    except Exception:  # noqa: BLE001 - permissions or platform: fall back to bare fds
        return details
    for c in conns:
        if c.fd is None or c.fd < 0:
            continue
        family = getattr(c.family, "name", str(c.family))
        kind = getattr(c.type, "name", str(c.type))
        text = f"{family}/{kind}"
        if c.laddr:
            text += f" local={_addr(c.laddr)}"
        if c.raddr:
            text += f" remote={_addr(c.raddr)}"
        if c.status and c.status != "NONE":
            text += f" {c.status}"
        details[c.fd] = text
    return details


def _addr(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    return str(addr) or "(unnamed)"


def _fds(proc: Any) -> dict[Any, str]:
    sockets = _socket_details(proc)
    fds: dict[Any, str] = {}
    if sys.platform.startswith("linux") and os.path.isdir("/proc/self/fd"):
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            try:
                target = os.readlink(f"/proc/self/fd/{name}")
            except OSError:
                continue  # the listing's own directory fd, already closed
            text = f"fd {fd} -> {target}"
            if fd in sockets:
                text += f" ({sockets[fd]})"
            fds[(fd, target)] = text
        return fds
    for f in proc.open_files():
        fds[(f.fd, f.path)] = f"fd {f.fd} -> {f.path}"
    for fd, text in sockets.items():
        fds[(fd, text)] = f"fd {fd} -> socket ({text})"
    return fds


def _threads(ignore: set[int]) -> dict[int, str]:
    active = getattr(threading, "_active", {})
    result = {}
    for ident, frame in current_frames().items():
        if ident in ignore:
            continue
        thread = active.get(ident)
        name = repr(thread.name) if thread is not None else "(started without threading)"
        code = frame.f_code
        result[ident] = f"thread {ident} {name} running {code.co_name} at {code.co_filename}:{frame.f_lineno}"
    return result


def _idle_pool_threads() -> set[int]:
    # zio's to_thread pool keeps idle workers for a while; they hold nothing.
    pool_module = sys.modules.get("zio._core.threadpool")
    if pool_module is None:
        return set()
    try:
        return set(pool_module.default_pool().idle_thread_ids())
    except Exception:  # noqa: BLE001 - diagnostic only
        return set()


def _children(proc: Any) -> dict[Any, str]:
    psutil = _psutil()
    result = {}
    for child in proc.children(recursive=True):
        try:
            with child.oneshot():
                key = (child.pid, child.create_time())
                cmd = " ".join(child.cmdline()) or child.name()
                status = child.status()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            try:
                key, cmd, status = (child.pid, 0.0), "?", psutil.STATUS_ZOMBIE
            except Exception:  # noqa: BLE001
                continue
        result[key] = f"pid {child.pid} [{status}] {cmd[:200]}"
    return result


def take(ignore_threads: set[int] | None = None) -> Snapshot:
    """Snapshot this process's fds, threads and children."""
    psutil = _psutil()
    proc = psutil.Process()
    ignore = set(ignore_threads or ()) | _idle_pool_threads()
    return Snapshot(
        fds=_fds(proc),
        threads=_threads(ignore),
        native_threads=proc.num_threads() - len(ignore),
        children=_children(proc),
    )


def leaks_between(before: Snapshot, after: Snapshot, allowed: Snapshot | None = None) -> list[str]:
    """Descriptions of what ``after`` holds that ``before`` (and ``allowed``) did not."""
    allowed = allowed or Snapshot()
    out: list[str] = []
    for kind, b, a, ok in (
        ("fd", before.fds, after.fds, allowed.fds),
        ("thread", before.threads, after.threads, allowed.threads),
        ("child process", before.children, after.children, allowed.children),
    ):
        for key, text in a.items():
            if key not in b and key not in ok:
                out.append(f"leaked {kind}: {text}")
    # Threads running Python are named above; the OS count catches the rest.
    python_threads_new = sum(1 for k in after.threads if k not in before.threads)
    python_threads_gone = sum(1 for k in before.threads if k not in after.threads)
    extra_native = after.native_threads - before.native_threads - python_threads_new + python_threads_gone
    if extra_native > 0:
        out.append(f"leaked {extra_native} native thread(s) not running Python code (started by a C extension?)")
    return out


def wait_for_no_leaks(before: Snapshot, allowed: Snapshot, grace: float, ignore_threads: set[int]) -> list[str]:
    """Re-check for up to ``grace`` seconds: a thread or child may be a moment from exiting."""
    deadline = _real.monotonic() + grace
    delay = 0.005
    while True:
        leaks = leaks_between(before, take(ignore_threads), allowed)
        if not leaks or _real.monotonic() >= deadline:
            return leaks
        _real.sleep(delay)
        delay = min(delay * 2, 0.1)


def merge(a: Snapshot, b: Snapshot) -> Snapshot:
    """The union of two snapshots (for the resources of higher-scoped fixtures)."""
    return Snapshot(
        fds={**a.fds, **b.fds},
        threads={**a.threads, **b.threads},
        native_threads=a.native_threads + b.native_threads,
        children={**a.children, **b.children},
    )


def minus(a: Snapshot, b: Snapshot) -> Snapshot:
    """What ``a`` holds that ``b`` does not."""
    return Snapshot(
        fds={k: v for k, v in a.fds.items() if k not in b.fds},
        threads={k: v for k, v in a.threads.items() if k not in b.threads},
        native_threads=max(0, a.native_threads - b.native_threads),
        children={k: v for k, v in a.children.items() if k not in b.children},
    )
