"""Helpers for the plugin's own tests: generated suites run through pytest's pytester."""

from __future__ import annotations

import importlib.metadata
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _entry_point_registered() -> bool:
    return any(ep.value == "zio.pytest_plugin" for ep in importlib.metadata.entry_points(group="pytest11"))


#: Installing zio registers the plugin (pytest11 entry point); from a bare
#: checkout it has to be named explicitly.
PLUGIN_ARGS: list[str] = [] if _entry_point_registered() else ["-p", "zio.pytest_plugin"]


@pytest.fixture
def plugin_args() -> list[str]:
    """Arguments that make sure the generated suite's pytest loads the zio plugin."""
    return list(PLUGIN_ARGS)


@pytest.fixture
def zio_pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """``pytester`` whose subprocess runs import this checkout's zio, without the repo's ini."""
    monkeypatch.setenv("PYTHONPATH", ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.delenv("ZIO_BACKEND", raising=False)
    # An empty ini stops the generated suite from picking up ours (rootdir discovery).
    pytester.makeini("[pytest]\n")
    return pytester
