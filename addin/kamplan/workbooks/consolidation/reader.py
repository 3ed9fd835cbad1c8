"""Read the VP's top-down instruction back from a consolidation workbook.

``read_topdown_instruction(path, config)`` returns ``(TopDownSpec | None, problems)``: every fault
is a Problem naming file, sheet and cell with what to do (a figure that is not a number, figures
in both the company and the product rows, an unknown id in a hold, a bound that does not parse,
the growth method without a growth %...).  Any error gives no instruction, so a half-read
instruction is never spread.  Nothing here raises on bad input.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from kamplan.config.schema import CLASS_IDS, PlanConfig
from kamplan.engine.topdown import BOUND_SYNTAX, TopDownError, TopDownSpec, parse_bound
from kamplan.problems import Problem, error, has_errors
from kamplan.workbooks.kit import cells
from kamplan.workbooks.consolidation.layout import (
    IDENTITY, LEVEL_COLUMN, PARAM_ROWS, ConsolidationLayout,
)
from kamplan.workbooks.kit.i18n import T
from kamplan.workbooks.kit.layout import SheetValues, Table
from kamplan.workbooks.kit.table_checks import header_problems, key_text, stray_entry_problems
from kamplan.workbooks.kit.identity import read_identity
from kamplan.workbooks.kit.xlsxio import not_an_entry, read_sheets
from kamplan.workbooks.kit.reading import CELL_ERROR, FileReader, read_file

FRESH = "enter the instruction in a freshly written consolidation workbook (kamplan targets consolidate)"


@dataclass
class TopDownInput:
    """A top-down instruction read from a consolidation workbook, with where it came from."""
    spec: TopDownSpec
    file_name: str
    plan_year: int
    version_id: int | None  # the version the VP looked at when writing the instruction
    version_kind: str
    warnings: list[Problem] = field(default_factory=list)


def read_topdown_instruction(path: Path, config: PlanConfig) -> tuple[TopDownSpec | None, list[Problem]]:
    """The instruction in the Top-down sheet of ``path``, checked against ``config``."""
    found, problems = read_topdown_workbook(path, config)
    return (found.spec if found is not None else None), problems


def read_topdown_workbook(path: Path, config: PlanConfig) -> tuple[TopDownInput | None, list[Problem]]:
    """Like ``read_topdown_instruction``, plus the version the workbook showed (to spot a stale file)."""
    return read_file(_Reader, path, config)


def _wrong_kind(kind: str) -> tuple[str, str]:
    what = {"kamplan.targets": "a salesperson's target workbook",
            "kamplan.review": "an account review workbook"}.get(kind, f"a {kind!r} workbook")
    return (f"this is {what}, not a consolidation workbook",
            "enter the top-down instruction in the consolidation workbook (kamplan targets consolidate)")


class _Reader(FileReader):
    more_fix = "fix the ones above and run the spread again"
    again = "try again"

    def err(self, code, message, fix, sheet=None, cell=None):  # every error counts against the budget
        self.complain(code, message, fix, sheet, cell)

    # -- top level -------------------------------------------------------------------------------------
    def read(self):
        opened = self.open_identity(lambda sheet: read_identity(sheet, IDENTITY))
        if opened is None:
            return None, self.problems
        ident = opened[0]
        layout = self._layout(ident)
        if layout is None:
            return None, self.problems
        self.layout = layout
        sheet_name = layout.sheet_names["topdown"]
        sheets, _ = read_sheets(self.path, [sheet_name, layout.sheet_names["lines"]])
        sheet = sheets.get(sheet_name)
        if sheet is None:
            self.err("sheet-missing", f"sheet {sheet_name!r} is missing",
                     f"rename the sheet back to {sheet_name!r}, or {FRESH}", sheet=sheet_name)
            return None, self.problems
        self.sheet, self.sheet_name = sheet, sheet_name
        structure = []
        for tb in (layout.figures, layout.holds, layout.bounds):
            structure += header_problems(tb, sheet, self.file, fresh=FRESH)
        if not structure:
            structure += self._figure_keys(layout.figures, sheet)
            structure += stray_entry_problems(layout.bounds, sheet, self.file,
                                              f"the floors and caps table (rows {layout.bounds.first_row + 1}-"
                                              f"{layout.bounds.last_row + 1})")
        if structure:
            self.problems += structure
            return None, self.problems
        self.known = self._known_ids(sheets.get(layout.sheet_names["lines"]))
        measure = self._choice("measure", "measures")
        method = self._choice("method", "methods")
        growth = self._growth(method)
        reference = self._reference(method, ident["versions"])
        note = self._note()
        by, figures = self._figures(method, growth)
        holds = self._holds()
        bounds = self._bounds()
        if has_errors(self.problems):
            return None, self.problems
        spec = TopDownSpec(measure=measure, by=by, figures=figures, method=method,
                           growth=growth if method == "growth" else None,
                           reference_version=reference if method == "reference" else None,
                           holds=tuple(holds), bounds=tuple(bounds), note=note or "")
        try:
            spec.check()
        except TopDownError as exc:  # a rule the checks above missed: still a Problem, never a traceback
            self.err("bad-instruction", str(exc), "correct the Top-down sheet and run the spread again",
                     sheet=self.sheet_name)
            return None, self.problems
        version = ident.get("version_id", "")
        found = TopDownInput(spec, self.file, int(ident["plan_year"]), int(version) if version.isdigit() else None,
                             ident.get("version_kind", ""), [p for p in self.problems if not p.is_error])
        return found, self.problems

    # -- identity ----------------------------------------------------------------------------------------
    def _layout(self, ident: dict) -> ConsolidationLayout | None:
        missing = ("not-a-consolidation-workbook",
                   "this is not a kamplan consolidation workbook (its hidden identity block is missing)",
                   "use the consolidation workbook kamplan wrote (kamplan targets consolidate), filled in")
        if not self.of_kind(ident, IDENTITY.kind, missing, _wrong_kind):
            return None
        fields = self.typed_identity(lambda: (
            int(ident.get("schema_version", "0")), int(ident["plan_year"]), int(ident["hold_rows"]),
            int(ident["bound_rows"])), IDENTITY.schema_version, fresh=FRESH, errors=(KeyError, ValueError),
            version=("the workbook was made by a kamplan with consolidation layout version {found}; this one "
                     "reads version {reads}", FRESH))
        if fields is None:
            return None
        _, plan_year, hold_rows, bound_rows = fields
        year = self.config.plan_year
        if not self.year_matches(plan_year, year, f"this workbook is for plan year {plan_year}; the plan is {year}",
                                 f"use the {year} consolidation workbook"):
            return None
        layout = ConsolidationLayout(ident.get("language", "en"), ident["products"], ident["regions"],
                                     currency=ident.get("currency", ""), hold_rows=hold_rows, bound_rows=bound_rows)
        if not self.layout_matches(layout, ident, FRESH):
            return None
        return layout

    def _figure_keys(self, tb: Table, sheet: SheetValues) -> list[Problem]:
        """Each figure row must still name its company, product or region (rows moved or overwritten
        would put a figure on the wrong product).  Inserted or deleted rows move the tables below, which
        the header checks catch."""
        keys = [tb.col(c.key) for c in tb.key_columns()]
        for off, expected in enumerate(tb.row_keys):
            r = tb.first_row + off
            got = tuple(key_text(sheet.get(r, i)) for i in keys)
            if got != tuple(expected):
                return [error("row-keys-changed", f"row {r + 1} should be {' / '.join(expected)} but reads "
                              f"{' / '.join(got) or 'empty'}",
                              f"restore the row (rows must not be moved, sorted or overwritten), or {FRESH}",
                              file=self.file, sheet=tb.sheet, cell=f"A{r + 1}")]
        return []

    def _known_ids(self, lines: SheetValues | None) -> dict[str, dict[str, bool]]:
        """Per hold kind: id -> whether a line of the version shown has it (False: known from the config only)."""
        cfg = self.config
        known = {"account": dict.fromkeys((a.id for a in cfg.accounts), False),
                 "rep": dict.fromkeys((s.id for s in cfg.staff), False),
                 "region": dict.fromkeys((r.id for r in cfg.regions), False),
                 "product": dict.fromkeys((p.id for p in cfg.products), False),
                 "class": dict.fromkeys(CLASS_IDS, False)}
        self.has_lines = False
        self.line_keys: set[tuple[str, str, int]] = set()
        if lines is None:
            return known
        tb = self.layout.lines
        columns = {"account": "account_id", **LEVEL_COLUMN}
        for r in range(tb.first_row, len(lines.rows)):
            values = {kind: key_text(lines.get(r, tb.col(col))) for kind, col in columns.items()}
            if not values["account"]:
                continue
            self.has_lines = True
            for kind, ident in values.items():
                if ident:
                    known[kind][ident] = True
            quarter, _ = cells.parse_integer(lines.get(r, tb.col("quarter")))
            self.line_keys.add((values["account"], values["product"], quarter))
        return known

    # -- cells -------------------------------------------------------------------------------------------
    def _raw(self, row: int, col: int, ref: str):
        if ref in self.sheet.errors:
            code, message = not_an_entry(self.sheet.errors[ref])
            self.err(code, message, "type a plain value (no formula)", sheet=self.sheet_name, cell=ref)
            return CELL_ERROR
        return self.sheet.get(row, col)

    def _param(self, key: str):
        return self._raw(PARAM_ROWS[key], 1, self.layout.param_ref(key))

    def _labels(self, list_name: str) -> dict[str, str]:
        """Every spelling of a closed choice (id, English, Chinese) -> id."""
        prefix = {"measures": "cons.measure.", "methods": "cons.method.", "hold_kinds": "cons.level.",
                  "sides": "cons.td.side."}[list_name]
        out = {}
        for ident, _ in self.layout.choices()[list_name]:
            for spelling in (ident, *T[prefix + ident]):
                out[cells.normalise_label(spelling)] = ident
        return out

    def _shown(self, list_name: str) -> str:
        return ", ".join(label for _, label in self.layout.choices()[list_name])

    def _choice(self, key: str, list_name: str) -> str | None:
        raw = self._param(key)
        ref, label = self.layout.param_ref(key), self.layout.t(f"cons.td.{key}")
        if raw is CELL_ERROR:
            return None
        if cells.is_blank(raw):
            self.err("missing-value", f"{label!r} is empty", f"pick one of {self._shown(list_name)}",
                     sheet=self.sheet_name, cell=ref)
            return None
        found = self._labels(list_name).get(cells.normalise_label(raw))
        if found is None:
            self.err("bad-value", f"{cells.show(raw)} is not a {label.lower()}",
                     f"pick one of {self._shown(list_name)} from the dropdown", sheet=self.sheet_name, cell=ref)
        return found

    def _growth(self, method: str | None) -> float | None:
        raw = self._param("growth")
        ref = self.layout.param_ref("growth")
        if raw is CELL_ERROR:
            return None
        value = None
        if not cells.is_blank(raw):
            text = str(raw).strip()
            percent = isinstance(raw, str) and text.endswith("%")
            number, why = cells.parse_number(text[:-1] if percent else raw)
            if why:
                self.err("not-a-number", f"the growth % {why}", "type a percentage such as 5%",
                         sheet=self.sheet_name, cell=ref)
                return None
            value = number / 100 if percent else number
            if not -0.9 <= value <= 5.0:
                self.err("out-of-range", f"a growth of {value:.1%} is outside -90% to 500%",
                         "type a percentage such as 5% (a plain 5 in a cell not formatted as % means 500%)",
                         sheet=self.sheet_name, cell=ref)
                return None
        if method == "growth" and value is None:
            self.err("growth-missing", "the growth method needs a growth %",
                     "type the growth over last year, e.g. 5%, or pick another method", sheet=self.sheet_name,
                     cell=ref)
        elif method not in (None, "growth") and value is not None:
            self.warn("growth-ignored", f"a growth % of {value:.1%} is given but the method is not growth; "
                      "it is ignored", "clear it, or pick the growth method", sheet=self.sheet_name, cell=ref)
        return value

    def _reference(self, method: str | None, versions: list[str]) -> int | None:
        raw = self._param("reference")
        ref = self.layout.param_ref("reference")
        if raw is CELL_ERROR:
            return None
        value, why = cells.parse_integer(raw)
        if why:
            self.err("bad-value", f"the reference version: {why}", "pick a version number from the list",
                     sheet=self.sheet_name, cell=ref)
            return None
        if value is not None and versions and str(value) not in versions:
            self.err("unknown-version", f"there is no version {value}",
                     f"pick one of versions {', '.join(versions)} (see the Versions sheet)",
                     sheet=self.sheet_name, cell=ref)
            return None
        if method == "reference" and value is None:
            self.err("reference-missing", "the reference method needs the version to spread like",
                     "pick a version number (see the Versions sheet), or pick another method",
                     sheet=self.sheet_name, cell=ref)
        elif method not in (None, "reference") and value is not None:
            self.warn("reference-ignored", f"reference version {value} is given but the method is not reference; "
                      "it is ignored", "clear it, or pick the reference method", sheet=self.sheet_name, cell=ref)
        return value

    def _note(self) -> str | None:
        raw = self._param("note")
        if raw is CELL_ERROR:
            return None
        text, why = cells.parse_text(raw, max_len=500)
        if why:
            self.err("bad-value", why, "shorten the note to 500 characters", sheet=self.sheet_name,
                     cell=self.layout.param_ref("note"))
        return text

    # -- figures -----------------------------------------------------------------------------------------
    def _figures(self, method: str | None, growth: float | None) -> tuple[str, dict[str, float]]:
        tb = self.layout.figures
        col = tb.col("figure")
        found: dict[str, dict[str, tuple[float, str]]] = {"company": {}, "product": {}, "region": {}}
        for off, (level, ident) in enumerate(self.layout.figure_rows()):
            r = tb.first_row + off
            ref = tb.ref(r, "figure")
            raw = self._raw(r, col, ref)
            if raw is CELL_ERROR or cells.is_blank(raw):
                continue
            number, why = cells.parse_number(raw)
            what = "the company" if level == "company" else f"{level} {ident}"
            if why:
                unit = self.layout.t("cons.m." + (self._measure_id() or "revenue"))
                self.err("not-a-number", f"the figure for {what}: {why}",
                         f"type the figure as a number in {unit}, or leave the cell empty", sheet=self.sheet_name,
                         cell=ref)
            elif number < 0:
                self.err("negative", f"the figure for {what} is negative ({cells.show(raw)})",
                         "type 0 or more, or leave the cell empty", sheet=self.sheet_name, cell=ref)
            else:
                found[level][ident] = (number, ref)
        used = [lv for lv in ("company", "product", "region") if found[lv]]
        if len(used) > 1:
            first = {lv: next(iter(found[lv].values()))[1] for lv in used}
            a, b = used[0], used[1]
            self.err("figures-mixed", f"figures are given both in the {a} row(s) ({first[a]}) and in the "
                     f"{b} rows ({first[b]})",
                     "keep ONE kind: the company figure, or one per product, or one per region; clear the others",
                     sheet=self.sheet_name, cell=first[b])
            return used[0], {}
        if not used:
            if not (method == "growth" and growth is not None):
                rows = self.layout.figure_rows()
                prods = [i for i, (lv, _) in enumerate(rows) if lv == "product"]
                regs = [i for i, (lv, _) in enumerate(rows) if lv == "region"]
                span = lambda idx: (f"{tb.ref(tb.first_row + idx[0], 'figure')}-"  # noqa: E731
                                    f"{tb.ref(tb.first_row + idx[-1], 'figure')}") if idx else "-"
                self.err("no-figure", "no top-down figure was entered",
                         f"enter the company figure in {tb.ref(tb.first_row, 'figure')}, or one figure per product "
                         f"({span(prods)}) or per region ({span(regs)}); then save and run the spread again",
                         sheet=self.sheet_name, cell=tb.ref(tb.first_row, "figure"))
            return "company", {}
        level = used[0]
        return level, {("*" if level == "company" else ident): v for ident, (v, _) in found[level].items()}

    def _measure_id(self) -> str | None:
        raw = self.sheet.get(PARAM_ROWS["measure"], 1)
        return self._labels("measures").get(cells.normalise_label(raw)) if not cells.is_blank(raw) else None

    # -- rows of two dropdown-led inputs (holds, bounds) -------------------------------------------------
    def _entered_pair(self, tb, r: int, first: str, second: str) -> tuple[object, object] | None:
        """The raw values of two input columns of row ``r``; None for a row to pass over (both empty, or
        an error value, which is said already)."""
        a = self._raw(r, tb.col(first), tb.ref(r, first))
        b = self._raw(r, tb.col(second), tb.ref(r, second))
        if a is CELL_ERROR or b is CELL_ERROR or (cells.is_blank(a) and cells.is_blank(b)):
            return None
        return a, b

    def _picked(self, raw, list_name: str, ref: str, choices: str, *, missing: str, bad: str) -> str | None:
        """The id behind a dropdown choice typed in ``ref``, or None after saying ``missing`` (blank) or
        ``bad`` (not a choice of the list); the fix names the ``choices``."""
        if cells.is_blank(raw):
            self.err("missing-value", missing, f"pick {choices} in {ref}", sheet=self.sheet_name, cell=ref)
            return None
        found = self._labels(list_name).get(cells.normalise_label(raw))
        if found is None:
            self.err("bad-value", bad, f"pick {choices} from the dropdown", sheet=self.sheet_name, cell=ref)
        return found

    # -- holds -------------------------------------------------------------------------------------------
    def _holds(self) -> list[tuple[str, str]]:
        tb = self.layout.holds
        out: list[tuple[str, str]] = []
        for r in range(tb.first_row, tb.last_row + 1):
            entered = self._entered_pair(tb, r, "kind", "id")
            if entered is None:
                continue
            raw_kind, raw_id = entered
            ident = key_text(raw_id)
            kind = self._picked(raw_kind, "hold_kinds", tb.ref(r, "kind"), f"one of {self._shown('hold_kinds')}",
                                missing=f"what {cells.show(raw_id)} is (account, salesperson, ...) is not said",
                                bad=f"{cells.show(raw_kind)} cannot be held")
            if kind is None:
                continue
            if not ident:
                self.err("missing-value", f"the {self.layout.hold_label(kind).lower()} to hold is not given",
                         f"type its id in {tb.ref(r, 'id')}, or clear {tb.ref(r, 'kind')}",
                         sheet=self.sheet_name, cell=tb.ref(r, "id"))
                continue
            ident = self._hold_id(kind, ident, tb.ref(r, "id"))
            if ident is not None and (kind, ident) not in out:
                out.append((kind, ident))
        return out

    def _hold_id(self, kind: str, ident: str, ref: str) -> str | None:
        if kind == "line":
            parts = [p.strip() for p in ident.split("/")]
            quarter, _ = cells.parse_integer(parts[2]) if len(parts) == 3 else (None, None)
            if len(parts) != 3 or quarter not in (1, 2, 3, 4):
                self.err("bad-value", f"held line {cells.show(ident)} is not account/product/quarter",
                         "write it like A01/P1/2 (quarter 1-4)", sheet=self.sheet_name, cell=ref)
                return None
            account = self._known_id("account", parts[0], ref)
            product = self._known_id("product", parts[1], ref)
            if account is None or product is None:
                return None
            if self.has_lines and (account, product, quarter) not in self.line_keys:
                self.warn("holds-nothing", f"no line of this version is {account}/{product}/{quarter}; the hold "
                          "changes nothing", "check the account, product and quarter", sheet=self.sheet_name,
                          cell=ref)
            return f"{account}/{product}/{quarter}"
        found = self._known_id(kind, ident, ref)
        if found is not None and self.has_lines and not self.known[kind][found]:
            self.warn("holds-nothing", f"no line of this version has {kind} {found}; the hold changes nothing",
                      "check the id", sheet=self.sheet_name, cell=ref)
        return found

    def _known_id(self, kind: str, ident: str, ref: str) -> str | None:
        known = self.known[kind]
        if ident in known:
            return ident
        if kind == "class":  # a class may be typed by its name
            for cls in CLASS_IDS:
                rule = self.config.classes.get(cls)
                names = [*T[f"class.{cls}"], *((rule.name.en, rule.name.zh) if rule else ())]
                if cells.normalise_label(ident) in {cells.normalise_label(n) for n in names}:
                    return cls
        folded = {cells.normalise_label(k): k for k in known}
        hint = folded.get(cells.normalise_label(ident))
        sample = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
        fix = f"did you mean {hint!r}? ids are exact" if hint else f"use an id of the plan ({sample})"
        what = self.layout.hold_label(kind).lower()
        self.err("unknown-id", f"there is no {what} {cells.show(ident)}", fix, sheet=self.sheet_name, cell=ref)
        return None

    # -- bounds ------------------------------------------------------------------------------------------
    def _bounds(self) -> list:
        tb = self.layout.bounds
        out = []
        for r in range(tb.first_row, tb.last_row + 1):
            entered = self._entered_pair(tb, r, "side", "rule")
            if entered is None:
                continue
            raw_side, raw_rule = entered
            side = self._picked(raw_side, "sides", tb.ref(r, "side"), self._shown("sides"),
                                missing="a rule without floor or cap",
                                bad=f"{cells.show(raw_side)} is neither floor nor cap")
            if side is None:
                continue
            if cells.is_blank(raw_rule):
                self.err("missing-value", f"the {side} has no rule", f"write it as {BOUND_SYNTAX}",
                         sheet=self.sheet_name, cell=tb.ref(r, "rule"))
                continue
            text = str(raw_rule).strip()
            try:
                bound = parse_bound(side, text)
            except TopDownError as exc:
                self.err("bad-bound", str(exc), f"write it as {BOUND_SYNTAX}", sheet=self.sheet_name,
                         cell=tb.ref(r, "rule"))
                continue
            if bound.scope != "all":
                ident = self._known_id(bound.scope, bound.scope_id, tb.ref(r, "rule"))
                if ident is None:
                    continue
                bound = dataclasses.replace(bound, scope_id=ident)
            if bound not in out:
                out.append(bound)
        return out
