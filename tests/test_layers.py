"""The engine stays pure: no files, spreadsheets, YAML, Excel or printing in it."""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import kamplan

ENGINE = Path(kamplan.__file__).parent / "engine"
FORBIDDEN_MODULES = {"xlwings", "openpyxl", "xlsxwriter", "python_calamine", "yaml", "sqlalchemy", "click",
                     "rich", "os", "shutil", "pathlib", "io", "sqlite3", "subprocess", "kamplan.workbooks",
                     "kamplan.store", "kamplan.cli", "kamplan.stages", "kamplan.workspace"}
FORBIDDEN_CALLS = {"open", "print", "input"}


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_engine_imports_nothing_above_it():
    files = sorted(ENGINE.rglob("*.py"))
    assert files
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for mod in _imports(tree):
            assert not any(mod == bad or mod.startswith(bad + ".") for bad in FORBIDDEN_MODULES), \
                f"{f.name} imports {mod}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{f.name}:{node.lineno} calls {node.func.id}()"


def test_no_non_open_source_xlwings_parts():
    root = Path(kamplan.__file__).parent
    for f in root.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        for bad in ("xlwings.pro", "xlwings.server", "xlwings.reports", "from xlwings import pro"):
            assert bad not in text, f"{f} uses {bad}"


def test_engine_pulls_in_no_file_or_spreadsheet_library_even_indirectly():
    import subprocess
    import sys
    mods = sorted(f"kamplan.engine.{f.stem}" for f in ENGINE.glob("*.py") if f.stem != "__init__")
    code = ("import sys\n" + "".join(f"import {m}\n" for m in mods) +
            "bad = {'yaml', 'openpyxl', 'xlsxwriter', 'python_calamine', 'sqlalchemy', 'xlwings', 'click', 'rich'}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"importing the engine loads {out}"


# -- the layer rules and import circles, over every kamplan module ------------------------------------------
# Every import counts, also one inside a function: a function-local import that dodges a circle at import time
# is still an arrow both ways between the two modules.
PACKAGE = Path(kamplan.__file__).parent
GROUND_FLOOR = ("kamplan.model", "kamplan.problems", "kamplan.periods")
ABOVE_WORKBOOKS = ("kamplan.stages", "kamplan.cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(f): f for f in sorted(PACKAGE.rglob("*.py"))}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _imported(node: ast.AST, module: str, is_package: bool, known: dict[str, Path]) -> list[str]:
    """The kamplan modules an import statement loads (``from pkg import sub`` loads ``pkg.sub``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if _within(a.name, "kamplan")]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        here = module.split(".") if is_package else module.split(".")[:-1]
        anchor = here[:len(here) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    if not _within(base, "kamplan"):
        return []
    subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
    plain = [a for a in node.names if f"{base}.{a.name}" not in known]
    return subs + ([base] if plain or not subs else [])


@functools.cache
def _import_graph() -> dict[str, dict[str, str]]:
    """module -> {imported kamplan module: "file:line" of the first such import}."""
    known = _modules()
    graph: dict[str, dict[str, str]] = {}
    for module, path in known.items():
        edges = graph.setdefault(module, {})
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for target in _imported(node, module, path.name == "__init__.py", known):
                if target != module:
                    edges.setdefault(target, f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return graph


def _arrows(graph, source: str, allowed) -> list[str]:
    """Imports from modules under ``source`` that ``allowed(target)`` refuses, as readable lines."""
    return [f"{mod} imports {target} ({where})" for mod, edges in sorted(graph.items()) if _within(mod, source)
            for target, where in sorted(edges.items()) if not allowed(target)]


def _engine_violations(graph) -> list[str]:
    return _arrows(graph, "kamplan.engine",
                   lambda t: _within(t, "kamplan.engine") or any(_within(t, g) for g in GROUND_FLOOR))


def _below_stages_violations(graph) -> list[str]:
    """imports/ (once it exists) and workbooks/ importing stages/ or cli/."""
    present = [p for p in ("kamplan.imports", "kamplan.workbooks") if any(_within(m, p) for m in graph)]
    return [line for p in present
            for line in _arrows(graph, p, lambda t: not any(_within(t, above) for above in ABOVE_WORKBOOKS))]


def _store_violations(graph) -> list[str]:
    above = ("kamplan.engine", "kamplan.workbooks", "kamplan.stages", "kamplan.cli")
    return _arrows(graph, "kamplan.store", lambda t: not any(_within(t, a) for a in above))


def test_engine_imports_only_the_ground_floor_and_itself():
    bad = _engine_violations(_import_graph())
    assert not bad, "the engine may import only " + ", ".join(GROUND_FLOOR) + " and itself:\n  " + "\n  ".join(bad)


def test_imports_and_workbooks_do_not_import_stages_or_cli():
    graph = _import_graph()
    assert any(_within(m, "kamplan.workbooks") for m in graph)
    bad = _below_stages_violations(graph)
    assert not bad, "imports/ and workbooks/ sit below stages/ and cli/:\n  " + "\n  ".join(bad)


def test_store_imports_no_engine_workbooks_stages_or_cli():
    bad = _store_violations(_import_graph())
    assert not bad, "the store sits below the engine, workbooks, stages and cli:\n  " + "\n  ".join(bad)


def test_each_layer_rule_catches_an_uphill_import():
    graph = {"kamplan.engine.x": {"kamplan.config.review": "engine/x.py:3", "kamplan.periods": "engine/x.py:4"},
             "kamplan.imports.erp": {"kamplan.stages.actuals": "imports/erp.py:5"},
             "kamplan.workbooks.kit.cells": {"kamplan.cli.common": "workbooks/kit/cells.py:6"},
             "kamplan.store.db": {"kamplan.engine.targets": "store/db.py:7", "kamplan.model": "store/db.py:8"}}
    assert _engine_violations(graph) == ["kamplan.engine.x imports kamplan.config.review (engine/x.py:3)"]
    assert _below_stages_violations(graph) == [
        "kamplan.imports.erp imports kamplan.stages.actuals (imports/erp.py:5)",
        "kamplan.workbooks.kit.cells imports kamplan.cli.common (workbooks/kit/cells.py:6)"]
    assert _store_violations(graph) == ["kamplan.store.db imports kamplan.engine.targets (store/db.py:7)"]


def _strongly_connected(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; groups of two or more modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in graph), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    group.append(top)
                    if top == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def _shortest_cycle(graph, start: str, members: set[str]) -> list[str]:
    """The shortest chain start -> ... -> start inside one strongly connected group (breadth first)."""
    came_from: dict[str, str | None] = {start: None}
    queue = [start]
    for node in queue:
        for child in sorted(graph[node]):
            if child == start:
                chain = [node]
                while came_from[chain[-1]] is not None:
                    chain.append(came_from[chain[-1]])
                return chain[::-1] + [start]
            if child in members and child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"{start} is in a strongly connected group but on no circle")


def _cycles(graph) -> list[str]:
    """Each circle once (one shortest chain through every module of a circle), with where the imports are."""
    chains, seen = [], set()
    for group in _strongly_connected(graph):
        for start in group:
            chain = _shortest_cycle(graph, start, set(group))
            key = frozenset(zip(chain, chain[1:]))
            if key in seen:
                continue
            seen.add(key)
            chains.append(" -> ".join(chain) + "   ("
                          + ", ".join(graph[a][b] for a, b in zip(chain, chain[1:])) + ")")
    return chains


def test_no_import_circle_between_kamplan_modules():
    cycles = _cycles(_import_graph())
    assert not cycles, (f"{len(cycles)} import circle(s) between kamplan modules (function-local imports count):\n  "
                        + "\n  ".join(cycles))


def test_the_circle_finder_finds_a_circle_and_reports_it_as_a_chain():
    graph = {"a": {"b": "a.py:1"}, "b": {"c": "b.py:2"}, "c": {"a": "c.py:3", "d": "c.py:4"}, "d": {}}
    assert _strongly_connected(graph) == [["a", "b", "c"]]
    assert _cycles(graph) == ["a -> b -> c -> a   (a.py:1, b.py:2, c.py:3)"]
    assert _cycles({"a": {"b": "x"}, "b": {}}) == []


def test_relative_and_function_local_imports_are_edges():
    known = {"kamplan.stages.review": Path("r"), "kamplan.stages.targets": Path("t"), "kamplan.stages": Path("i")}
    tree = ast.parse("def f():\n    from . import targets\n    from .targets import issue\n")
    found = [m for node in ast.walk(tree) for m in _imported(node, "kamplan.stages.review", False, known)]
    assert found == ["kamplan.stages.targets", "kamplan.stages.targets"]
