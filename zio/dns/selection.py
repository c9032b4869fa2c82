"""Which resolver the drop-in functions use.

``ZIO_RESOLVER=dns`` or ``ZIO_RESOLVER=thread`` chooses; without it, Linux
gets the asynchronous DNS resolver when ``/etc/resolv.conf`` is usable and
the thread-pool resolver otherwise (and on every other OS, where libc's
configuration is not the resolv.conf model).  :func:`set_resolver` overrides
both, e.g. in tests.
"""

from __future__ import annotations

import _thread
import os
import sys

from .base import Resolver
from .config import DEFAULT_RESOLV_CONF, ResolvConfError, load_resolv_conf
from .dns_resolver import DNSResolver
from .thread_resolver import ThreadResolver

__all__ = ["ENV_VAR", "default_resolver", "get_resolver", "set_resolver"]

ENV_VAR = "ZIO_RESOLVER"

_lock = _thread.allocate_lock()
_current: Resolver | None = None


def default_resolver(
    environ: "dict[str, str] | os._Environ[str] | None" = None, *, resolv_conf: str = DEFAULT_RESOLV_CONF
) -> Resolver:
    """A new resolver chosen by the rules in the module docstring.

    ``environ`` defaults to ``os.environ``; ``resolv_conf`` is the file whose
    usability decides between the two on Linux.
    """
    env = os.environ if environ is None else environ
    choice = env.get(ENV_VAR, "").strip().lower()
    if choice == "thread":
        return ThreadResolver(reason=f"{ENV_VAR}=thread")
    if choice == "dns":
        return DNSResolver(resolv_conf=resolv_conf)
    if choice:
        raise ValueError(f"{ENV_VAR}={env.get(ENV_VAR)!r} is not a resolver: use 'dns' or 'thread'")
    if not sys.platform.startswith("linux"):
        return ThreadResolver(reason=f"default on {sys.platform}")
    try:
        load_resolv_conf(resolv_conf)
    except ResolvConfError as exc:
        return ThreadResolver(reason=f"fallback: {exc}")
    return DNSResolver(resolv_conf=resolv_conf)


def get_resolver() -> Resolver:
    """The resolver in use (chosen on first call)."""
    global _current
    resolver = _current
    if resolver is None:
        with _lock:
            if _current is None:
                _current = default_resolver()
            resolver = _current
    return resolver


def set_resolver(resolver: Resolver | str | None) -> Resolver | None:
    """Install ``resolver`` (an instance, ``"dns"``, ``"thread"``, or None to choose again on next use).

    Returns the previous one (None if none was chosen yet), so tests can restore it.
    """
    global _current
    if isinstance(resolver, str):
        resolver = default_resolver({ENV_VAR: resolver})
    elif resolver is not None and not isinstance(resolver, Resolver):
        raise TypeError(f"set_resolver() wants a zio.dns.Resolver, 'dns', 'thread' or None, not {resolver!r}")
    with _lock:
        previous, _current = _current, resolver
    return previous
