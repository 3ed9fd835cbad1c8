"""Read the VP's evaluation workbook back with the layout that wrote it.

Returns ``(EvaluationInput | None, problems)``: the VP's rating and comment per salesperson and
goal, and the status and note of each service commitment, each with the cell it came from. Every
fault is a Problem naming file, sheet and cell with what to do; a file with any error gives no
EvaluationInput, so nothing of it is stored. Nothing here raises on bad input.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from kamplan.problems import Problem, has_errors, phrase, problem
from kamplan.workbooks.kit import cells
from kamplan.workbooks.evaluation.layout import (
    ET, IDENTITY, REVIEWER_CELL, SERVICE_STATUSES, EvaluationLayout, GoalSpec,
)
from kamplan.workbooks.evaluation.content import EvaluationIdentity
from kamplan.workbooks.kit.identity import read_identity
from kamplan.workbooks.kit.layout import SheetValues
from kamplan.workbooks.kit.table_checks import header_problems, row_key_problems, stray_entry_problems
from kamplan.workbooks.kit.xlsxio import read_sheets
from kamplan.workbooks.kit.reading import CELL_ERROR, FileReader, read_file

FRESH = "enter the evaluation in a fresh workbook (kamplan evaluate)"


def _said(pid: str, **fields) -> tuple:
    """(code, message, fix) of the catalogue problem ``pid``, for the kit's ``err``/``warn``/``complain``."""
    p = problem(pid, **fields)
    return p.code, p.message, p.fix


@dataclass
class RatingEntry:
    rep_id: str
    goal: str
    rating: float | None
    comment: str | None
    source: str  # file › sheet › cell of the rating
    changed: bool = True  # differs from what the workbook showed when it was written
    shown: tuple = (None, None)  # (rating, comment) the workbook showed when it was written


@dataclass
class ServiceEntry:
    rep_id: str
    account_id: str
    commitment: str
    status: str | None
    note: str | None
    source: str
    changed: bool = True
    shown: tuple = (None, None)  # (status, note) the workbook showed when it was written


@dataclass
class EvaluationInput:
    identity: EvaluationIdentity
    file_name: str
    content_hash: str
    reviewer: str | None
    layout: EvaluationLayout
    ratings: list[RatingEntry]
    services: list[ServiceEntry]
    warnings: list[Problem] = field(default_factory=list)
    entries_seen: tuple[int, int] | None = None  # newest (rating, status) entry ids when written; None: unknown


def read_evaluation_workbook(path: Path, config, content_hash: str = "") -> tuple[EvaluationInput | None,
                                                                                  list[Problem]]:
    return read_file(_Reader, path, config, content_hash)


