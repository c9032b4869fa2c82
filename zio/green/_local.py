"""Fiber-local storage: ``_thread._local`` / ``threading.local`` where each fiber is a thread.

Every fiber (and every OS thread's original greenlet) sees its own attribute
dictionary.  Attribute lookup follows the normal rules by hand -- data
descriptors of the class first, then the fiber's dictionary, then other class
attributes, then ``__getattr__`` -- instead of swapping ``__dict__`` under a
lock (the pure-Python ``_threading_local`` way): swapping would be unsafe when
a property switches fibers half way, and the lock would be held across that
switch.

A fiber's dictionary is dropped when its task (or greenlet) is garbage-collected.
"""

from __future__ import annotations

import weakref
from typing import Any

from ._locks import fiber_identity

__all__ = ["local"]

_MISSING = object()


def _class_attr(tp: type, name: str) -> Any:
    for base in tp.__mro__:
        d = base.__dict__
        if name in d:
            return d[name]
    return _MISSING


def _is_data_descriptor(attr: Any) -> bool:
    t = type(attr)
    return hasattr(t, "__get__") and (hasattr(t, "__set__") or hasattr(t, "__delete__"))


_oga = object.__getattribute__


def _fiber_dict(self: "local") -> dict:
    g = fiber_identity()
    key = id(g)
    dicts = _oga(self, "_zio_dicts")
    entry = dicts.get(key)
    if entry is not None and entry[0]() is g:
        return entry[1]
    d: dict = {}

    def forget(_ref: Any, key: int = key, dicts: dict = dicts) -> None:
        current = dicts.get(key)
        if current is not None and current[0] is _ref:
            del dicts[key]

    dicts[key] = (weakref.ref(g, forget), d)
    args, kwargs = _oga(self, "_zio_args")
    init = type(self).__init__
    if init is not object.__init__:
        # A new fiber sees a freshly initialised object, like a new thread does.
        init(self, *args, **kwargs)
    return d


class local:
    """An object whose attributes are private to each fiber (and each OS thread).

    Subclass it like ``threading.local``: ``__init__`` runs again, with the
    constructor's arguments, the first time each other fiber touches the object.
    """

    __slots__ = ("_zio_dicts", "_zio_args", "__weakref__")

    def __new__(cls, *args: Any, **kwargs: Any) -> "local":
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = object.__new__(cls)
        object.__setattr__(self, "_zio_args", (args, kwargs))
        # The creating fiber's dict exists now; __init__ is then called by type.__call__.
        g = fiber_identity()
        d: dict = {}
        dicts: dict = {}
        key = id(g)

        def forget(_ref: Any, key: int = key, dicts: dict = dicts) -> None:
            current = dicts.get(key)
            if current is not None and current[0] is _ref:
                del dicts[key]

        dicts[key] = (weakref.ref(g, forget), d)
        object.__setattr__(self, "_zio_dicts", dicts)
        return self

    def __getattribute__(self, name: str) -> Any:
        if name in ("_zio_dicts", "_zio_args"):
            return _oga(self, name)
        d = _fiber_dict(self)
        if name == "__dict__":
            return d
        tp = type(self)
        attr = _class_attr(tp, name)
        if attr is not _MISSING and _is_data_descriptor(attr):
            return type(attr).__get__(attr, self, tp)
        try:
            return d[name]
        except KeyError:
            pass
        if attr is not _MISSING:
            getter = getattr(type(attr), "__get__", None)
            return attr if getter is None else getter(attr, self, tp)
        fallback = _class_attr(tp, "__getattr__")
        if fallback is not _MISSING:
            return fallback(self, name)
        raise AttributeError(f"{tp.__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        d = _fiber_dict(self)
        attr = _class_attr(type(self), name)
        if attr is not _MISSING and hasattr(type(attr), "__set__"):
            type(attr).__set__(attr, self, value)
            return
        d[name] = value

    def __delattr__(self, name: str) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        d = _fiber_dict(self)
        attr = _class_attr(type(self), name)
        if attr is not _MISSING and hasattr(type(attr), "__delete__"):
            type(attr).__delete__(attr, self)
            return
        try:
            del d[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def __reduce__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__qualname__!r} object")
