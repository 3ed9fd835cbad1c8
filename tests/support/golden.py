"""Golden workbooks: one committed workbook per layout, compared by structure rather than by bytes.

``structure(path)`` reduces a workbook to what makes up its layout: sheets (names, order, visibility),
text and formula cells, data validations, locked and unlocked cells, sheet protection, defined names,
merged ranges, column widths, freeze panes, conditional formats, print setup and charts.  Ids and
timestamps are masked, numbers are left out (they are content, not layout).

``write_workbooks(folder)`` writes every kind of workbook from one small deterministic planning year
(a trimmed demo company, fixed clock, fixed seeds), with the same file names as the goldens.

Regenerate the goldens (only when a layout change is intended, and say so in the commit):

    PYTHONPATH=addin python tests/support/golden.py --update
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import openpyxl
import yaml
from openpyxl.utils import get_column_letter

from kamplan.demo.actuals import simulate_actuals, write_actuals_files
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.demo.salesforce import fill_target_workbook
from kamplan.engine.topdown import TopDownSpec
from kamplan.stages.actuals import import_activities, import_actuals
from kamplan.stages.evaluation import evaluate
from kamplan.stages.plan import agree, consolidate, export_agreed, plan_view, spread, write_consolidation
from kamplan.stages.resources import allocate
from kamplan.stages.review import segment_accounts
from kamplan.stages.targets import collect_targets, issue_targets
from kamplan.workspace import Workspace

GOLDEN = Path(__file__).resolve().parent.parent / "workbooks" / "golden"
STAMP = dt.datetime(2026, 12, 1, 9, 0)
LANGUAGES = ("en", "zh-CN")
REPS = 2  # salespeople kept from the demo company: one returns round 1, one stays missing; small files
SEED = 11

_HEX_ID = re.compile(r"\b[0-9a-f]{32}\b")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")
_PROTECTION_OPTIONS = ("sheet", "objects", "scenarios", "formatCells", "formatColumns", "formatRows",
                       "insertColumns", "insertRows", "insertHyperlinks", "deleteColumns", "deleteRows",
                       "selectLockedCells", "selectUnlockedCells", "sort", "autoFilter", "pivotTables")


# -- what a layout is ---------------------------------------------------------------------------------------
def _masked(text: str) -> str:
    """Ids and timestamps change with every write; they are no part of the layout."""
    return _TIMESTAMP.sub("<timestamp>", _HEX_ID.sub("<id>", text))


def _ranges(cells: set[tuple[int, int]]) -> list[str]:
    """Cells as few rectangular ranges: runs along each row, then equal runs of consecutive rows merged."""
    runs: dict[tuple[int, int], list[int]] = {}  # (first col, last col) -> rows
    for row in sorted({r for r, _ in cells}):
        cols = sorted(c for r, c in cells if r == row)
        start = prev = cols[0]
        for c in cols[1:] + [None]:
            if c is not None and c == prev + 1:
                prev = c
                continue
            runs.setdefault((start, prev), []).append(row)
            if c is not None:
                start = prev = c
    out = []
    for (c1, c2), rows in runs.items():
        first = last = rows[0]
        for r in rows[1:] + [None]:
            if r is not None and r == last + 1:
                last = r
                continue
            a, b = f"{get_column_letter(c1)}{first}", f"{get_column_letter(c2)}{last}"
            out.append(a if a == b else f"{a}:{b}")
            if r is not None:
                first = last = r
    return sorted(out, key=_range_order)


def _range_order(ref: str):
    m = re.match(r"([A-Z]+)(\d+)", ref)
    return (int(m.group(2)), len(m.group(1)), m.group(1), ref)


def _cells(ws) -> tuple[dict[str, str], list[str]]:
    """Text and formula cells (masked) and the unlocked cells as ranges."""
    texts, unlocked = {}, set()
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                texts[cell.coordinate] = _masked(cell.value)
            if cell.has_style and not cell.protection.locked:
                unlocked.add((cell.row, cell.column))
    return texts, _ranges(unlocked)


def _validations(ws) -> list[dict]:
    out = []
    for dv in ws.data_validations.dataValidation:
        out.append({"sqref": " ".join(sorted(str(dv.sqref).split(), key=_range_order)), "type": dv.type,
                    "operator": dv.operator, "formula1": dv.formula1, "formula2": dv.formula2,
                    "allow_blank": bool(dv.allow_blank), "error": dv.error, "prompt": dv.prompt})
    return sorted(out, key=lambda d: (d["sqref"], d["type"] or ""))


def _conditional_formats(ws) -> list[dict]:
    out = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            out.append({"sqref": str(cf.sqref), "type": rule.type, "operator": rule.operator,
                        "formula": list(rule.formula or []), "stop": bool(rule.stopIfTrue)})
    return sorted(out, key=lambda d: (d["sqref"], d["type"] or "", d["formula"]))


def _protection(ws) -> dict:
    p = ws.protection
    return {k: bool(getattr(p, k)) for k in _PROTECTION_OPTIONS} | {"password": bool(p.password)}


def _print_setup(ws) -> dict:
    ps, props = ws.page_setup, ws.sheet_properties
    fit = props.pageSetUpPr.fitToPage if props.pageSetUpPr is not None else None
    return {"orientation": ps.orientation, "paper": ps.paperSize, "fit_to_page": bool(fit),
            "fit_width": ps.fitToWidth, "fit_height": ps.fitToHeight, "print_titles": ws.print_titles or None,
            "print_area": ws.print_area or None, "landscape_scale": ps.scale,
            "gridlines": bool(ws.print_options.gridLines)}


def _column_span(d) -> str:
    """openpyxl keeps neighbouring columns of one format as one dimension (min..max)."""
    first, last = get_column_letter(d.min), get_column_letter(d.max)
    return first if first == last else f"{first}:{last}"


def _columns(ws) -> dict[str, float]:
    return {_column_span(d): round(d.width, 2) for _, d in sorted(ws.column_dimensions.items()) if d.customWidth}


def _unlocked_columns(ws) -> list[str]:
    """Columns whose default format is unlocked: their empty cells are open to typing too."""
    return [_column_span(d) for _, d in sorted(ws.column_dimensions.items())
            if d.has_style and not d.protection.locked]


def _charts_per_sheet(path: Path) -> dict[str, int]:
    """openpyxl drops charts it cannot round-trip, so count them from the package itself."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())

        def rels(part: str) -> dict[str, str]:
            folder, name = part.rsplit("/", 1)
            rel_part = f"{folder}/_rels/{name}.rels"
            if rel_part not in names:
                return {}
            root = ElementTree.fromstring(z.read(rel_part))
            return {r.get("Id"): _resolve(folder, r.get("Target")) for r in root.findall("rel:Relationship", ns)}

        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        book_rels = rels("xl/workbook.xml")
        out = {}
        for sheet in book.find("m:sheets", ns):
            part = book_rels[sheet.get(f"{{{ns['r']}}}id")]
            drawings = [t for t in rels(part).values() if "/drawings/" in t and t.endswith(".xml")]
            out[sheet.get("name")] = sum(1 for d in drawings for t in rels(d).values() if "/charts/" in t)
    return out


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = folder.split("/")
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def structure(path: Path) -> dict:
    """What the layout of the workbook at ``path`` is, as plain data (see the module docstring)."""
    wb = openpyxl.load_workbook(path)
    charts = _charts_per_sheet(Path(path))
    sheets = {}
    for ws in wb.worksheets:
        texts, unlocked = _cells(ws)
        sheets[ws.title] = {
            "state": ws.sheet_state, "texts": texts, "unlocked": unlocked, "unlocked_columns": _unlocked_columns(ws), "validations": _validations(ws),
            "protection": _protection(ws), "merged": sorted(map(str, ws.merged_cells.ranges), key=_range_order),
            "column_widths": _columns(ws), "freeze_panes": ws.freeze_panes,
            "conditional_formats": _conditional_formats(ws), "print": _print_setup(ws),
            "charts": charts.get(ws.title, 0)}
    names = {n: _masked(d.attr_text) for n, d in sorted(wb.defined_names.items())}
    for ws in wb.worksheets:  # sheet-scoped names (print titles live on the sheet in openpyxl)
        names |= {f"{ws.title}!{n}": _masked(d.attr_text) for n, d in sorted(ws.defined_names.items())}
    out = {"sheet_order": wb.sheetnames, "defined_names": names, "sheets": sheets}
    wb.close()
    return out


