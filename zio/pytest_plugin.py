"""The zio pytest plugin: patched test suites, tests on fresh hubs, leak and hang checks.

Registered through the ``pytest11`` entry point, so installing zio is enough;
it does nothing until one of its options, ini settings or markers is used.

Options (each has an ini setting of the same name with underscores)::

    --zio-patch            apply zio.patch.all() before any conftest or test module is
                           imported, in the controller and in every xdist worker
    --zio-mode=auto        run every test as if marked @pytest.mark.zio (default: strict)
    --zio-backend=LIST     run each zio test once per backend: epoll,poll,select or "all"
    --zio-leaks            fail tests that leak fds, OS threads or child processes
    --zio-timeout=SECONDS  fail (with every fiber's and thread's stack) instead of hanging

Markers: ``zio`` (run the test in a task on a fresh hub, with leftover-fiber
check), ``zio_leaks`` (leak check for one test), ``zio_timeout(seconds)``.
Fixtures: ``zio_backend``, ``mock_clock``, ``autojump_clock``.
See docs/pytest.md.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from ._pytest import _real

__all__ = ["autojump_clock", "mock_clock", "zio_backend"]

_ALL_BACKENDS = ("epoll", "kqueue", "poll", "select")

_RUN = pytest.StashKey[Any]()
_LEAK_BEFORE = pytest.StashKey[Any]()
_ARM = pytest.StashKey[Any]()

#: Seconds the leak check waits for threads and child processes that are about to exit.
_LEAK_GRACE = 1.0


# -- options -------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("zio", "zio: fibers, patched stdlib, leak and hang checks")
    group.addoption(
        "--zio-patch",
        action="store_true",
        default=None,
        help="apply zio.patch.all() before conftests and test modules are imported (also in xdist workers)",
    )
    group.addoption(
        "--zio-mode",
        choices=("strict", "auto"),
        default=None,
        help="auto: run every test function in a zio task on a fresh hub; strict (default): only @pytest.mark.zio",
    )
    group.addoption(
        "--zio-backend",
        default=None,
        metavar="LIST",
        help="comma-separated event-loop backends to run every zio test on (epoll,poll,select) or 'all'",
    )
    group.addoption(
        "--zio-leaks",
        action="store_true",
        default=None,
        help="fail tests that leave new open fds, OS threads or child processes behind (needs psutil)",
    )
    group.addoption(
        "--zio-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="per-test time limit; an overrun fails the test with every fiber's and thread's stack",
    )
    parser.addini("zio_patch", "apply zio.patch.all() before conftests are imported", type="bool", default=False)
    parser.addini("zio_mode", "strict (only @pytest.mark.zio tests) or auto (every test)", default="strict")
    parser.addini("zio_backends", "backends to run zio tests on, comma-separated, or 'all'", default="")
    parser.addini("zio_leaks", "check every test for leaked fds, threads, child processes", type="bool", default=False)
    parser.addini("zio_timeout", "per-test time limit in seconds (0: none)", default="0")


class _Settings:
    """The plugin's configuration, resolved once (command line beats ini)."""

    def __init__(self, config: pytest.Config) -> None:
        opt = config.option
        self.patch = bool(_pick(getattr(opt, "zio_patch", None), config.getini("zio_patch")))
        mode = _pick(getattr(opt, "zio_mode", None), config.getini("zio_mode")) or "strict"
        if mode not in ("strict", "auto"):
            raise pytest.UsageError(f"zio_mode must be 'strict' or 'auto', not {mode!r}")
        self.auto = mode == "auto"
        self.backends = _parse_backends(_pick(getattr(opt, "zio_backend", None), config.getini("zio_backends")))
        self.leaks = bool(_pick(getattr(opt, "zio_leaks", None), config.getini("zio_leaks")))
        raw_timeout = _pick(getattr(opt, "zio_timeout", None), config.getini("zio_timeout"))
        try:
            self.timeout = float(raw_timeout or 0)
        except ValueError:
            raise pytest.UsageError(f"zio_timeout must be a number of seconds, not {raw_timeout!r}")
        if not self.timeout >= 0:
            raise pytest.UsageError(f"zio_timeout must be >= 0, not {raw_timeout!r}")


