"""Patch ``ssl`` with :mod:`zio.green.ssl` (TLS sockets park the fiber).

Contexts made before patching stay what they are, but the original class's
``sslsocket_class`` becomes the cooperative ``SSLSocket``, so they wrap
sockets cooperatively too.  Classes that subclassed ``ssl.SSLContext``/
``SSLSocket`` earlier keep the blocking base: that is reported once with
advice, and module-level names bound early (``from ssl import SSLContext``,
as urllib3 does) are rebound.
"""

from __future__ import annotations

from .._fixup import patch_earlier_advice, report_early_subclasses
from .._registry import saved
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
    # Contexts created before patching are instances of the original class
    # and wrap through its ``sslsocket_class``: make them produce cooperative
    # sockets too (a subclass of the original SSLSocket, so isinstance holds).
    original_context = saved["ssl"]["SSLContext"]
    if isinstance(original_context, type) and not issubclass(original_context, green_ssl.SSLContext):
        original_context.sslsocket_class = green_ssl.SSLSocket
    report_early_subclasses(
        "ssl",
        [orig for orig, _new in pairs if isinstance(orig, type)],
        patch_earlier_advice(),
    )
