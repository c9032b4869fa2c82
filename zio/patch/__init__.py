"""The patching layer: cooperative replacements for the blocking stdlib.

Not built yet (issue 5).  ``zio.patch.all()`` will swap socket, ssl, select,
selectors, time, threading, queue, subprocess, os, signal and DNS for
versions that park the current fiber instead of blocking the thread.
"""