def _pick(cli: Any, ini: Any) -> Any:
    return ini if cli is None else cli


def _parse_backends(value: Any) -> list[str]:
    if not value:
        return []
    names = [v.strip() for v in str(value).split(",") if v.strip()]
    from .loop import available_backends

    available = set(available_backends())
    if names == ["all"]:
        return [b for b in _ALL_BACKENDS if b in available]
    unknown = [n for n in names if n not in _ALL_BACKENDS and n != "auto"]
    if unknown:
        raise pytest.UsageError(f"--zio-backend: unknown backend(s) {', '.join(unknown)}; choose from {_ALL_BACKENDS}")
    missing = [n for n in names if n != "auto" and n not in available]
    if missing:
        raise pytest.UsageError(
            f"--zio-backend: backend(s) {', '.join(missing)} not available on this platform "
            f"(available: {', '.join(sorted(available))})"
        )
    return names


def _settings(config: pytest.Config) -> _Settings:
    settings = getattr(config, "_zio_settings", None)
    if settings is None:
        settings = config._zio_settings = _Settings(config)  # type: ignore[attr-defined]
    return settings


# -- patching, as early as pytest allows ---------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Apply zio.patch.all() before the first conftest is imported (controller and xdist workers)."""
    wanted = getattr(early_config.known_args_namespace, "zio_patch", None)
    if wanted is None:
        wanted = early_config.getini("zio_patch")
    if wanted:
        apply_patch()


def apply_patch() -> None:
    """``zio.patch.all()``, with execnet (pytest-xdist) kept on real threads."""
    import importlib

    try:
        # import_module, not "import zio.patch": it honours sys.modules exactly.
        zpatch = importlib.import_module("zio.patch")
    except ImportError as exc:
        raise pytest.UsageError(f"--zio-patch / zio_patch: cannot import zio.patch: {exc}") from exc
    patch_all = getattr(zpatch, "all", None)
    if not callable(patch_all):
        raise pytest.UsageError(
            "--zio-patch / zio_patch = true needs zio.patch.all(), which this zio installation does not "
            "provide (the patching layer is missing); remove the option or upgrade zio"
        )
    from ._pytest._execnet import make_execnet_real

    # Before patching: execnet must never build its I/O threads from green primitives.
    make_execnet_real()
    patch_all()


# -- configuration ------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "zio: run the test in a zio task on a fresh hub (fixtures may use zio); leftover fibers fail it",
    )
    config.addinivalue_line(
        "markers", "zio_leaks: fail the test if it leaves new open fds, OS threads or child processes behind"
    )
    config.addinivalue_line(
        "markers", "zio_timeout(seconds): time limit for this test; an overrun fails it with every fiber's stack"
    )
    settings = _settings(config)
    config._zio_watchdog = None  # type: ignore[attr-defined]
    config._zio_scoped_resources = {}  # type: ignore[attr-defined]
    config._zio_session_has_leak_markers = False  # type: ignore[attr-defined]
    if settings.timeout:
        _start_watchdog(config)


def _start_watchdog(config: pytest.Config) -> None:
    # Only when a time limit is in use: the interrupt signal's handler is
    # installed now (main thread); the watchdog thread starts on the first armed test.
    if getattr(config, "_zio_watchdog", None) is None:
        from ._pytest._watchdog import Watchdog

        watchdog = Watchdog()
        watchdog.install_signal_handler()
        config._zio_watchdog = watchdog  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    watchdog = getattr(config, "_zio_watchdog", None)
    if watchdog is not None:
        watchdog.uninstall_signal_handler()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if _settings(session.config).patch:
        from ._pytest._execnet import make_dsession_queue_real

        # xdist's controller fills this queue from execnet's (real) receiver threads.
        make_dsession_queue_real(session.config)


