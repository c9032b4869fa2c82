"""Patch ``ssl`` with :mod:`zio.green.ssl` (TLS sockets park the fiber).

Contexts made before patching are not replaced, and classes that subclassed
``ssl.SSLContext``/``SSLSocket`` earlier keep the blocking base: both are
reported once with advice, and module-level names bound early
(``from ssl import SSLContext``, as urllib3 does) are rebound.
"""

from __future__ import annotations

from .._fixup import patch_earlier_advice, report_early_subclasses
from ._common import apply_names

#: What this target replaces, per module (the tests check it against the modules).
#: The exact list is ``zio.green.ssl.__implements__``; these are the ones every Python has.
REPLACES: dict[str, list[str]] = {
    "ssl": [
        "SSLContext",
        "SSLSocket",
        "create_default_context",
        "_create_unverified_context",
        "_create_default_https_context",
        "_create_stdlib_context",
        "get_server_certificate",
    ]
}


def apply() -> None:
    """Replace the ``ssl`` names the green module implements."""
    from ...green import ssl as green_ssl

    pairs = apply_names("ssl", "ssl", green_ssl, list(green_ssl.__implements__))
    report_early_subclasses(
        "ssl",
        [orig for orig, _new in pairs if isinstance(orig, type)],
        patch_earlier_advice(),
    )
