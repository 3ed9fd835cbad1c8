"""Read the VP's forced choices and capacity changes back from a resource plan workbook.

Returns ``(ResourceInput | None, problems)``.  Every fault is a Problem naming file, sheet and
cell with what to do; a file with any error gives no ResourceInput, so nothing of it is used.
Nothing here raises on bad input.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from kamplan.problems import Problem, has_errors, problem
from kamplan.workbooks.kit import cells
from kamplan.workbooks.kit.layout import SheetValues, Table
from kamplan.workbooks.kit.identity import read_identity
from kamplan.workbooks.resources.layout import IDENTITY, QUARTERS, RT, ResourceLayout
from kamplan.workbooks.resources.content import ResourceIdentity
from kamplan.workbooks.kit.table_checks import header_problems, row_key_problems, stray_entry_problems
from kamplan.workbooks.kit.xlsxio import read_sheets
from kamplan.workbooks.kit.reading import CELL_ERROR, FileReader, read_file

MAX_CAPACITY = 1000.0
FRESH = "enter it in a fresh resource plan (kamplan resources allocate)"


def _said(pid: str, **fields) -> tuple:
    """(code, message, fix) of the catalogue problem ``pid``, for the kit's ``err``/``warn``/``complain``."""
    p = problem(pid, **fields)
    return p.code, p.message, p.fix


@dataclass
class ChoiceRow:
    request_id: str
    account_id: str
    kind: str
    row: int  # 0-based sheet row
    choice: str | None  # "in", "out" or None (empty)
    shown: str | None  # the choice in force when the workbook was written


@dataclass
class CapacityRow:
    person_id: str
    row: int
    values: dict[int, float | None]  # quarter -> new capacity typed (None: empty)
    shown: dict[int, float | None]  # quarter -> change in force when written


@dataclass
class ResourceInput:
    identity: ResourceIdentity
    file_name: str
    layout: ResourceLayout
    choices: list[ChoiceRow]
    capacity: list[CapacityRow]
    warnings: list[Problem] = field(default_factory=list)

    def source(self, table: Table, row: int, key: str) -> str:
        return f"{self.file_name} › {table.sheet} › {table.ref(row, key)}"


def read_resource_workbook(path: Path, plan_year: int) -> tuple[ResourceInput | None, list[Problem]]:
    """Read ``path``, a resource plan workbook for ``plan_year``."""
    return read_file(_Reader, path, plan_year)


def read_resource_identity(sheet: SheetValues | None) -> dict:
    """The identity sheet, with each choice as (request, account, kind, choice or None) and each
    capacity row as (person, {quarter: value or None})."""
    ident = read_identity(sheet, IDENTITY)
    ident["choices"] = [(r, a, k, c or None) for r, a, k, c in ident["choices"]]
    ident["capacity"] = [(p, {q: float(text) if text else None for q, text in zip(QUARTERS, shown)})
                         for p, *shown in ident["capacity"]]
    return ident