def differences(expected: dict, actual: dict, limit: int = 40) -> list[str]:
    """Readable differences between two structures: where (sheet, cell or range) and what changed."""
    out: list[str] = []
    if expected["sheet_order"] != actual["sheet_order"]:
        out.append(f"sheets: {expected['sheet_order']} became {actual['sheet_order']}")
    _compare_maps("defined name", expected["defined_names"], actual["defined_names"], out)
    for name in expected["sheets"].keys() & actual["sheets"].keys():
        exp, act = expected["sheets"][name], actual["sheets"][name]
        for key in exp:
            if exp[key] == act.get(key):
                continue
            if key == "texts":
                _compare_maps(f"{name}!", exp[key], act[key], out, joiner="")
            elif isinstance(exp[key], list):
                gone = [x for x in exp[key] if x not in act[key]]
                new = [x for x in act[key] if x not in exp[key]]
                out.extend(f"{name}: {key} lost {x}" for x in gone)
                out.extend(f"{name}: {key} gained {x}" for x in new)
            elif isinstance(exp[key], dict):
                _compare_maps(f"{name}: {key}", exp[key], act[key], out)
            else:
                out.append(f"{name}: {key} {exp[key]!r} became {act.get(key)!r}")
    if len(out) > limit:
        out = out[:limit] + [f"... and {len(out) - limit} more"]
    return out


