"""Read a returned target workbook back with the layout that wrote it.

Returns ``(Submission | None, problems)``.  Every fault is a Problem naming
file, sheet and cell with what to do; a file with any error gives no
Submission, so nothing of it is stored.  Nothing here raises on bad input.

A top-down proposal workbook (round 2+) is read with the same rules, plus the
response rules (``_Reader._responses``).  The response is given once per
account × product row and applies to that row's four quarter lines:

- figures unchanged, Response empty or Accept  -> ``response="accept"``;
- any volume (or, where the volume is above 0, price) differs from the
  proposal without Counter                     -> error at the first changed cell;
- Counter without a reason in the comment      -> error at the comment cell;
- Counter with the proposal's figures          -> stored as "counter", with a warning.

The proposal itself is read from the locked cells and checked against the
digest in the identity block, so an edited proposal cell is caught.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import pandas as pd

from kamplan.config import PlanConfig
from kamplan.engine.targets import revenue_by_account, target_warnings
from kamplan.model import (
    QUARTERS, REQUEST_COLUMNS, SERVICE_COLUMNS, TARGET_COLUMNS, TRAINING_COLUMNS, VISIT_COLUMNS, Submission,
    WorkbookIdentity,
)
from kamplan.problems import Problem, has_errors
from kamplan.limits import LIMITS
from kamplan.workbooks.kit import cells
from kamplan.workbooks.kit.i18n import LANGS, T, t
from kamplan.workbooks.kit.table_checks import header_problems, key_text, row_key_problems, stray_entry_problems
from kamplan.workbooks.kit.layout import Column, SheetValues, Table
from kamplan.workbooks.targets.layout import (
    ACCOUNT_LABEL_SEP, IDENTITY, PROPOSAL_VARIANT, RESPONSES, AccountRow, ProductRow,
    TargetLayout, proposal_digest,
)
from kamplan.workbooks.targets.content import rep_from_file_name
from kamplan.workbooks.kit.identity import IDENTITY_SHEET, read_identity
from kamplan.workbooks.kit.xlsxio import not_an_entry, read_sheets
from kamplan.workbooks.kit.reading import FileReader, read_file

MAX_PROBLEMS_PER_TABLE = 200  # a wholly wrong sheet should not print 10,000 lines


@dataclass
class ReadContext:
    """What the reader checks a workbook against."""
    config: PlanConfig
    last_year: pd.DataFrame | None = None  # engine.targets.last_year_lines of plan_year - 1, for warnings
    current_round: int | None = None  # the open round in the store; None: not checked
    issued: Mapping[str, dict] | None = None  # workbook_id -> issue record (rep_id, round); None: not checked
    # Collecting refuses a workbook with no volume typed (no answer, not a plan of 0); reading one to see
    # what it shows (a blank issued workbook, in a test or a preview) does not.
    refuse_blank: bool = False

    def __post_init__(self):
        # built once per collect run, not once per file (a company may have 20,000 accounts)
        cfg = self.config
        self.account_rep = {a.id: a.rep for a in cfg.accounts}
        self.product_ids = {p.id for p in cfg.products}
        self.staff_ids = {s.id for s in cfg.staff}
        self.list_prices = {p.id: p.list_price for p in cfg.products}
        # the same base as the workbook's Account totals sheet: last year's rows of the plan's products only
        self.ly_revenue = (revenue_by_account(self.last_year[self.last_year["product_id"].isin(self.product_ids)])
                           if self.last_year is not None else None)


def identity_rep(path: Path) -> str | None:
    """The salesperson a target workbook was issued to, from its identity block; None if unreadable."""
    try:
        sheets, _ = read_sheets(Path(path), [IDENTITY_SHEET])
    except Exception:  # unreadable files are reported by the reader itself
        return None
    ident = read_identity(sheets.get(IDENTITY_SHEET))
    return ident.get("rep_id") if ident.get("kind") == IDENTITY.kind else None


def read_target_workbook(path: Path, ctx: ReadContext, content_hash: str = "") -> tuple[Submission | None,
                                                                                          list[Problem]]:
    return read_file(_Reader, path, ctx, content_hash)


class _Reader(FileReader):
    def __init__(self, path: Path, ctx: ReadContext, content_hash: str):
        super().__init__(path)
        self.ctx, self.hash = ctx, content_hash
        self.proposal_digest = ""  # from the identity block of a proposal workbook

    # -- top level -----------------------------------------------------------------------------------
    def read(self):
        # One pass over the file: the identity block and the table sheets under either language's names.
        wanted = [t(f"sheet.{k}", lang) for lang in LANGS
                  for k in ("targets", "summary", "visits", "trainings", "services", "requests")]
        opened = self.open_identity(read_identity, wanted)
        if opened is None:
            return None, self.problems
        ident, ident_sheets, all_names = opened
        identity, layout = self._identity(ident, all_names)
        if identity is None:
            return None, self.problems
        sheets = {tb.sheet: ident_sheets[tb.sheet] for tb in layout.tables if tb.sheet in ident_sheets}
        missing = [tb.sheet for tb in layout.tables if tb.sheet not in sheets]
        if missing:
            ours = set(layout.sheet_names.values()) | {IDENTITY_SHEET}
            extra = [n for n in all_names if n not in ours]
            hint = f" (found {', '.join(repr(n) for n in extra)} instead)" if extra else ""
            for name in missing:
                self.err("sheet-missing", f"sheet {name!r} is missing{hint}",
                         f"rename the sheet back to {name!r}, or copy your entries into a fresh copy of the "
                         "workbook", sheet=name)
        else:
            self.refuse_added_sheets(all_names, layout)
        frames = {}
        for tb in layout.tables:
            if tb.sheet in sheets:
                frames[tb.key] = self._table(tb, sheets[tb.sheet], layout)
        # Line checks run even after cell errors, so the salesperson sees every problem at once.
        sub = self._submission(identity, frames, layout)
        if has_errors(self.problems):
            return None, self.problems
        return sub, self.problems

    # -- identity ------------------------------------------------------------------------------------
    def _identity(self, ident: dict[str, str], all_names: list[str]):
        """The identity and layout of the workbook, checked: kind and version, layout, then whether it
        is this plan's, this salesperson's and this round's.  (None, None) after any error."""
        head = self._head(ident)
        if head is None:
            return None, None
        version, year, round_no, generated = head
        layout = self._layout(ident, year, round_no)
        if layout is None:
            return None, None
        self.proposal_digest = ident.get("proposal_digest", "")
        rep_id, wid = ident.get("rep_id", ""), ident.get("workbook_id", "")
        self._owner_checks(year, rep_id)
        self._round_checks(round_no)
        self._issued_checks(year, rep_id, wid)
        if has_errors(self.problems):
            return None, None
        identity = WorkbookIdentity(IDENTITY.kind, version, year, round_no, rep_id, generated, wid, layout.signature())
        return identity, layout

    def _head(self, ident: dict[str, str]) -> tuple[int, int, int, dt.datetime] | None:
        """Kind, schema version, year, round and when written; None with the problem said."""
        if not ident:
            self.err("not-a-target-workbook",
                     "this is not a kamplan target workbook (its hidden identity block is missing)",
                     "send the workbook you were issued, filled in; entries copied into another file cannot "
                     "be collected")
            return None
        if ident.get("kind") != IDENTITY.kind:
            self.err("wrong-kind", f"this is a kamplan {ident.get('kind', '?')!r} workbook, not a target workbook",
                     "collect it with the command for its kind")
            return None
        return self.typed_identity(lambda: (
            int(ident.get("schema_version", "0")), int(ident["year"]), int(ident["round"]),
            dt.datetime.fromisoformat(ident["generated_at"])), IDENTITY.schema_version,
            fresh="ask for a fresh workbook and copy your entries into it", errors=(KeyError, ValueError),
            version=("the workbook was made by a kamplan with layout version {found}; this one reads version {reads}",
                     "issue the workbooks again with this kamplan version"))

    def _layout(self, ident: dict[str, str], year: int, round_no: int) -> TargetLayout | None:
        """The layout rebuilt from the identity block, if it is the one this kamplan writes."""
        cfg = self.ctx.config
        language = ident.get("language", "en")
        if language not in LANGS:
            language = "en"
        accounts = [AccountRow(a, "", "") for a in ident.get("accounts", "").split(",") if a]
        units = {p.id: p.unit for p in cfg.products}
        products = [ProductRow(p, "", units.get(p, "")) for p in ident.get("products", "").split(",") if p]
        try:
            blank_rows = int(ident.get("blank_rows", cfg.workbook.blank_rows))
        except ValueError:
            blank_rows = cfg.workbook.blank_rows
        proposal = ident.get("variant") == PROPOSAL_VARIANT
        layout = TargetLayout(language, year, accounts, products, blank_rows=blank_rows, currency=cfg.currency,
                              first_month=cfg.calendar.first_month, proposal=proposal)
        if not self.layout_matches(layout, ident, "issue the workbooks again with this kamplan version"):
            return None
        if proposal and (round_no < 2 or not ident.get("proposal_digest")):
            self.err("identity-damaged", "the workbook's identity block is damaged (a top-down proposal must be "
                     "round 2 or later and carry its fingerprint)", "ask for a fresh workbook and copy your "
                     "entries into it")
            return None
        return layout

    def _owner_checks(self, year: int, rep_id: str) -> None:
        """This plan year's workbook, of a salesperson of the plan whose name the file bears."""
        cfg = self.ctx.config
        if year != cfg.plan_year:
            self.err("wrong-year", f"this workbook is for {year}; the plan being collected is {cfg.plan_year}",
                     f"send the {cfg.plan_year} workbook (last year's file was probably attached by mistake)")
        staff = self.ctx.staff_ids
        if rep_id not in staff:
            self.err("unknown-rep", f"the workbook belongs to salesperson {rep_id!r}, who is not in the plan",
                     "check the config's staff list, or send the workbook issued to you")
        name_rep = rep_from_file_name(self.file, staff)
        if name_rep and name_rep != rep_id:
            self.err("other-reps-workbook",
                     f"the file is named for {name_rep!r} but the workbook inside was issued to {rep_id!r}",
                     f"fill in your own workbook ({name_rep}_...), or rename the file if it really is "
                     f"{rep_id}'s")

    def _issued_checks(self, year: int, rep_id: str, wid: str) -> None:
        """Issued from this workspace, to this salesperson."""
        if self.ctx.issued is not None and year == self.ctx.config.plan_year:  # another year's file: said above
            rec = self.ctx.issued.get(wid)
            if rec is None:
                self.err("not-issued-here", "this workbook was not issued from this planning workspace",
                         "collect it in the workspace that issued it, or issue a fresh one here")
            elif rec.get("rep_id") not in (None, rep_id):
                self.err("identity-mismatch", "the identity block does not match the issued workbook",
                         "ask for a fresh workbook")

    def _round_checks(self, round_no: int) -> None:
        current = self.ctx.current_round
        if current is None or round_no == current:
            return
        if round_no < current:
            self.err("stale-round", f"this is the round {round_no} workbook, but round {current} is open",
                     f"fill in the round {current} workbook you were sent")
        else:
            self.err("future-round", f"this is a round {round_no} workbook, but only round {current} is open",
                     "check the workspace: was it issued elsewhere?")

    # -- tables --------------------------------------------------------------------------------------
    def _table(self, tb: Table, sheet: SheetValues, layout: TargetLayout) -> list[dict] | None:
        """The rows of one table sheet as dicts (None if its structure is broken): a fixed table's every
        row, a free list's used rows, each cell parsed and checked against its column."""
        if not self._headers_ok(tb, sheet):
            return None
        if tb.row_keys and not self._keys_ok(tb, sheet):
            return None
        if not tb.row_keys:
            self._stray_rows(tb, sheet)
        out = []
        budget = [MAX_PROBLEMS_PER_TABLE]
        key_pos = {c.key: j for j, c in enumerate(tb.key_columns())}
        locked = [tb.column(k) for k in layout.locked_figures] if tb.key == "targets" else []
        inputs = tb.input_columns()  # once per sheet: a fixed table may have tens of thousands of rows
        for i in range(tb.n_rows):
            r = tb.first_row + i
            if not tb.row_keys and self._unused(tb, sheet, r, inputs):
                continue
            row = {"_row": r}
            for c in tb.columns:
                if c.role == "key":
                    row[c.key] = tb.row_keys[i][key_pos[c.key]]
                elif c.role == "input":
                    row[c.key] = self._cell(tb, sheet, r, c, layout, budget)
            for c in locked:  # a proposal's figures: checked as a whole against the digest
                value, why = cells.parse_number(sheet.get(r, tb.col(c.key)))
                row[c.key] = math.nan if why else value
            if not tb.row_keys:
                self._required(tb, sheet, row, inputs, budget)
            out.append(row)
        return out

    @staticmethod
    def _unused(tb: Table, sheet: SheetValues, r: int, inputs: list[Column]) -> bool:
        """A free list's row with every input cell empty (and no error value in one)."""
        return all(cells.is_blank(sheet.get(r, tb.col(c.key))) for c in inputs) and \
            not (sheet.errors and any(tb.ref(r, c.key) in sheet.errors for c in inputs))

    def _required(self, tb: Table, sheet: SheetValues, row: dict, inputs: list[Column], budget) -> None:
        """A used free-list row must fill every required column (unless that cell was said already)."""
        for c in inputs:
            if c.required and row.get(c.key) is None:
                ref = tb.ref(row["_row"], c.key)
                if ref not in sheet.errors and not any(p.cell == ref for p in self.problems[-10:]):
                    self._complain(budget, "missing-value", f"{c.header!r} is empty but the row is used",
                                   f"fill in {c.header!r}, or clear the whole row", tb.sheet, ref)

    def _complain(self, budget, code, message, fix, sheet, cell):
        budget[0] -= 1
        if budget[0] == 0:
            self.err("too-many-problems", "more problems in this sheet were not listed",
                     "fix the ones above and collect again", sheet=sheet)
        elif budget[0] > 0:
            self.err(code, message, fix, sheet=sheet, cell=cell)

    def _headers_ok(self, tb: Table, sheet: SheetValues) -> bool:
        found = header_problems(tb, sheet, self.file)
        self.problems += found
        return not found

    def _keys_ok(self, tb: Table, sheet: SheetValues) -> bool:
        found = row_key_problems(tb, sheet, self.file)
        self.problems += found
        return not found

    def _stray_rows(self, tb: Table, sheet: SheetValues):
        self.problems += stray_entry_problems(tb, sheet, self.file, f"an empty row between {tb.first_row + 1} and {tb.last_row + 1}")

    def _cell(self, tb: Table, sheet: SheetValues, r: int, c: Column, layout: TargetLayout, budget):
        raw = sheet.get(r, tb.col(c.key))
        if not sheet.errors:
            # fast path for the usual cell: empty, or a plain number inside its bounds
            if raw == "" or raw is None:
                return None
            if type(raw) is float and c.dtype == "number" and raw >= (c.minimum or 0) and \
                    raw <= (c.maximum or self.ctx.config.targets.max_volume_per_line):
                return raw
        ref = tb.ref(r, c.key)
        if ref in sheet.errors:
            code, message = not_an_entry(sheet.errors[ref])
            self._complain(budget, code, message, f"type {c.header!r} as a plain value (no formula)", tb.sheet, ref)
            return None
        value, why = _parse(c, raw, layout)
        if why:
            self._complain(budget, "bad-value", why, _fix(c, layout), tb.sheet, ref)
            return None
        if value is None:
            return None
        if c.dtype in ("number", "integer"):
            if c.minimum is not None and value < c.minimum:
                self._complain(budget, "negative", f"{cells.show(raw)} is below {c.minimum:g}",
                               _fix(c, layout), tb.sheet, ref)
                return None
            top = c.maximum
            if c.key.startswith("volume_q"):
                top = self.ctx.config.targets.max_volume_per_line
            elif c.key.startswith("price_q"):  # a hard limit, not a "typo?" warning (issue 18)
                top = LIMITS["price"].high if top is None else min(top, LIMITS["price"].high)
            if top is not None and value > top:
                self._complain(budget, "too-large", f"{cells.show(raw)} is above the limit {top:,.0f}",
                               _fix(c, layout) + f" between {c.minimum or 0:g} and {top:,.0f} (a typo?)",
                               tb.sheet, ref)
                return None
        if c.dtype == "date" and not layout.span[0] <= value <= layout.span[1]:
            self._complain(budget, "date-outside-year", f"{value.isoformat()} is not in the plan year "
                           f"({layout.span[0].isoformat()} to {layout.span[1].isoformat()})",
                           _fix(c, layout), tb.sheet, ref)
            return None
        return value

    # -- assemble --------------------------------------------------------------------------------------
    def _submission(self, identity: WorkbookIdentity, frames: dict, layout: TargetLayout) -> Submission | None:
        """The Submission of the sheets read: target, visit and list lines, then the target warnings."""
        cfg = self.ctx.config
        if self.ctx.refuse_blank:
            self._say_if_blank(frames, layout)
        targets = pd.DataFrame(self._target_lines(identity, frames, layout), columns=TARGET_COLUMNS)
        trainings, services, requests = self._list_lines(frames, layout)
        sub = Submission(identity=identity, file_name=self.file, content_hash=self.hash, targets=targets,
                         visits=pd.DataFrame(self._visit_lines(identity, frames, layout), columns=VISIT_COLUMNS),
                         trainings=pd.DataFrame(trainings, columns=TRAINING_COLUMNS),
                         services=pd.DataFrame(services, columns=SERVICE_COLUMNS),
                         requests=pd.DataFrame(requests, columns=REQUEST_COLUMNS))
        if self.ctx.last_year is not None and not has_errors(self.problems):
            self.problems += _at_price_cells(
                target_warnings(targets, self.ctx.ly_revenue, self.ctx.list_prices, cfg.targets,
                                file=self.file, sheet=layout.targets.sheet), layout.targets)
        sub.warnings = [p for p in self.problems if not p.is_error]
        return sub

    def _say_if_blank(self, frames: dict, layout: TargetLayout) -> bool:
        """A workbook sent back without a single volume typed (not even 0) is no answer: storing it would
        drop the salesperson's bottom-up plan to 0, while no answer keeps last year's run-rate (marked)."""
        rows = frames.get("targets") or []
        if layout.proposal or not rows or has_errors(self.problems):
            return False
        if any(row.get(f"volume_q{q}") is not None for row in rows for q in QUARTERS):
            return False
        tg = layout.targets
        self.err("empty-submission", "the workbook came back without any target volume filled in: it counts as "
                 "no answer (last year's run-rate stands in)", "fill in the volumes (0 where you plan nothing) "
                 f"and {self.again}", sheet=tg.sheet, cell=tg.ref(tg.first_row, "volume_q1"))
        return True

    def _target_lines(self, identity: WorkbookIdentity, frames: dict, layout: TargetLayout) -> list[dict]:
        """One line per row and quarter of the rows this salesperson still plans (and, in a proposal
        workbook, whose response is valid)."""
        tg = layout.targets
        target_rows = []
        moved: set[str] = set()
        bad_cells = {p.cell for p in self.problems if p.sheet == tg.sheet and p.is_error}
        # (a Targets sheet that could not be read at all is reported already)
        proposal_ok = not layout.proposal or frames.get("targets") is None or \
            self._check_proposal(frames["targets"], layout)
        for row in frames.get("targets") or []:
            if not self._still_planned(row, identity, tg, moved):
                continue
            # against a changed proposal a comparison would only add confusing problems
            if layout.proposal and not (proposal_ok and self._responses(row, layout, bad_cells)):
                continue
            target_rows += self._quarter_lines(row, tg)
        return target_rows

    def _still_planned(self, row: dict, identity: WorkbookIdentity, tg: Table, moved: set[str]) -> bool:
        """The row's account and product are in the plan and the account is still this salesperson's;
        else the row is said (once per moved account) and skipped."""
        plan_accounts = self.ctx.account_rep
        r, acc, prod = row["_row"], row["account_id"], row["product_id"]
        used = any(row.get(f"volume_q{q}") for q in QUARTERS)
        if acc not in plan_accounts or prod not in self.ctx.product_ids:
            what = f"account {acc!r}" if acc not in plan_accounts else f"product {prod!r}"
            if used:
                self.err("not-in-plan", f"{what} is no longer in the plan", "clear this row's volumes, or "
                         "ask the VP to add it back to the plan", sheet=tg.sheet, cell=tg.ref(r, "account_id"))
            return False
        if plan_accounts[acc] != identity.rep_id:
            # storing them here too would count the account twice (the new owner plans it)
            if used and acc not in moved:
                self.warn("account-moved", f"account {acc} now belongs to {plan_accounts[acc]}; its lines "
                          "here were not stored", f"give the figures to {plan_accounts[acc]}, or ask the VP "
                          "to move the account back", sheet=tg.sheet, cell=tg.ref(r, "account_id"))
            moved.add(acc)
            return False
        return True

    def _quarter_lines(self, row: dict, tg: Table) -> list[dict]:
        r, acc, prod = row["_row"], row["account_id"], row["product_id"]
        lines = []
        for q in QUARTERS:
            vol = row.get(f"volume_q{q}") or 0.0
            price = row.get(f"price_q{q}")
            if vol > 0 and not price:
                self.err("price-missing", f"volume {vol:g} in Q{q} has no price", "enter the Q"
                         f"{q} price", sheet=tg.sheet, cell=tg.ref(r, f"price_q{q}"))
                continue
            price = price or 0.0
            lines.append({"account_id": acc, "product_id": prod, "quarter": q, "volume": vol,
                          "price": price, "revenue": vol * price, "comment": row.get("comment"),
                          "src": f"{tg.sheet}!{tg.ref(r, f'volume_q{q}')}",
                          "response": row.get("_response")})
        return lines

    def _visit_lines(self, identity: WorkbookIdentity, frames: dict, layout: TargetLayout) -> list[dict]:
        vi, plan_accounts = layout.visits, self.ctx.account_rep
        visit_rows = []
        for row in frames.get("visits") or []:
            if plan_accounts.get(row["account_id"], identity.rep_id) != identity.rep_id:
                continue  # the account moved to another salesperson (see _still_planned)
            for q in QUARTERS:
                visit_rows.append({"account_id": row["account_id"], "quarter": q,
                                   "rep_visits": row.get(f"rep_visits_q{q}") or 0,
                                   "exec_visits": row.get(f"exec_visits_q{q}") or 0,
                                   "src": f"{vi.sheet}!{vi.ref(row['_row'], f'rep_visits_q{q}')}"})
        return visit_rows

    def _list_lines(self, frames: dict, layout: TargetLayout) -> tuple[list[dict], list[dict], list[dict]]:
        """The trainings, service commitments and resource requests of the free-list sheets."""
        cfg = self.ctx.config
        trainings = [{"account_id": r["account"], "quarter": r["quarter"], "topic": r["topic"],
                      "audience": r.get("audience"), "src": self._src(layout.trainings, r)}
                     for r in frames.get("trainings") or []]
        services = [{"account_id": r["account"], "commitment": r["commitment"], "measure": r["measure"],
                     "due": r["due"], "src": self._src(layout.services, r)} for r in frames.get("services") or []]
        requests = []
        for r in frames.get("requests") or []:
            kind = r["kind"]
            divisible = r.get("divisible")
            requests.append({"account_id": r["account"], "kind": kind, "purpose": r["purpose"], "task": r["task"],
                             "amount": r["amount"], "unit": cfg.unit_of_kind(kind) if kind else None,
                             "deadline": r["deadline"], "priority": r["priority"],
                             "divisible": (kind == "executive") if divisible is None else divisible,
                             "src": self._src(layout.requests, r)})
        return trainings, services, requests

    # -- top-down proposal -----------------------------------------------------------------------------
    def _check_proposal(self, rows: list[dict], layout: TargetLayout) -> bool:
        """The locked proposal cells must be as issued; else nothing in the sheet can be compared."""
        figures = [((row["account_id"], row["product_id"]), [row.get(k) for k in layout.locked_figures])
                   for row in rows]
        if any(isinstance(v, float) and math.isnan(v) for _, values in figures for v in values) or \
                proposal_digest(figures) != self.proposal_digest:
            self.err("proposal-changed", "the proposal's locked figures in this sheet are not as issued (was the "
                     "sheet protection removed?)", "ask the VP for a fresh copy of your proposal workbook and "
                     "enter your responses there", sheet=layout.targets.sheet)
            return False
        return True

    def _responses(self, row: dict, layout: TargetLayout, bad_cells: set[str]) -> bool:
        """Check one account × product row's answer to the proposal; set ``row["_response"]``.

        Returns False when the row is wrong (its problem is recorded)."""
        tg, r = layout.targets, row["_row"]
        changed = []  # (cell key, typed, proposed)
        for q in QUARTERS:
            vol, pvol = row.get(f"volume_q{q}") or 0.0, row.get(f"prop_volume_q{q}") or 0.0
            if not _same(vol, pvol):
                changed.append((f"volume_q{q}", vol, pvol))
            price, pprice = row.get(f"price_q{q}"), row.get(f"prop_price_q{q}") or 0.0
            if vol > 0 and price is not None and not _same(price, pprice):
                changed.append((f"price_q{q}", price, pprice))
        if any(tg.ref(r, k) in bad_cells for k in ["response", "comment"] + [
                f"{m}_q{q}" for m in ("volume", "price") for q in QUARTERS]):
            return False  # already reported; comparing a cell that could not be read would only confuse
        response, reason = row.get("response"), row.get("comment")
        resp_label = tg.column("response").header
        counter = t("response.counter", layout.language)
        if changed and response != "counter":
            what = ", ".join(f"{tg.column(k).header} {_num(v)} (proposal {_num(p)})" for k, v, p in changed)
            restore = ", ".join(f"{tg.column(k).header} {_num(p)}" for k, _, p in changed)
            self.err("changed-without-counter", f"{what} differ from the proposal, but the line is not marked "
                     f"{counter}", f"choose {counter} in {resp_label!r} ({tg.ref(r, 'response')}) and write the "
                     f"reason in {tg.column('comment').header!r} ({tg.ref(r, 'comment')}), or restore the "
                     f"proposal: {restore}", sheet=tg.sheet, cell=tg.ref(r, changed[0][0]))
            return False
        if response == "counter" and not reason:
            self.err("counter-without-reason", f"the line is marked {counter} but gives no reason",
                     f"write the reason in {tg.column('comment').header!r}, or choose "
                     f"{t('response.accept', layout.language)} and restore the proposal",
                     sheet=tg.sheet, cell=tg.ref(r, "comment"))
            return False
        if response == "counter" and not changed:
            self.warn("counter-unchanged", f"the line is marked {counter} but its figures are the proposal's",
                      "type your own figure if you disagree, or choose "
                      f"{t('response.accept', layout.language)}; it was stored as a counter with your reason",
                      sheet=tg.sheet, cell=tg.ref(r, "response"))
        row["_response"] = "counter" if response == "counter" else "accept"
        return True

    @staticmethod
    def _src(tb: Table, row: dict) -> str:
        return f"{tb.sheet}!A{row['_row'] + 1}"