class _Reader(FileReader):
    def read(self):
        opened = self.open_identity(lambda sheet: read_identity(sheet, IDENTITY))
        if opened is None:
            return None, self.problems
        self.ident = opened[0]
        built = self._identity(self.ident)
        if built is None:
            return None, self.problems
        identity, layout = built
        sc, sv = layout.scorecard, layout.services
        sheets, _ = read_sheets(self.path, [sc.sheet, sv.sheet])
        for tb in (sc, sv):
            if tb.sheet not in sheets:
                self.err(*_said("evaluation.sheet-missing", name=tb.sheet), sheet=tb.sheet)
        if has_errors(self.problems):
            return None, self.problems
        ok = True
        for tb in (sc, sv):
            sheet = sheets[tb.sheet]
            found = header_problems(tb, sheet, self.file, fresh=FRESH) or row_key_problems(tb, sheet, self.file,
                                                                                         fresh=FRESH)
            self.problems += found
            ok = ok and not found
        if not ok:
            return None, self.problems
        for tb in (sc, sv):
            self.problems += stray_entry_problems(tb, sheets[tb.sheet], self.file,
                                                  f"the table (rows {tb.first_row + 1}-{tb.last_row + 1})")
        reviewer = self._reviewer(layout, sheets[sc.sheet])
        ratings = self._ratings(layout, sheets[sc.sheet])
        services = self._services(layout, sheets[sv.sheet], identity)
        shown = {(r, g): (float(v) if v else None, c or None) for r, g, v, c in self.ident["shown"]}
        for e in ratings:
            e.shown = shown.get((e.rep_id, e.goal), (None, None))
            e.changed = (e.rating, e.comment) != e.shown
        shown_s = {(r, a, n): (st or None, nt or None) for r, a, n, st, nt in self.ident["shown_services"]}
        for e, (rep, acc, no) in zip(services, sv.row_keys):
            e.shown = shown_s.get((rep, acc, no), (None, None))
            e.changed = (e.status, e.note) != e.shown
        if has_errors(self.problems):
            return None, self.problems
        seen = None
        try:
            seen = (int(self.ident["ratings_seen"]), int(self.ident["statuses_seen"]))
        except (KeyError, ValueError):  # written before entry ids were recorded: compare by value
            pass
        return EvaluationInput(identity, self.file, self.hash, reviewer, layout, ratings, services,
                               [p for p in self.problems if not p.is_error], seen), self.problems

    # -- identity -------------------------------------------------------------------------------------
    def _identity(self, ident: dict):
        missing = _said("evaluation.not-an-evaluation-workbook")
        if not self.of_kind(ident, IDENTITY.kind, missing,
                            lambda kind: _said("evaluation.wrong-kind", kind=kind)[1:]):
            return None
        fields = self.typed_identity(lambda: (
            int(ident.get("schema_version", "0")), int(ident["year"]), int(ident["quarter"]),
            dt.datetime.fromisoformat(ident["generated_at"]), (int(ident["scale_min"]), int(ident["scale_max"])),
            float(ident["cap"]), [GoalSpec(i, n, k, float(w)) for i, n, k, w in ident["goals"]],
            ident["evaluation"], ident["audience"], int(ident.get("n_warnings", "0")),
            int(ident.get("n_classes", "0"))), IDENTITY.schema_version,
            fresh=_said("evaluation.identity-damaged")[2],
            version=_said("evaluation.schema-version")[2])
        if fields is None:
            return None
        version, year, quarter, generated, scale, cap, goals, evaluation, audience, n_warn, n_cls = fields
        if audience != "vp":
            self.err(*_said("evaluation.not-the-vp-workbook", rep=ident.get("rep_id", "")))
            return None
        layout = EvaluationLayout(ident.get("language", "en"), year, quarter, evaluation, audience,
                                  lines=ident["lines"], accounts=ident["accounts"], reps=[r for r, in ident["reps"]],
                                  goals=goals, services=ident["services"], n_warnings=n_warn, n_classes=n_cls,
                                  with_allocation=ident.get("with_allocation") == "1", scale=scale, cap=cap,
                                  currency=ident.get("currency", ""), unit=ident.get("unit", ""),
                                  n_wallet=_count(ident.get("n_wallet", "0")))
        if not self.layout_matches(layout, ident, _said("evaluation.layout-changed")[2]):
            return None
        identity = EvaluationIdentity(kind=IDENTITY.kind, schema_version=version, year=year, quarter=quarter,
                                      evaluation=evaluation, audience=audience, rep_id=ident.get("rep_id", ""),
                                      generated_at=generated, workbook_id=ident.get("workbook_id", ""),
                                      layout_hash=ident.get("layout_hash", ""))
        return identity, layout

    # -- values ---------------------------------------------------------------------------------------

    def _reviewer(self, layout: EvaluationLayout, sheet: SheetValues) -> str | None:
        text, why = cells.parse_text(sheet.get(*REVIEWER_CELL), max_len=120)
        if why:
            self.err(*_said("review.reviewer", why=why), sheet=layout.scorecard.sheet, cell=layout.reviewer_ref())
        return text

    def _ratings(self, layout: EvaluationLayout, sheet: SheetValues) -> list[RatingEntry]:
        tb = layout.scorecard
        lo, hi = layout.scale
        names = {g.id: g.name for g in layout.goals}
        out = []
        for i, (rep, goal) in enumerate(tb.row_keys):
            r = tb.first_row + i
            ref = tb.ref(r, "rating")
            fields = {"goal": names[goal], "rep": rep, "lo": lo, "hi": hi}
            raw = self.cell(tb, sheet, r, "rating")
            rating = None
            if raw is not CELL_ERROR and not cells.is_blank(raw):
                num, why = cells.parse_number(raw)
                if why:
                    self.complain(*_said("evaluation.bad-rating", why=why, **fields), tb.sheet, ref)
                elif abs(num - round(num)) > 1e-9:
                    self.complain(*_said("evaluation.bad-rating", why=phrase("cell.not-whole", value=cells.show(raw)),
                                         **fields), tb.sheet, ref)
                elif not lo <= num <= hi:
                    self.complain(*_said("evaluation.outside-scale", value=cells.show(raw), **fields), tb.sheet, ref)
                else:
                    rating = float(round(num))
            comment = self.text_cell(tb, sheet, r, "comment", 2000, "comment")
            out.append(RatingEntry(rep, goal, rating, comment, f"{self.file} › {tb.sheet} › {ref}"))
        return out

    def _services(self, layout: EvaluationLayout, sheet: SheetValues, identity) -> list[ServiceEntry]:
        tb = layout.services
        spell = {}
        for s in SERVICE_STATUSES:
            for text in (s, s.replace("_", " "), *ET[f"status.{s}"]):
                spell[cells.normalise_label(text)] = s
        labels = ", ".join(ET[f"status.{s}"][1 if layout.language == "zh-CN" else 0] for s in SERVICE_STATUSES)
        out = []
        for i, (rep, acc, _no) in enumerate(tb.row_keys):
            r = tb.first_row + i
            ref = tb.ref(r, "status")
            commitment = str(sheet.get(r, tb.col("commitment"))).strip()
            raw = self.cell(tb, sheet, r, "status")
            status = None
            if raw is not CELL_ERROR and not cells.is_blank(raw):
                status = spell.get(cells.normalise_label(raw))
                if status is None:
                    self.complain(*_said("evaluation.bad-status", value=cells.show(raw), labels=labels), tb.sheet, ref)
            note = self.text_cell(tb, sheet, r, "note", 1000, "note")
            out.append(ServiceEntry(rep, acc, commitment, status, note, f"{self.file} › {tb.sheet} › {ref}"))
        return out



def _count(text: str) -> int:
    """A row count of the identity block (a damaged one reads as 0: the fingerprint check then names it)."""
    return int(text) if str(text).isdigit() else 0
