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

__version__ = "0.1.0"

__all__ = [*_core_all, "BackendUnavailableError", "available_backends", "__version__"]
