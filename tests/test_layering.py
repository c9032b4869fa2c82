"""The layers of zio import only downwards (DESIGN.md): checked on the source, not hoped for.

Each subpackage has a rank; a module may import zio modules of its own
subpackage or of a lower rank, never of a higher one.  The ``zio``
package facade (``zio/__init__.py``) gathers the public names and is the
only module allowed to import from every layer; no layer may import the
facade itself (``import zio`` / ``from zio import ...``), since that would
pull the higher layers in through the back door.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "zio"

#: Lower number = lower layer.  Siblings of one rank may not import each other.
RANKS: dict[str, int] = {
    "loop": 0,  # event loop: knows nothing of fibers
    "_core": 1,  # hub, tasks, cancellation, groups
    "sync": 2,  # primitives, queues, channels, select
    "testing": 2,  # MockClock, Sequencer: wired into the hub
    "dns": 3,  # resolvers
    "green": 4,  # cooperative stdlib drop-ins (resolve names through zio.dns)
    "net": 5,  # native networking API
    "patch": 6,  # installs zio.green into the stdlib
    "_pytest": 7,  # the pytest plugin's machinery
    "pytest_plugin": 8,  # the entry point pytest loads
}


def _layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<facade>"


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every zio import in ``source`` of ``module``."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "zio"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
                if node.module is None:  # "from . import x": x may be a submodule
                    found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
                else:
                    found.append((node.lineno, target))
            elif node.module == "zio":
                found += [(node.lineno, f"zio.{alias.name}") for alias in node.names]
            elif node.module and node.module.split(".")[0] == "zio":
                found.append((node.lineno, node.module))
    return found


def _violations(source: str, module: str, is_package: bool) -> list[str]:
    own = _layer_of(module)
    if own == "<facade>":
        return []  # zio/__init__.py gathers public names from every layer
    found = []
    for line, target in _imports(source, module, is_package):
        if target == "zio":
            found.append(f"line {line}: imports the zio facade")
            continue
        layer = _layer_of(target)
        if layer == own or layer not in RANKS:
            continue  # own layer, or a facade-level name such as zio.__version__
        if RANKS[layer] >= RANKS[own]:
            found.append(f"line {line}: {own} (rank {RANKS[own]}) imports {target} (rank {RANKS[layer]})")
    return found


def _sources() -> list[pathlib.Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_subpackage_has_a_rank() -> None:
    layers = {_layer_of(_module_name(p)) for p in _sources()} - {"<facade>"}
    assert layers <= set(RANKS), f"give these a rank in RANKS: {sorted(layers - set(RANKS))}"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_imports_only_go_down(path: pathlib.Path) -> None:
    module = _module_name(path)
    if _layer_of(module) == "<facade>":
        return  # zio/__init__.py gathers public names from every layer
    problems = _violations(path.read_text(), module, path.name == "__init__.py")
    assert not problems, f"{path}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        ("from ..sync import Lock\n", "zio.loop.base", False, ["zio.sync"]),
        ("import zio.net\n", "zio._core.hub", False, ["zio.net"]),
        ("from . import patch\n", "zio", True, []),  # the facade is exempt from the rule, not the parser
        ("from .. import dns\n", "zio.sync.lock", False, ["zio.dns"]),
        ("import zio\n", "zio.sync.lock", False, ["facade"]),
        ("from ..loop import READ\nfrom .hub import Hub\n", "zio._core.io", False, []),
        ("from .targets import socket\n", "zio.patch", True, []),
    ],
)
def test_the_checker_catches_upward_imports(source: str, module: str, is_package: bool, expected: list[str]) -> None:
    problems = _violations(source, module, is_package)
    assert len(problems) == len(expected), problems
    for problem, needle in zip(problems, expected, strict=True):
        assert needle in problem