class _Reader(FileReader):
    macros_allowed = True  # kamplan writes this workbook as an .xlsm with the Actions sheet too
    more_fix = "fix.kit.more-run"
    again = "kit.again.try"

    def __init__(self, path: Path, plan_year: int):
        super().__init__(path)
        self.plan_year = plan_year

    def read(self):
        opened = self.open_identity(read_resource_identity)
        if opened is None:
            return None, self.problems
        ident = opened[0]
        built = self._identity(ident)
        if built is None:
            return None, self.problems
        identity, layout = built
        shown_choices = {r: (a, k, c) for r, a, k, c in ident["choices"]}
        shown_capacity = dict(ident["capacity"])
        sheets, _ = read_sheets(self.path, [layout.choices.sheet, layout.capacity.sheet])
        choices, capacity = [], []
        for tb in (layout.choices, layout.capacity):
            sheet = sheets.get(tb.sheet)
            if sheet is None:
                self.err(*_said("resources.sheet-missing", name=tb.sheet), sheet=tb.sheet)
                continue
            found = header_problems(tb, sheet, self.file, fresh=FRESH)
            found = found or row_key_problems(tb, sheet, self.file, fresh=FRESH)
            if found:
                self.problems += found
                continue
            self.problems += stray_entry_problems(tb, sheet, self.file, f"rows {tb.first_row + 1}-{tb.last_row + 1}")
            if tb is layout.choices:
                choices = self._choices(layout, sheet, shown_choices)
            else:
                capacity = self._capacity(layout, sheet, shown_capacity)
        if has_errors(self.problems):
            return None, self.problems
        return ResourceInput(identity, self.file, layout, choices, capacity,
                             [p for p in self.problems if not p.is_error]), self.problems

    def _identity(self, ident: dict):
        missing = _said("resources.not-a-resource-workbook")
        if not self.of_kind(ident, IDENTITY.kind, missing,
                            lambda kind: _said("resources.wrong-kind", kind=kind)[1:]):
            return None
        fields = self.typed_identity(lambda: (
            int(ident["schema_version"]), int(ident["plan_year"]), int(ident["run_id"]),
            dt.datetime.fromisoformat(ident["generated_at"])), IDENTITY.schema_version,
            fresh=_said("resources.identity-damaged")[2],
            version=_said("resources.layout-changed")[2])
        if fields is None:
            return None
        version, plan_year, run_id, generated = fields
        layout = ResourceLayout(ident.get("language", "en"), plan_year, currency=ident.get("currency", ""),
                                choices=[(r,) for r, *_ in ident["choices"]],
                                capacity=[(p,) for p, _ in ident["capacity"]])
        if not self.layout_matches(layout, ident, _said("resources.layout-changed")[2]):
            return None
        if not self.year_matches(plan_year, self.plan_year,
                                 *_said("resources.wrong-year", year=plan_year, plan_year=self.plan_year)[1:]):
            return None
        return ResourceIdentity(kind=IDENTITY.kind, schema_version=version, plan_year=plan_year, run_id=run_id,
                                generated_at=generated, workbook_id=ident.get("workbook_id", ""),
                                layout_hash=ident.get("layout_hash", "")), layout


    def _choices(self, layout: ResourceLayout, sheet: SheetValues, shown: dict) -> list[ChoiceRow]:
        tb = layout.choices
        spellings = {}
        for choice in ("in", "out"):
            for s in (choice, f"force {choice}", *RT[f"choice.{choice}"]):
                spellings[cells.normalise_label(s)] = choice
        labels = " or ".join(repr(layout.choice_label(c)) for c in ("in", "out"))
        out = []
        for i, (rid,) in enumerate(tb.row_keys):
            r = tb.first_row + i
            account, kind, in_force = shown.get(rid, ("", "", None))
            raw = self.cell(tb, sheet, r, "choice", "fix.kit.plain-value-or-clear")
            choice = None
            if raw is not CELL_ERROR and not cells.is_blank(raw):
                choice = spellings.get(cells.normalise_label(raw))
                if choice is None:
                    self.complain(*_said("resources.bad-choice", value=cells.show(raw), request=rid, labels=labels),
                                  tb.sheet, tb.ref(r, "choice"))
            out.append(ChoiceRow(rid, account, kind, r, choice, in_force))
        return out

    def _capacity(self, layout: ResourceLayout, sheet: SheetValues, shown: dict) -> list[CapacityRow]:
        tb = layout.capacity
        out = []
        for i, (pid,) in enumerate(tb.row_keys):
            r = tb.first_row + i
            values = {}
            for q in QUARTERS:
                key = f"new_q{q}"
                raw = self.cell(tb, sheet, r, key, "fix.kit.plain-value-or-clear")
                value = None
                if raw is not CELL_ERROR and not cells.is_blank(raw):
                    num, why = cells.parse_number(raw)
                    fields = {"person": pid, "q": q, "max": f"{MAX_CAPACITY:g}"}
                    if why:
                        self.complain(*_said("resources.capacity", why=why, **fields), tb.sheet, tb.ref(r, key))
                    elif not 0 <= num <= MAX_CAPACITY:
                        self.complain(*_said("resources.capacity-out-of-range", value=cells.show(raw), **fields),
                                      tb.sheet, tb.ref(r, key))
                    else:
                        value = float(num)
                values[q] = value
            out.append(CapacityRow(pid, r, values, dict(shown.get(pid, {}))))
        return out

