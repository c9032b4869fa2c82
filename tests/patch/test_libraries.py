"""zio.patch._libraries: fixes applied to third-party modules after their import (or at once if imported).

Runs in a fresh interpreter: the finder it installs on sys.meta_path must not
leak into the pytest process.
"""

from __future__ import annotations

from ._patched import run_patched


def test_fix_runs_once_after_first_import_and_now_for_imported_modules(tmp_path) -> None:
    (tmp_path / "libpkg").mkdir()
    (tmp_path / "libpkg" / "__init__.py").write_text("")
    (tmp_path / "libpkg" / "waiting.py").write_text("def wait():\n    raise ValueError('boom')\nCHOICE = 'c'\n")
    (tmp_path / "early.py").write_text("CHOICE = 'c'\n")
    r = run_patched(
        """
        import importlib, json, sys, traceback
        sys.path.insert(0, ".")
        import early
        from zio.patch._libraries import adjust_after_import
        calls = []
        def fix(module):
            calls.append(module.__name__)
            module.CHOICE = "fixed"
        adjust_after_import("early", fix)          # already imported: fixed now
        adjust_after_import("libpkg.waiting", fix)  # not yet: fixed when imported
        before = list(calls)
        import libpkg.waiting
        importlib.import_module("libpkg.waiting")  # cached: no second fix
        try:
            libpkg.waiting.wait()
        except ValueError:
            tb = traceback.format_exc()
        print(json.dumps({"before": before, "calls": calls, "early": early.CHOICE,
                          "lib": libpkg.waiting.CHOICE, "source_in_traceback": "raise ValueError" in tb,
                          "file": libpkg.waiting.__file__.endswith("waiting.py")}))
        """,
        tmp_path,
        patched=False,
    ).check()
    assert r["before"] == ["early"]
    assert r["calls"] == ["early", "libpkg.waiting"]
    assert r["early"] == "fixed" and r["lib"] == "fixed"
    assert r["source_in_traceback"] and r["file"]  # the real loader still serves source and metadata


def test_psycopg_waiting_fix_leaves_other_choices_alone(tmp_path) -> None:
    r = run_patched(
        """
        import json, types
        from zio.patch._libraries import fix_psycopg_waiting
        def wait_c(): pass
        def wait_poll(): pass
        def wait_select(): pass
        c = types.SimpleNamespace(wait=wait_c, wait_c=wait_c, wait_poll=wait_poll)
        chosen = types.SimpleNamespace(wait=wait_select, wait_c=wait_c, wait_poll=wait_poll)
        pure = types.SimpleNamespace(wait=wait_poll, wait_poll=wait_poll)
        for m in (c, chosen, pure):
            fix_psycopg_waiting(m)
        print(json.dumps([c.wait.__name__, chosen.wait.__name__, pure.wait.__name__]))
        """,
        tmp_path,
        patched=False,
    ).check()
    assert r == ["wait_poll", "wait_select", "wait_poll"]
