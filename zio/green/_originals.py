"""The real, blocking stdlib callables, captured before anything is patched.

zio.green modules build on these (a green lock guards its waiter list with a
real lock; a fiber "thread" that must be an OS thread is started with the real
``start_new_thread``), so they must be taken when zio is imported, never after
``zio.patch`` may have replaced them.
"""

from __future__ import annotations

import _thread
import os
import time

__all__ = [
    "allocate_lock",
    "fork",
    "get_ident",
    "sleep",
    "start_new_thread",
]

allocate_lock = _thread.allocate_lock
LockType = _thread.LockType
RLock = _thread.RLock
get_ident = _thread.get_ident
start_new_thread = _thread.start_new_thread
local = _thread._local
count = _thread._count
stack_size = _thread.stack_size
set_sentinel = getattr(_thread, "_set_sentinel", None)
start_joinable_thread = getattr(_thread, "start_joinable_thread", None)
ThreadHandle = getattr(_thread, "_ThreadHandle", None)
make_thread_handle = getattr(_thread, "_make_thread_handle", None)
thread_shutdown = getattr(_thread, "_shutdown", None)
sleep = time.sleep
fork = getattr(os, "fork", None)
waitpid = os.waitpid
