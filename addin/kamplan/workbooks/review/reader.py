"""Read a returned account review workbook back with the layout that wrote it.

Returns ``(ReviewInput | None, problems)``: the VP's overrides (class and reason) and judgement
scores per account, each with the cell it came from.  Every fault is a Problem naming file,
sheet and cell with what to do; a file with any error gives no ReviewInput, so nothing of it
is stored.  Nothing here raises on bad input.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


from kamplan.problems import Problem, has_errors, phrase, problem
from kamplan.workbooks.kit import cells
from kamplan.workbooks.kit.i18n import T
from kamplan.workbooks.kit.table_checks import header_problems, row_key_problems, stray_entry_problems
from kamplan.workbooks.kit.layout import SheetValues, Table
from kamplan.workbooks.review.layout import (
    IDENTITY, REVIEWER_CELL, ReviewIndicator, ReviewLayout, ScoreRules,
)
from kamplan.workbooks.review.content import ReviewIdentity
from kamplan.workbooks.kit.identity import IDENTITY_SHEET, read_identity
from kamplan.workbooks.kit.xlsxio import read_sheets
from kamplan.workbooks.kit.reading import CELL_ERROR, FileReader, read_file

CLASS_IDS = ("key", "develop", "watch", "drop")


@dataclass
class ReviewRow:
    account_id: str
    row: int  # 0-based sheet row
    override_class: str | None  # class id typed (or kept), None when empty
    override_reason: str | None
    shown_override: str | None  # the override in force when the workbook was written (class id)
    judgements: dict[str, float | None] = field(default_factory=dict)  # indicator -> score (None: empty)


@dataclass
class ReviewInput:
    """A returned review workbook, read and checked."""
    identity: ReviewIdentity
    file_name: str
    content_hash: str
    reviewer: str | None
    layout: ReviewLayout
    rows: list[ReviewRow]
    warnings: list[Problem] = field(default_factory=list)

    @property
    def sheet(self) -> str:
        return self.layout.review.sheet

    def cell(self, row: ReviewRow, key: str) -> str:
        return self.layout.review.ref(row.row, key)

    def source(self, row: ReviewRow, key: str) -> str:
        return f"{self.file_name} › {self.sheet} › {self.cell(row, key)}"

    @property
    def reviewer_cell(self) -> str:
        return self.layout.reviewer_ref()


def read_review_identity(sheet: SheetValues | None) -> dict:
    """The identity sheet, with the accounts as a list, the overrides in force when written as
    ``{account: class}`` and the minimum coverage as text (absent if not written)."""
    ident = read_identity(sheet, IDENTITY)
    accounts = ident.pop("accounts")
    ident["accounts"] = [a for a, _ in accounts]
    ident["overrides"] = {a: ov for a, ov in accounts if ov}
    for value in ident.pop("min_coverage")[:1]:
        ident["min_coverage"] = value
    return ident


def read_review_workbook(path: Path, config, content_hash: str = "") -> tuple[ReviewInput | None, list[Problem]]:
    """Read ``path`` against the planning ``config`` (a PlanConfig)."""
    return read_file(_Reader, path, config, content_hash)


def _said(pid: str, **fields) -> tuple:
    """(code, message, fix) of the catalogue problem ``pid``, for the kit's ``err``/``warn``/``complain``."""
    p = problem(pid, **fields)
    return p.code, p.message, p.fix


def _wrong_kind(kind: str) -> tuple[str, str]:
    if kind == "kamplan.targets":
        return _said("review.target-workbook")[1:]
    return _said("review.wrong-kind", kind=kind)[1:]