# -- which tests run on zio ------------------------------------------------------------
def _is_zio_item(item: pytest.Item) -> bool:
    if not isinstance(item, pytest.Function):
        return False
    return item.get_closest_marker("zio") is not None or _settings(item.config).auto


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: Any) -> None:
    """Make zio tests use the ``zio_backend`` fixture when several backends are requested."""
    settings = _settings(collector.config)
    if not settings.backends or not collector.istestfunction(obj, name):
        return
    marked = any(m.name == "zio" for m in getattr(obj, "pytestmark", ())) or any(
        True for _ in collector.iter_markers(name="zio")
    )
    if marked or settings.auto:
        pytest.mark.usefixtures("zio_backend")(obj)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    settings = _settings(metafunc.config)
    if not settings.backends or "zio_backend" not in metafunc.fixturenames:
        return
    if any("zio_backend" in _argnames(m) for m in metafunc.definition.iter_markers("parametrize")):
        return  # the test parametrizes it itself
    defs = getattr(metafunc, "_arg2fixturedefs", {}).get("zio_backend")
    if defs and defs[-1].params is not None:
        return  # a conftest overrides the fixture with its own params, anyio-style
    metafunc.parametrize("zio_backend", settings.backends, ids=[f"zio-{b}" for b in settings.backends])


def _argnames(mark: Any) -> list[str]:
    names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
    if isinstance(names, str):
        return [n.strip() for n in names.split(",")]
    return list(names)


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture
def zio_backend(request: pytest.FixtureRequest) -> str:
    """The event-loop backend this zio test runs on ("auto" unless --zio-backend parametrizes it)."""
    return getattr(request, "param", "auto")


@pytest.fixture
def mock_clock(request: pytest.FixtureRequest) -> Any:
    """The :class:`zio.testing.MockClock` (rate 0, no autojump) this zio test's hub runs on."""
    return _installed_clock(request, "mock_clock")


@pytest.fixture
def autojump_clock(request: pytest.FixtureRequest) -> Any:
    """A :class:`zio.testing.MockClock` with ``autojump_threshold=0``: sleeps and timeouts take no real time."""
    return _installed_clock(request, "autojump_clock")


def _installed_clock(request: pytest.FixtureRequest, name: str) -> Any:
    run = request.node.stash.get(_RUN, None)
    if run is None:
        raise pytest.UsageError(
            f"the {name} fixture needs a zio test: mark it @pytest.mark.zio (or set zio_mode = auto)"
        )
    return run.hub.clock


# -- running a test -----------------------------------------------------------------------
def _backend_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("zio_backend") if callspec is not None else None
    return backend if isinstance(backend, str) and backend != "auto" else None


def _clock_for(item: pytest.Item) -> Any:
    names = getattr(item, "fixturenames", ())
    if "mock_clock" in names and "autojump_clock" in names:
        raise pytest.UsageError(f"{item.nodeid}: use either mock_clock or autojump_clock, not both")
    if "mock_clock" in names or "autojump_clock" in names:
        from .testing import MockClock

        return MockClock(autojump_threshold=0 if "autojump_clock" in names else float("inf"))
    return None


def _leak_check_wanted(item: pytest.Item) -> bool:
    return _settings(item.config).leaks or item.get_closest_marker("zio_leaks") is not None


def _timeout_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("zio_timeout")
    if marker is not None:
        value = marker.args[0] if marker.args else marker.kwargs.get("seconds")
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.zio_timeout needs a number of seconds, got {value!r}")
        return seconds
    return _settings(item.config).timeout


def _current_hub() -> Any:
    import sys

    state = sys.modules.get("zio._core._state")
    return state.peek_hub() if state is not None else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    watchdog = getattr(item.config, "_zio_watchdog", None)
    seconds = _timeout_of(item) if watchdog is not None else 0.0
    if seconds <= 0:
        return (yield)
    arm = watchdog.arm(item.nodeid, seconds)
    arm.hub = _current_hub()
    item.stash[_ARM] = arm
    try:
        return (yield)
    finally:
        watchdog.disarm(arm)


