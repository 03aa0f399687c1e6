"""The import architecture, read from the source with grimp (nothing is imported, so it takes a second).

* No import cycles among the modules of bot/, knowledge/ and actions/ (imports inside functions and
  under ``TYPE_CHECKING`` count too): a cycle means two modules that can only change together.
* knowledge/ is the library the bot loads: it imports nothing from bot/ or actions/.
* What runs in production (the actions, the gateway, Rasa's channels and components, knowledge/)
  never imports the build tools or the benchmarks.
"""

from __future__ import annotations

import grimp
import pytest

PACKAGES = ("bot", "knowledge", "actions")
RUNTIME = ("actions", "knowledge", "bot.gateway", "bot.channels", "bot.components")
TOOLS = ("bot.build", "bot.evaluation")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES)


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (strongly connected)."""
    upstream = {m: graph.find_upstream_modules(m) for m in graph.modules}
    groups: list[list[str]] = []
    placed: set[str] = set()
    for module in sorted(graph.modules):
        if module in placed:
            continue
        group = {module} | {other for other in upstream[module] if module in upstream[other]}
        placed |= group
        if len(group) > 1:
            groups.append(sorted(group))
    return groups


def _describe(graph: grimp.ImportGraph, group: list[str]) -> str:
    first, *rest = group
    back = next(m for m in rest if graph.direct_import_exists(importer=m, imported=first))
    loop = [*(graph.find_shortest_chain(importer=first, imported=back) or ()), first]
    return f"{len(group)} Module: {', '.join(group)}\n    z. B. {' -> '.join(loop)}"


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    cycles = import_cycles(graph)
    assert not cycles, "Import-Zyklen:\n  " + "\n  ".join(_describe(graph, g) for g in cycles)


def test_knowledge_imports_nothing_from_bot_or_actions(graph: grimp.ImportGraph) -> None:
    modules = {"knowledge"} | graph.find_descendants("knowledge")
    wrong = sorted(
        f"{m} -> {imported}"
        for m in modules
        for imported in graph.find_modules_directly_imported_by(m)
        if imported.split(".")[0] in ("bot", "actions")
    )
    assert not wrong, "knowledge/ importiert aus bot/ oder actions/:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("runtime", RUNTIME)
def test_the_running_bot_never_imports_build_tools_or_benchmarks(graph: grimp.ImportGraph, runtime: str) -> None:
    chains = [
        " -> ".join(chain)
        for tool in TOOLS
        for chain in graph.find_shortest_chains(importer=runtime, imported=tool, as_packages=True)
    ]
    assert not chains, f"{runtime} hängt von Werkzeugen ab:\n  " + "\n  ".join(sorted(chains))


def test_a_cycle_is_found() -> None:
    """The check itself can fail: an added back edge puts both modules into one reported group."""
    probe = grimp.build_graph(*PACKAGES)
    probe.add_import(importer="bot.settings", imported="bot.build.steps")
    assert any({"bot.build.steps", "bot.settings"} <= set(group) for group in import_cycles(probe))
