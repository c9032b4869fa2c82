"""zio: make ordinary blocking Python code concurrent, on greenlet fibers.

Native API::

    import zio

    def main():
        with zio.Group() as g:
            g.spawn(zio.sleep, 1)
            g.spawn(print, "hello")

    zio.run(main)

Patched stdlib: ``import zio.patch; zio.patch.all()`` at startup.
"""

from ._core import *  # noqa: F403 - the runtime's public names
from ._core import __all__ as _core_all
from .loop import BackendUnavailableError, available_backends
from .sync import *  # noqa: F403 - primitives, queues, channels and select
from .sync import __all__ as _sync_all

__version__ = "0.1.0"

__all__ = [*_core_all, *_sync_all, "BackendUnavailableError", "available_backends", "__version__"]
# zio.sync re-exports the kernel's ClosedResourceError: list each name once.
__all__ = list(dict.fromkeys(__all__))
