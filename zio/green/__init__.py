"""Cooperative drop-in replacements for blocking stdlib modules.

Each module here mirrors its stdlib namesake (``zio.green.socket`` for
:mod:`socket`, ``zio.green.ssl``, ``zio.green.select``,
``zio.green.selectors``): same names, signatures, results and exceptions,
but blocking calls park the current fiber instead of the OS thread.  Use
them directly, or let ``zio.patch`` install them in place of the stdlib.

Each module lists the names it implements differently from the stdlib in
``__implements__``; everything else is the stdlib object itself.
"""
