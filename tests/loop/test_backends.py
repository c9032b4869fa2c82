"""Backend selection: names, "auto", $ZIO_BACKEND and clear errors."""

from __future__ import annotations

import pytest

import zio
from zio.loop import (
    BackendUnavailableError,
    available_backends,
    backend_names,
    create_loop,
    resolve_backend,
)


def test_every_backend_reports_its_name(backend):
    loop = create_loop(backend)
    try:
        assert loop.name == backend
    finally:
        loop.close()


def test_known_and_available_backends():
    assert set(backend_names()) >= {"epoll", "poll", "select", "kqueue"}
    available = available_backends()
    assert "select" in available
    assert set(available) <= set(backend_names())


def test_auto_picks_the_best_available(monkeypatch):
    monkeypatch.delenv("ZIO_BACKEND", raising=False)
    assert resolve_backend("auto") == available_backends()[0]
    assert resolve_backend(None) == available_backends()[0]
    best = available_backends()[0]
    assert resolve_backend(f"  {best.upper()} ") == best  # case and blanks do not matter


def test_unknown_backend_names_the_known_and_available_ones():
    with pytest.raises(BackendUnavailableError) as info:
        create_loop("iouring-turbo")
    msg = str(info.value)
    assert "iouring-turbo" in msg
    for name in backend_names():
        assert name in msg
    assert isinstance(info.value, ValueError)


def test_unavailable_backend_names_the_available_ones():
    missing = [name for name in backend_names() if name not in available_backends()]
    assert missing, "every backend is available here; this platform cannot test the error"
    with pytest.raises(BackendUnavailableError) as info:
        create_loop(missing[0])
    msg = str(info.value)
    assert "not available" in msg
    for name in available_backends():
        assert name in msg


def test_zio_run_backend_argument(backend):
    assert zio.run(lambda: zio.current_loop().name, backend=backend) == backend


def test_zio_run_rejects_unknown_backend():
    with pytest.raises(BackendUnavailableError) as info:
        zio.run(lambda: None, backend="nope")
    assert "epoll" in str(info.value) and "select" in str(info.value)


def test_env_var_selects_the_backend(monkeypatch, backend):
    monkeypatch.setenv("ZIO_BACKEND", backend)
    loop = create_loop()
    try:
        assert loop.name == backend
    finally:
        loop.close()
    assert zio.run(lambda: zio.current_loop().name) == backend


def test_bad_env_var_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("ZIO_BACKEND", "bogus")
    with pytest.raises(BackendUnavailableError) as info:
        create_loop()
    assert "bogus" in str(info.value) and "select" in str(info.value)
    with pytest.raises(BackendUnavailableError):
        zio.run(lambda: None)


def test_empty_env_var_means_auto(monkeypatch):
    monkeypatch.setenv("ZIO_BACKEND", "")
    assert resolve_backend() == available_backends()[0]


def test_completion_seam_is_declared(backend):
    loop = create_loop(backend)
    try:
        assert loop.supports_completions is False
    finally:
        loop.close()
