"""The engine stays pure: no files, spreadsheets, YAML, Excel or printing in it."""
from __future__ import annotations

import ast
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
