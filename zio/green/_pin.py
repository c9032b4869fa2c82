"""Pin the global names a stdlib function sees, so patching cannot loop it.

The stdlib's ``ssl`` code refers to its own classes through module globals:
``super(SSLContext, SSLContext).options.__set__(...)`` and
``super(SSLSocket, self).__init__(...)``.  Once a patcher rebinds
``ssl.SSLContext`` to a subclass, those lines resolve to the subclass and
call themselves forever (gevent's long-standing ``RecursionError``).

:func:`pinned_members` makes copies of such functions (same code object,
closure and defaults) whose globals map the class names to the original
classes.  A subclass that carries these copies is immune: lookups through
``super(Subclass, ...)`` land on a copy, and the copy goes straight to the
C base.  No source is duplicated, so every Python version's own logic runs.
"""

from __future__ import annotations

import types
from typing import Any

__all__ = ["rebind", "pinned_members"]


def rebind(fn: types.FunctionType, namespace: dict[str, Any]) -> types.FunctionType:
    """A copy of ``fn`` that resolves globals in ``namespace``."""
    new = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = dict(fn.__kwdefaults__) if fn.__kwdefaults__ else None
    new.__qualname__ = fn.__qualname__
    new.__doc__ = fn.__doc__
    new.__module__ = fn.__module__
    new.__dict__.update(fn.__dict__)
    return new


def _mentions(code: types.CodeType, names: set[str]) -> bool:
    if names.intersection(code.co_names):
        return True
    return any(isinstance(const, types.CodeType) and _mentions(const, names) for const in code.co_consts)


def _maybe(fn: Any, names: set[str], namespace: dict[str, Any]) -> Any:
    if isinstance(fn, types.FunctionType) and _mentions(fn.__code__, names):
        return rebind(fn, namespace)
    return fn


def pinned_members(cls: type, overrides: dict[str, Any]) -> dict[str, Any]:
    """Copies of ``cls``'s own methods/properties that mention any name in ``overrides``.

    The copies see the defining module's globals with ``overrides`` applied.
    """
    names = set(overrides)
    module_globals: dict[str, Any] | None = None
    out: dict[str, Any] = {}
    for attr, value in list(vars(cls).items()):
        funcs: list[Any]
        if isinstance(value, property):
            funcs = [value.fget, value.fset, value.fdel]
        elif isinstance(value, (classmethod, staticmethod)):
            funcs = [value.__func__]
        elif isinstance(value, types.FunctionType):
            funcs = [value]
        else:
            continue
        if not any(isinstance(f, types.FunctionType) and _mentions(f.__code__, names) for f in funcs):
            continue
        if module_globals is None:
            first = next(f for f in funcs if isinstance(f, types.FunctionType))
            module_globals = dict(first.__globals__)
            module_globals.update(overrides)
        ns = module_globals
        if isinstance(value, property):
            fget, fset, fdel = (_maybe(f, names, ns) for f in (value.fget, value.fset, value.fdel))
            out[attr] = property(fget, fset, fdel, value.__doc__)
        elif isinstance(value, classmethod):
            out[attr] = classmethod(rebind(value.__func__, ns))
        elif isinstance(value, staticmethod):
            out[attr] = staticmethod(rebind(value.__func__, ns))
        else:
            out[attr] = rebind(value, ns)
    return out
