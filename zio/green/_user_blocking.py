"""fds that zio made non-blocking behind the program's back.

A green socket in blocking mode and a green pipe to a child keep O_NONBLOCK
on their fd (the fiber parks, not the thread), but the program believes the
fd blocks: plain Python would have left it blocking.  Code that uses such an
fd directly, ``os.read(proc.stdout.fileno(), n)`` or ``os.read(sock.fileno(),
n)``, must then wait for data rather than get ``BlockingIOError``.  The green
``os.read``/``os.write`` ask :func:`is_user_blocking`.

An fd number outlives the file it named if the program closes it behind the
owner's back; each entry keeps the file's identity (device and inode, which
pipes and sockets have too), so a reused number is not mistaken for it.
"""

from __future__ import annotations

import os as _os

__all__ = ["forget", "is_user_blocking", "remember"]

_files: dict[int, tuple[int, int]] = {}


def remember(fd: int) -> None:
    """Record that ``fd`` is non-blocking only for zio's sake (its owner's mode is blocking)."""
    try:
        st = _os.fstat(fd)
    except OSError:
        return  # closed already: nothing to remember
    _files[fd] = (st.st_dev, st.st_ino)


def forget(fd: int) -> None:
    """``fd``'s owner closes it, detaches it or switches it to a non-blocking mode of its own."""
    _files.pop(fd, None)


def is_user_blocking(fd: int) -> bool:
    """Whether ``fd`` is one :func:`remember` recorded and still names the same file."""
    identity = _files.get(fd)
    if identity is None:
        return False
    try:
        st = _os.fstat(fd)
    except OSError:
        return False
    if (st.st_dev, st.st_ino) != identity:
        _files.pop(fd, None)  # the number now names another file
        return False
    return True
