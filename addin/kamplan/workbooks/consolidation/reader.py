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
from kamplan.messages import Message
from kamplan.problems import Problem, has_errors, problem
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


def _said(pid: str, **fields) -> tuple:
    """(code, message, fix) of the catalogue problem ``pid``, for the kit's ``err``/``warn``/``complain``."""
    p = problem(pid, **fields)
    return p.code, p.message, p.fix


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
    pid = {"kamplan.targets": "consolidation.wrong-kind-targets",
           "kamplan.review": "consolidation.wrong-kind-review"}.get(kind, "consolidation.wrong-kind")
    return _said(pid, kind=kind)[1:]


class _Reader(FileReader):
    macros_allowed = True  # kamplan writes this workbook as an .xlsm with the Actions sheet too
    more_fix = "fix.kit.more-spread"
    again = "kit.again.try"

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
            self.err(*_said("consolidation.sheet-missing", name=sheet_name), sheet=sheet_name)
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
            self.err(*_said("consolidation.bad-instruction", why=exc.why), sheet=self.sheet_name)
            return None, self.problems
        version = ident.get("version_id", "")
        found = TopDownInput(spec, self.file, int(ident["plan_year"]), int(version) if version.isdigit() else None,
                             ident.get("version_kind", ""), [p for p in self.problems if not p.is_error])
        return found, self.problems

    # -- identity ----------------------------------------------------------------------------------------
    def _layout(self, ident: dict) -> ConsolidationLayout | None:
        missing = _said("consolidation.not-a-consolidation-workbook")
        fresh = Message("fix.consolidation.fresh")
        if not self.of_kind(ident, IDENTITY.kind, missing, _wrong_kind):
            return None
        fields = self.typed_identity(lambda: (
            int(ident.get("schema_version", "0")), int(ident["plan_year"]), int(ident["hold_rows"]),
            int(ident["bound_rows"])), IDENTITY.schema_version, fresh=fresh, errors=(KeyError, ValueError),
            version=fresh)
        if fields is None:
            return None
        _, plan_year, hold_rows, bound_rows = fields
        year = self.config.plan_year
        if not self.year_matches(plan_year, year, *_said("consolidation.wrong-year", year=plan_year,
                                                         plan_year=year)[1:]):
            return None
        layout = ConsolidationLayout(ident.get("language", "en"), ident["products"], ident["regions"],
                                     currency=ident.get("currency", ""), hold_rows=hold_rows, bound_rows=bound_rows)
        if not self.layout_matches(layout, ident, fresh):
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
                return [problem("consolidation.row-keys-changed", file=self.file, sheet=tb.sheet, cell=f"A{r + 1}",
                                row=r + 1, expected=" / ".join(expected),
                                got=" / ".join(got) or Message("consolidation.empty"))]
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
            self.err(*_said("consolidation.not-an-entry", why=message), sheet=self.sheet_name, cell=ref)
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
            self.err(*_said("consolidation.choice-missing", label=label, choices=self._shown(list_name)),
                     sheet=self.sheet_name, cell=ref)
            return None
        found = self._labels(list_name).get(cells.normalise_label(raw))
        if found is None:
            self.err(*_said("consolidation.choice-bad", value=cells.show(raw), label=label.lower(),
                            choices=self._shown(list_name)), sheet=self.sheet_name, cell=ref)
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
                self.err(*_said("consolidation.growth-not-a-number", why=why), sheet=self.sheet_name, cell=ref)
                return None
            value = number / 100 if percent else number
            if not -0.9 <= value <= 5.0:
                self.err(*_said("consolidation.growth-out-of-range", growth=f"{value:.1%}"), sheet=self.sheet_name,
                         cell=ref)
                return None
        if method == "growth" and value is None:
            self.err(*_said("consolidation.growth-missing"), sheet=self.sheet_name, cell=ref)
        elif method not in (None, "growth") and value is not None:
            self.warn(*_said("consolidation.growth-ignored", growth=f"{value:.1%}"), sheet=self.sheet_name, cell=ref)
        return value

    def _reference(self, method: str | None, versions: list[str]) -> int | None:
        raw = self._param("reference")
        ref = self.layout.param_ref("reference")
        if raw is CELL_ERROR:
            return None
        value, why = cells.parse_integer(raw)
        if why:
            self.err(*_said("consolidation.reference-bad", why=why), sheet=self.sheet_name, cell=ref)
            return None
        if value is not None and versions and str(value) not in versions:
            self.err(*_said("consolidation.unknown-version", value=value, versions=", ".join(versions)),
                     sheet=self.sheet_name, cell=ref)
            return None
        if method == "reference" and value is None:
            self.err(*_said("consolidation.reference-missing"), sheet=self.sheet_name, cell=ref)
        elif method not in (None, "reference") and value is not None:
            self.warn(*_said("consolidation.reference-ignored", value=value), sheet=self.sheet_name, cell=ref)
        return value

    def _note(self) -> str | None:
        raw = self._param("note")
        if raw is CELL_ERROR:
            return None
        text, why = cells.parse_text(raw, max_len=500)
        if why:
            self.err(*_said("consolidation.note-too-long", why=why), sheet=self.sheet_name,
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
            what = Message(f"consolidation.what.{level}", id=ident)
            if why:
                unit = self.layout.t("cons.m." + (self._measure_id() or "revenue"))
                self.err(*_said("consolidation.figure-not-a-number", what=what, why=why, unit=unit),
                         sheet=self.sheet_name, cell=ref)
            elif number < 0:
                self.err(*_said("consolidation.figure-negative", what=what, value=cells.show(raw)),
                         sheet=self.sheet_name, cell=ref)
            else:
                found[level][ident] = (number, ref)
        used = [lv for lv in ("company", "product", "region") if found[lv]]
        if len(used) > 1:
            first = {lv: next(iter(found[lv].values()))[1] for lv in used}
            a, b = used[0], used[1]
            self.err(*_said("consolidation.figures-mixed", a=Message(f"consolidation.level.{a}"), first_a=first[a],
                            b=Message(f"consolidation.level.{b}"), first_b=first[b]), sheet=self.sheet_name,
                     cell=first[b])
            return used[0], {}
        if not used:
            if not (method == "growth" and growth is not None):
                rows = self.layout.figure_rows()
                prods = [i for i, (lv, _) in enumerate(rows) if lv == "product"]
                regs = [i for i, (lv, _) in enumerate(rows) if lv == "region"]
                span = lambda idx: (f"{tb.ref(tb.first_row + idx[0], 'figure')}-"  # noqa: E731
                                    f"{tb.ref(tb.first_row + idx[-1], 'figure')}") if idx else "-"
                self.err(*_said("consolidation.no-figure", company=tb.ref(tb.first_row, "figure"),
                                products=span(prods), regions=span(regs)),
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

    def _picked(self, raw, list_name: str, ref: str, *, missing: str, bad: str, **fields) -> str | None:
        """The id behind a dropdown choice typed in ``ref``, or None after saying the problem ``missing``
        (blank) or ``bad`` (not a choice of the list), each with ``fields`` and ``ref``."""
        if cells.is_blank(raw):
            self.err(*_said(missing, ref=ref, **fields), sheet=self.sheet_name, cell=ref)
            return None
        found = self._labels(list_name).get(cells.normalise_label(raw))
        if found is None:
            self.err(*_said(bad, ref=ref, **fields), sheet=self.sheet_name, cell=ref)
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
            kind = self._picked(raw_kind, "hold_kinds", tb.ref(r, "kind"), choices=self._shown("hold_kinds"),
                                missing="consolidation.hold-kind-missing", bad="consolidation.hold-kind-bad",
                                value=cells.show(raw_id), kind=cells.show(raw_kind))
            if kind is None:
                continue
            if not ident:
                self.err(*_said("consolidation.hold-id-missing", what=self.layout.hold_label(kind).lower(),
                                id_cell=tb.ref(r, "id"), kind_cell=tb.ref(r, "kind")),
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
                self.err(*_said("consolidation.held-line-bad", value=cells.show(ident)), sheet=self.sheet_name,
                         cell=ref)
                return None
            account = self._known_id("account", parts[0], ref)
            product = self._known_id("product", parts[1], ref)
            if account is None or product is None:
                return None
            if self.has_lines and (account, product, quarter) not in self.line_keys:
                self.warn(*_said("consolidation.holds-nothing-line", account=account, product=product,
                                 quarter=quarter), sheet=self.sheet_name, cell=ref)
            return f"{account}/{product}/{quarter}"
        found = self._known_id(kind, ident, ref)
        if found is not None and self.has_lines and not self.known[kind][found]:
            self.warn(*_said("consolidation.holds-nothing", kind=kind, id=found), sheet=self.sheet_name, cell=ref)
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
        what = self.layout.hold_label(kind).lower()
        self.err(*_said("consolidation.unknown-id-hint" if hint else "consolidation.unknown-id", what=what,
                        value=cells.show(ident), hint=hint or "", sample=sample), sheet=self.sheet_name, cell=ref)
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
            side = self._picked(raw_side, "sides", tb.ref(r, "side"), choices=self._shown("sides"),
                                missing="consolidation.side-missing", bad="consolidation.side-bad",
                                value=cells.show(raw_side))
            if side is None:
                continue
            if cells.is_blank(raw_rule):
                self.err(*_said("consolidation.bound-no-rule", side=side, syntax=BOUND_SYNTAX),
                         sheet=self.sheet_name, cell=tb.ref(r, "rule"))
                continue
            text = str(raw_rule).strip()
            try:
                bound = parse_bound(side, text)
            except TopDownError as exc:
                self.err(*_said("consolidation.bad-bound", why=exc.why, syntax=BOUND_SYNTAX), sheet=self.sheet_name,
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
