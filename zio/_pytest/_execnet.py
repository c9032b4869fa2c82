"""Keep pytest-xdist's execnet machinery on real OS threads after ``zio.patch.all()``.

How execnet runs (execnet 2.x, which xdist drives with the ``main_thread_only``
exec model): in the controller one *receiver thread* per worker reads the
worker's stdout pipe with a plain blocking ``read()`` and hands events to
xdist's ``DSession.queue``; in each worker a receiver thread reads stdin while
the main thread runs the tests and waits on events/queues for the next
command.  The exec model object creates those threads and primitives lazily,
through ``import threading; threading.RLock()`` and friends, so after
patching it would make *fibers* and green locks: a receiver "thread" that is
really a fiber blocks the whole hub in its pipe read, and the main thread
never gets to run it (the classic gevent + xdist hang).

The fix is narrow: the thread-based exec model classes get real primitives
(threads started with the original ``_thread.start_new_thread``, real locks,
events and queues), and ``DSession.queue`` in the controller becomes a real
queue.  Primitives execnet made *before* patching were real already.
Everything else, including the tests themselves, stays patched.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from . import _real

__all__ = ["make_execnet_real", "make_dsession_queue_real"]

_MARK = "_zio_real_primitives"


def _real_queue_module() -> types.SimpleNamespace:
    return types.SimpleNamespace(
        Queue=_real.RealQueue,
        Empty=_real.original("queue", "Empty"),
        Full=_real.original("queue", "Full"),
    )


def _real_subprocess_module() -> types.SimpleNamespace:
    import subprocess

    return types.SimpleNamespace(
        Popen=_real.original("subprocess", "Popen"),
        PIPE=subprocess.PIPE,
        STDOUT=subprocess.STDOUT,
        DEVNULL=subprocess.DEVNULL,
    )


def _patch_model_class(cls: type) -> None:
    if getattr(cls, _MARK, False):
        return
    queue_module = _real_queue_module()
    subprocess_module = _real_subprocess_module()
    real_sleep = _real.sleep
    real_start = _real.start_new_thread
    real_get_ident = _real.get_ident
    real_rlock = _real.RLock
    real_fdopen = _real.original("os", "fdopen")

    def start(self: Any, func: Any, args: tuple = ()) -> None:
        real_start(func, tuple(args))

    def fdopen(self: Any, fd: int, mode: str, bufsize: int = 1, closefd: bool = True) -> Any:
        return real_fdopen(fd, mode, bufsize, encoding="utf-8", closefd=closefd)

    replacements: dict[str, Any] = {
        "queue": property(lambda self: queue_module),
        "subprocess": property(lambda self: subprocess_module),
        "start": start,
        "get_ident": lambda self: real_get_ident(),
        "sleep": lambda self, delay: real_sleep(delay),
        "fdopen": fdopen,
        "Lock": lambda self: real_rlock(),  # execnet's thread model hands out RLocks for Lock()
        "RLock": lambda self: real_rlock(),
        "Event": lambda self: _real.RealEvent(),
    }
    for name, value in replacements.items():
        setattr(cls, name, value)
    setattr(cls, _MARK, True)


def _channel_of_this_worker() -> Any:
    """The execnet channel xdist's worker code runs with (its ``__channelexec__`` frame's global)."""
    frame = sys._getframe()
    while frame is not None:
        g = frame.f_globals
        if g.get("__name__") == "__channelexec__" and "channel" in g:
            return g["channel"]
        frame = frame.f_back
    return None


def make_execnet_real() -> None:
    """Give execnet's thread exec models real threads and primitives in this process.

    Covers execnet imported as a package (controller, and popen workers
    bootstrapped by import) and workers whose gateway code was exec'ed from
    source (found through the running channel).
    """
    classes: set[type] = set()
    base = sys.modules.get("execnet.gateway_base")
    if base is not None:
        classes.add(base.ThreadExecModel)
        classes.add(base.MainThreadOnlyExecModel)
    channel = _channel_of_this_worker()
    if channel is not None:
        model = getattr(getattr(channel, "gateway", None), "execmodel", None)
        if model is not None and getattr(model, "backend", None) in ("thread", "main_thread_only"):
            for cls in type(model).__mro__:
                if cls.__name__ in ("ThreadExecModel", "MainThreadOnlyExecModel"):
                    classes.add(cls)
    for cls in classes:
        _patch_model_class(cls)


def make_dsession_queue_real(config: Any) -> None:
    """In the xdist controller, make ``DSession.queue`` (filled by execnet's receiver threads) real."""
    dsession = config.pluginmanager.get_plugin("dsession")
    if dsession is not None and hasattr(dsession, "queue"):
        old = dsession.queue
        new = _real.RealQueue()
        # Nothing has been queued yet (nodes start at session start), but be exact anyway.
        while True:
            try:
                new.put(old.get_nowait())
            except Exception:  # noqa: BLE001 - queue.Empty of whichever queue module
                break
        dsession.queue = new
