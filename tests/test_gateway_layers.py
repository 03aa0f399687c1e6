"""The gateway's layers (see ``bot/gateway/__init__.py``): no import cycles, storage without HTTP, SQL only
in storage. Read from the import graph (grimp) and the source, without starting anything."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

GATEWAY = Path(__file__).resolve().parent.parent / "bot" / "gateway"
STORAGE = {
    "bot.gateway.models",
    "bot.gateway.db",
    "bot.gateway.migrate",
    "bot.gateway.store",
    "bot.gateway.gaps",
    "bot.gateway.dashboard",
    "bot.gateway.team_store",
    "bot.gateway.delivery_store",
    "bot.gateway.auth_store",
    "bot.gateway.redact",
}
HTTP = {"bot.gateway.app", "bot.gateway.deps", "bot.gateway.pages", "bot.gateway.middleware", "bot.gateway.routes"}
#: What other modules may take from SQLAlchemy: session types and errors, never query building.
SQLALCHEMY_OUTSIDE_STORAGE = {"sqlalchemy.orm", "sqlalchemy.exc"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("bot", cache_dir=None)


def _gateway_modules(graph: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in graph.modules if m == "bot.gateway" or m.startswith("bot.gateway."))


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    cycles = [
        (m, imported)
        for m in _gateway_modules(graph)
        for imported in graph.find_modules_directly_imported_by(m)
        if imported.startswith("bot.gateway") and graph.chain_exists(importer=imported, imported=m)
    ]
    assert cycles == []


def test_storage_knows_nothing_of_http(graph: grimp.ImportGraph) -> None:
    http = {m for m in _gateway_modules(graph) if m in HTTP or m.startswith("bot.gateway.routes.")}
    leaks = [(s, h) for s in sorted(STORAGE) for h in sorted(http) if graph.chain_exists(importer=s, imported=h)]
    assert leaks == []


def _sqlalchemy_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy")
    return found


def test_sql_only_in_storage() -> None:
    outside = {}
    for path in sorted(GATEWAY.rglob("*.py")):
        module = ".".join(path.relative_to(GATEWAY.parent.parent).with_suffix("").parts)
        if module in STORAGE or module.startswith("bot.gateway.migrations"):
            continue
        extra = _sqlalchemy_imports(path) - SQLALCHEMY_OUTSIDE_STORAGE
        if extra:
            outside[module] = sorted(extra)
    assert outside == {}