def _note_hub(item: pytest.Item) -> None:
    arm = item.stash.get(_ARM, None)
    if arm is not None:
        run = item.stash.get(_RUN, None)
        arm.hub = run.hub if run is not None and not run.finished else _current_hub()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    if _leak_check_wanted(item):
        from ._pytest import _leaks

        item.stash[_LEAK_BEFORE] = _leaks.take(_own_threads(item.config))
    if _is_zio_item(item):
        from ._pytest._runner import ZioTestRun

        item.stash[_RUN] = ZioTestRun(_backend_of(item), _clock_for(item))
    _note_hub(item)
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    _note_hub(item)
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    run = pyfuncitem.stash.get(_RUN, None)
    if run is None:
        return None
    fn = pyfuncitem.obj
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        pytest.fail(
            f"{pyfuncitem.nodeid} is an async def test: zio tests are plain functions that block "
            "(zio runs them in a fiber); drop 'async'/'await'",
            pytrace=False,
        )
    argnames = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in argnames}
    run.call(fn, kwargs, name=f"test:{pyfuncitem.name}")
    return True


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    _note_hub(item)
    failed: BaseException | None = None
    try:
        result = yield
    except BaseException as exc:  # noqa: BLE001 - re-raised below, after our checks
        failed = exc
        result = None
    problems: list[str] = []
    run = item.stash.get(_RUN, None)
    if run is not None:
        report = run.finish()
        if report:
            problems.append(report)
    before = item.stash.get(_LEAK_BEFORE, None)
    if before is not None:
        from ._pytest import _leaks

        allowed = _scoped_resources(item.config)
        arm = item.stash.get(_ARM, None)
        if arm is not None:
            # Waiting for threads and children to exit is the plugin's time, not the test's.
            item.config._zio_watchdog.extend(arm, _LEAK_GRACE + 1.0)  # type: ignore[attr-defined]
        leaks = _leaks.wait_for_no_leaks(before, allowed, grace=_LEAK_GRACE, ignore_threads=_own_threads(item.config))
        if leaks:
            problems.append(
                f"zio: {item.nodeid} leaked {len(leaks)} resource(s) (present after teardown, not before setup):\n"
                + "\n".join(f"  - {leak}" for leak in leaks)
            )
    if failed is not None:
        if problems:
            # Teardown failed already; still say what leaked.
            item.add_report_section("teardown", "zio", "\n\n".join(problems))
        raise failed
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
    return result


def _own_threads(config: pytest.Config) -> set[int]:
    watchdog = getattr(config, "_zio_watchdog", None)
    ident = getattr(watchdog, "_thread_ident", None)
    return {ident} if ident and ident > 0 else set()


# -- resources of session/module/class-scoped fixtures are not a test's leak ---------------
def _scoped_resources(config: pytest.Config) -> Any:
    from ._pytest import _leaks

    merged = _leaks.Snapshot()
    for snapshot in getattr(config, "_zio_scoped_resources", {}).values():
        merged = _leaks.merge(merged, snapshot)
    return merged


def _leaks_in_session(config: pytest.Config) -> bool:
    settings = _settings(config)
    if settings.leaks:
        return True
    session = getattr(config, "_zio_session_has_leak_markers", None)
    return bool(session)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    config._zio_session_has_leak_markers = any(  # type: ignore[attr-defined]
        item.get_closest_marker("zio_leaks") is not None for item in items
    )
    if any(item.get_closest_marker("zio_timeout") is not None for item in items):
        _start_watchdog(config)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Any:
    if fixturedef.scope == "function" or not _leaks_in_session(request.config):
        return (yield)
    from ._pytest import _leaks

    own = _own_threads(request.config)
    before = _leaks.take(own)
    try:
        return (yield)
    finally:
        request.config._zio_scoped_resources[id(fixturedef)] = _leaks.minus(  # type: ignore[attr-defined]
            _leaks.take(own), before
        )


def pytest_fixture_post_finalizer(fixturedef: Any, request: pytest.FixtureRequest) -> None:
    resources = getattr(request.config, "_zio_scoped_resources", None)
    if resources:
        resources.pop(id(fixturedef), None)


# _real is imported at the top on purpose: it captures the real threading
# primitives when pytest loads the plugin, before --zio-patch patches anything.
_ = _real