class _Reader(FileReader):
    macros_allowed = True  # kamplan writes this workbook as an .xlsm with the Actions sheet too
    # -- top level ---------------------------------------------------------------------------------
    def read(self):
        opened = self.open_identity(read_review_identity)
        if opened is None:
            return None, self.problems
        ident, _, all_names = opened
        built = self._identity(ident)
        if built is None:
            return None, self.problems
        identity, layout = built
        tb = layout.review
        sheets, _ = read_sheets(self.path, [tb.sheet])
        sheet = sheets.get(tb.sheet)
        if sheet is None:
            ours = set(layout.sheet_names.values()) | {IDENTITY_SHEET}
            extra = [n for n in all_names if n not in ours]
            found = ", ".join(repr(n) for n in extra)
            self.err(*_said("review.sheet-missing-found" if extra else "review.sheet-missing", name=tb.sheet,
                            found=found), sheet=tb.sheet)
            return None, self.problems
        if not self.refuse_added_sheets(all_names, layout):
            return None, self.problems
        if not self._headers_ok(tb, sheet) or not self._keys_ok(tb, sheet):
            return None, self.problems
        self._stray(tb, sheet)
        reviewer = self._reviewer(layout, sheet)
        rows = self._rows(layout, sheet, ident["overrides"])
        if has_errors(self.problems):
            return None, self.problems
        result = ReviewInput(identity, self.file, self.hash, reviewer, layout, rows,
                             [p for p in self.problems if not p.is_error])
        return result, self.problems

    # -- identity ------------------------------------------------------------------------------------
    def _identity(self, ident: dict):
        cfg = self.config
        missing = _said("review.not-a-review-workbook")
        if not self.of_kind(ident, IDENTITY.kind, missing, _wrong_kind):
            return None
        fields = self.typed_identity(lambda: (
            int(ident.get("schema_version", "0")), int(ident["plan_year"]), int(ident["run_id"]),
            dt.datetime.fromisoformat(ident["generated_at"]), int(ident["scale_min"]), int(ident["scale_max"]),
            [ReviewIndicator(i, h, g, s, float(w), hb == "1") for i, h, g, s, w, hb in ident["indicators"]],
            tuple((g, float(w)) for g, w in ident["group_weights"]), float(ident.get("min_coverage", "0.6"))),
            IDENTITY.schema_version,
            fresh=_said("review.identity-damaged")[2],
            version=_said("review.layout-changed")[2])
        if fields is None:
            return None
        version, plan_year, run_id, generated, lo, hi, indicators, weights, min_cov = fields
        language = ident.get("language", "en")
        layout = ReviewLayout(language, plan_year, ident["accounts"], indicators,
                              ScoreRules(weights, min_cov, (lo, hi), ident.get("live_judgements") == "1"),
                              currency=ident.get("currency", ""), unit=ident.get("unit", ""),
                              allocation=ident.get("allocation", "revenue"), measure=ident.get("measure", "volume"))
        if not self.layout_matches(layout, ident, _said("review.layout-changed")[2]):
            return None
        if not self.year_matches(plan_year, cfg.plan_year,
                                 *_said("review.wrong-year", year=plan_year, plan_year=cfg.plan_year)[1:]):
            return None
        identity = ReviewIdentity(kind=IDENTITY.kind, schema_version=version, plan_year=plan_year, run_id=run_id,
                                  basis=ident.get("basis", ""), period_start=ident.get("period_start", ""),
                                  period_end=ident.get("period_end", ""), generated_at=generated,
                                  workbook_id=ident.get("workbook_id", ""), layout_hash=ident.get("layout_hash", ""))
        return identity, layout

    # -- structure ---------------------------------------------------------------------------------------
    def _headers_ok(self, tb: Table, sheet: SheetValues) -> bool:
        found = header_problems(tb, sheet, self.file, fresh="enter the review in a fresh workbook")
        self.problems += found
        return not found

    def _keys_ok(self, tb: Table, sheet: SheetValues) -> bool:
        found = row_key_problems(tb, sheet, self.file, fresh="enter the review in a fresh workbook")
        self.problems += found
        return not found

    def _stray(self, tb: Table, sheet: SheetValues):
        self.problems += stray_entry_problems(tb, sheet, self.file, f"the account's row (rows {tb.first_row + 1}-{tb.last_row + 1})")

    # -- values ---------------------------------------------------------------------------------------
    def _reviewer(self, layout: ReviewLayout, sheet: SheetValues) -> str | None:
        r, c = REVIEWER_CELL
        text, why = cells.parse_text(sheet.get(r, c), max_len=120)
        if why:
            self.err(*_said("review.reviewer", why=why), sheet=layout.review.sheet, cell=layout.reviewer_ref())
        return text

    def _choices(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for c in CLASS_IDS:
            spellings = [c, *T[f"class.{c}"]]
            rule = self.config.classes.get(c)
            if rule is not None:
                spellings += [rule.name.en, rule.name.zh]
            for s in spellings:
                out[cells.normalise_label(s)] = c
        return out

    def _rows(self, layout: ReviewLayout, sheet: SheetValues, shown: dict[str, str]) -> list[ReviewRow]:
        tb = layout.review
        choices = self._choices()
        labels = ", ".join(self.config.classes[c].name.get(layout.language) for c in CLASS_IDS
                           if c in self.config.classes)
        lo, hi = layout.rules.scale
        out = []
        for i, (acc,) in enumerate(tb.row_keys):
            r = tb.first_row + i
            row = ReviewRow(acc, r, None, None, shown.get(acc))
            # override class
            ref = tb.ref(r, "override_class")
            raw = self.cell(tb, sheet, r, "override_class")
            if raw is not CELL_ERROR and not cells.is_blank(raw):
                text = cells.normalise_label(raw)
                cls = choices.get(text)
                if cls is None:
                    self.complain(*_said("review.not-a-class", value=cells.show(raw), labels=labels), tb.sheet, ref)
                row.override_class = cls
            # reason
            row.override_reason = self.text_cell(tb, sheet, r, "override_reason", 500, "reason")
            if row.override_class and not row.override_reason:
                self.complain(*_said("review.override-without-reason", account=acc,
                                     name=self.config.classes[row.override_class].name.get(layout.language),
                                     header=tb.column("override_reason").header),
                              tb.sheet, tb.ref(r, "override_reason"))
            elif row.override_reason and not row.override_class and \
                    cells.is_blank(sheet.get(r, tb.col("override_class"))) and row.shown_override is None:
                self.warn(*_said("review.reason-without-override", account=acc), sheet=tb.sheet,
                          cell=tb.ref(r, "override_reason"))
            # judgements
            for ind in layout.judged:
                key = f"j_{ind.id}"
                raw = self.cell(tb, sheet, r, key)
                value = None
                if raw is not CELL_ERROR and not cells.is_blank(raw):
                    num, why = cells.parse_number(raw)
                    if why:
                        self.complain(*_said("review.judgement", why=why, name=ind.name, lo=lo, hi=hi), tb.sheet,
                                      tb.ref(r, key))
                    elif abs(num - round(num)) > 1e-9:
                        not_whole = phrase("cell.not-whole", value=cells.show(raw))
                        self.complain(*_said("review.judgement", why=not_whole, name=ind.name, lo=lo, hi=hi),
                                      tb.sheet, tb.ref(r, key))
                    elif not lo <= num <= hi:
                        self.complain(*_said("review.outside-scale", value=cells.show(raw), name=ind.name, lo=lo,
                                             hi=hi), tb.sheet, tb.ref(r, key))
                    else:
                        value = float(round(num))
                row.judgements[ind.id] = value
            out.append(row)
        return out