# -- parsing helpers -------------------------------------------------------------------------------------
def _choices(name: str, layout: TargetLayout) -> dict[str, object]:
    """Accepted spellings (casefolded) of a closed choice -> its value."""
    out: dict[str, object] = {}

    def add(value, *spellings):
        for s in spellings:
            out[cells.normalise_label(s)] = value
    if name == "accounts":
        for a in layout.accounts:
            add(a.id, a.id)
    elif name == "kinds":
        for k in ("executive", "technical", "advisor"):
            add(k, k, *T[f"kind.{k}"])
    elif name == "priorities":
        for p in ("high", "medium", "low"):
            add(p, p, *T[f"priority.{p}"])
    elif name == "yesno":
        add(True, "yes", "y", "true", "1", *T["yes"])
        add(False, "no", "n", "false", "0", *T["no"])
    elif name == "quarters":
        for q in QUARTERS:
            add(q, f"Q{q}", str(q), f"{q}.0")
    elif name == "responses":
        for resp in RESPONSES:
            add(resp, resp, *T[f"response.{resp}"])
    return out


def _same(a: float, b: float) -> bool:
    """Equal as figures: what the workbook shows, not the last binary digit a program wrote."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.10g}"


def _parse(c: Column, raw, layout: TargetLayout):
    if c.dtype == "number":
        return cells.parse_number(raw)
    if c.dtype == "integer":
        return cells.parse_integer(raw)
    if c.dtype == "date":
        return cells.parse_date(raw)
    if c.dtype == "choice":
        if cells.is_blank(raw):
            return None, None
        text = cells.normalise_label(raw if not isinstance(raw, float) else key_text(raw))
        if c.choices == "accounts" and ACCOUNT_LABEL_SEP.strip() in text:
            text = text.split(ACCOUNT_LABEL_SEP.strip(), 1)[0].strip()
        value = _choices(c.choices, layout).get(text)
        if value is None:
            return None, f"{cells.show(raw)} is not one of the choices"
        return value, None
    return cells.parse_text(raw)


def _fix(c: Column, layout: TargetLayout) -> str:
    if c.dtype == "choice":
        return f"pick {c.header!r} from the cell's dropdown list"
    if c.key.startswith("volume_q"):
        return f"enter the Q{c.key[-1]} volume in {layout.unit or 'the product unit'} as a number"
    if c.key.startswith("price_q"):
        return f"enter the Q{c.key[-1]} price per {layout.unit or 'unit'} as a number"
    if c.dtype == "integer":
        return f"enter {c.header!r} as a whole number from {c.minimum:g} to {c.maximum:g}"
    if c.dtype == "date":
        return f"enter {c.header!r} as a date from {layout.span[0]} to {layout.span[1]}"
    if c.dtype == "number":
        return f"enter {c.header!r} as a number above 0"
    return f"shorten {c.header!r}"


def _at_price_cells(problems: list[Problem], tg: Table) -> list[Problem]:
    """The price warnings of ``target_warnings`` point at the line's volume cell (its ``src``): move them to
    the price cell of the same row and quarter, where the price to check was typed."""
    price_of = {tg.letter(f"volume_q{q}"): tg.letter(f"price_q{q}") for q in QUARTERS}
    out = []
    for p in problems:
        row = p.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") if p.cell else ""
        column = p.cell[:len(p.cell) - len(row)] if p.cell else ""
        if p.code.startswith("price-") and row.isdigit() and column in price_of:
            p = dataclasses.replace(p, cell=price_of[column] + row)
        out.append(p)
    return out