def _compare_maps(what: str, exp: dict, act: dict, out: list[str], joiner: str = " ") -> None:
    for k in sorted(exp.keys() | act.keys(), key=str):
        if k not in act:
            out.append(f"{what}{joiner}{k}: {exp[k]!r} is gone")
        elif k not in exp:
            out.append(f"{what}{joiner}{k}: new {act[k]!r}")
        elif exp[k] != act[k]:
            out.append(f"{what}{joiner}{k}: {exp[k]!r} became {act[k]!r}")


# -- one small planning year --------------------------------------------------------------------------------
def small_company(language: str) -> dict:
    """The demo company cut to its first ``REPS`` salespeople and their accounts (same ids, same history)."""
    data = demo_config_dict(language=language)
    reps = sorted({a["rep"] for a in data["accounts"]})[:REPS]
    data["accounts"] = [a for a in data["accounts"] if a["rep"] in reps]
    data["staff"] = [s for s in data["staff"] if s["id"] in reps]
    return data


def _up_to_round_two(ws, rep: str) -> int:
    """History; round 1 issued and returned by every salesperson but the last; consolidated; spread top-down;
    round 2 issued to ``rep``.  Returns the bottom-up version."""
    ws.store.replace_history(demo_history(ws.config), source="golden")
    issued = issue_targets(ws, round_no=1, now=STAMP).written
    rng = np.random.default_rng(SEED)
    for path in sorted(issued)[:-1]:
        fill_target_workbook(path, ws.inbox / path.name, rng)
    collect_targets(ws, [ws.inbox], now=STAMP)
    first = consolidate(ws, write_workbook=False, by="golden")
    total = float(first.bottom_up.lines["revenue"].sum())
    spread(ws, TopDownSpec("revenue", "company", {"*": round(total * 1.05, -4)}), by="golden")
    issue_targets(ws, round_no=2, reps=[rep], now=STAMP)
    return first.version_id


def _first_quarter(ws, rep: str, lang: str) -> dict[str, Path]:
    """The first quarter's simulated actuals imported, then the VP's and ``rep``'s evaluation workbooks."""
    year = ws.config.plan_year
    plan = plan_view(ws.store, year)
    invoices, activities = simulate_actuals(ws.config, plan.targets, year=year, quarters=[1], seed=SEED)
    inv, act = write_actuals_files(ws.root / "erp", invoices, activities, stem=f"{year}Q1", language=lang,
                                   fmt="csv")
    import_actuals(ws, [inv], now=STAMP)
    import_activities(ws, [act])
    paths = evaluate(ws, 1, reps=[rep], now=STAMP).paths
    return {"evaluation_vp": paths["VP"], "evaluation_rep": paths[rep]}


def write_workbooks(folder: Path, languages=LANGUAGES) -> dict[str, Path]:
    """Every golden kind written into ``folder``; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for lang in languages:
            out |= _write_language(Path(tmp) / lang, folder, lang)
    return out


def _write_language(root: Path, folder: Path, lang: str) -> dict[str, Path]:
    """One planning year in ``lang`` from history to the first quarter's evaluation, each workbook kept."""
    data = small_company(lang)
    with Workspace.init(root, yaml.safe_dump(data, allow_unicode=True, sort_keys=False)) as ws:
        rep = sorted({a.rep for a in ws.config.accounts})[0]
        year = ws.config.plan_year
        version = _up_to_round_two(ws, rep)
        found = {
            "targets_round1": ws.round_outbox(1) / f"{rep}_{year}_r1.xlsx",
            "targets_round2_proposal": ws.round_outbox(2) / f"{rep}_{year}_r2.xlsx",
            "account_review": segment_accounts(ws, now=STAMP).path,
            "consolidation": write_consolidation(ws, version, now=STAMP),
            "resource_plan": allocate(ws, by="golden", now=STAMP).path,
        }
        agree(ws, by="golden", now=STAMP)  # the locked date is printed on every sheet
        exported = export_agreed(ws)
        found["agreed_targets"] = exported.folder / f"{rep}_{year}_targets.xlsx"
        found["management_summary"] = exported.management
        found |= _first_quarter(ws, rep, lang)
    out = {}
    for kind, path in found.items():
        name = f"{kind}_{lang}.xlsx"
        out[name] = Path(shutil.copyfile(path, folder / name))
    return out


def main(argv: list[str]) -> int:
    if argv != ["--update"]:
        print(__doc__)
        return 2
    written = write_workbooks(GOLDEN)
    for old in GOLDEN.glob("*.xlsx"):
        if old.name not in written:
            old.unlink()
    for name, path in sorted(written.items()):
        print(f"{path.stat().st_size:>8,}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
