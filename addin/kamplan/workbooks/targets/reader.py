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
from kamplan.engine.credit import pen_holders, team_frame
from kamplan.engine.targets import prefilled_prices, revenue_by_account, target_warnings
from kamplan.model import (
    QUARTERS, REQUEST_COLUMNS, SERVICE_COLUMNS, TARGET_COLUMNS, TRAINING_COLUMNS, VISIT_COLUMNS, Submission,
    WorkbookIdentity,
)
from kamplan.messages import Message, render
from kamplan.problems import Problem, has_errors, phrase, problem
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
_QUARTER_KEYS = tuple((q, f"volume_q{q}", f"price_q{q}") for q in QUARTERS)  # a Targets row's cells per quarter


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
        # account teams: who carries an account besides its owner, and who plans each of its lines
        teamed = [a for a in cfg.accounts if a.team]
        self.carriers = {a.id: {m.salesperson for m in a.team} for a in teamed}
        self.pen = pen_holders(pd.DataFrame([(a.id, p.id) for a in teamed for p in cfg.products],
                                            columns=["account_id", "product_id"]),
                               team_frame(teamed), {a.id: a.rep for a in teamed},
                               cfg.teams.full_credit_roles) if teamed else {}
        self.product_ids = {p.id for p in cfg.products}
        self.staff_ids = {s.id for s in cfg.staff}
        self.list_prices = {p.id: p.list_price for p in cfg.products}
        # the same base as the workbook's Account totals sheet: last year's rows of the plan's products only
        self.ly_revenue = (revenue_by_account(self.last_year[self.last_year["product_id"].isin(self.product_ids)])
                           if self.last_year is not None else None)
        # the prices the workbook was issued with: left as they are, they are no price warning (issue 12)
        self.prefilled_prices = (prefilled_prices(self.last_year, self.list_prices)
                                 if self.last_year is not None else {})


def identity_rep(path: Path) -> str | None:
    """The salesperson a target workbook was issued to, from its identity block; None if unreadable."""
    try:
        sheets, _ = read_sheets(Path(path), [IDENTITY_SHEET])
    except Exception:  # unreadable files are reported by the reader itself
        return None
    ident = read_identity(sheets.get(IDENTITY_SHEET))
    return ident.get("rep_id") if ident.get("kind") == IDENTITY.kind else None


def read_target_workbook(path: Path, ctx: ReadContext, content_hash: str = "", gate_passed: bool = False
                         ) -> tuple[Submission | None, list[Problem]]:
    """The Submission of the target workbook at ``path`` and its problems; ``gate_passed``: the caller has
    just put the file through ``check_workbook_file`` (with no problem)."""
    return read_file(_Reader, path, ctx, content_hash, gate_passed)


class _Reader(FileReader):
    def __init__(self, path: Path, ctx: ReadContext, content_hash: str, gate_passed: bool = False):
        super().__init__(path)
        self.ctx, self.hash, self.gate_passed = ctx, content_hash, gate_passed
        self.proposal_digest = ""  # from the identity block of a proposal workbook

    def say(self, pid: str, sheet=None, cell=None, **fields) -> None:
        """The catalogue problem ``pid`` of this file (said in the salesperson's language where it is shown)."""
        self.problems.append(problem(pid, file=self.file, sheet=sheet, cell=cell, **fields))

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
            found = ", ".join(repr(n) for n in extra)
            for name in missing:
                self.say("targets.sheet-missing-found" if extra else "targets.sheet-missing", sheet=name,
                         name=name, found=found)
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
            self.say("targets.not-a-target-workbook")
            return None
        if ident.get("kind") != IDENTITY.kind:
            self.say("targets.wrong-kind", kind=ident.get("kind", "?"))
            return None
        return self.typed_identity(lambda: (
            int(ident.get("schema_version", "0")), int(ident["year"]), int(ident["round"]),
            dt.datetime.fromisoformat(ident["generated_at"])), IDENTITY.schema_version,
            fresh=Message("fix.targets.fresh-copy"), errors=(KeyError, ValueError),
            version=Message("fix.targets.issue-again"))

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
                              proposal=proposal, calendar=cfg.calendar)
        if not self.layout_matches(layout, ident, Message("fix.targets.issue-again")):
            return None
        if proposal and (round_no < 2 or not ident.get("proposal_digest")):
            self.say("targets.proposal-identity-damaged")
            return None
        return layout

    def _owner_checks(self, year: int, rep_id: str) -> None:
        """This plan year's workbook, of a salesperson of the plan whose name the file bears."""
        cfg = self.ctx.config
        if year != cfg.plan_year:
            self.say("targets.wrong-year", year=year, plan_year=cfg.plan_year)
        staff = self.ctx.staff_ids
        if rep_id not in staff:
            self.say("targets.unknown-rep", rep=rep_id)
        name_rep = rep_from_file_name(self.file, staff)
        if name_rep and name_rep != rep_id:
            self.say("targets.other-reps-workbook", name_rep=name_rep, rep=rep_id)

    def _issued_checks(self, year: int, rep_id: str, wid: str) -> None:
        """Issued from this workspace, to this salesperson."""
        if self.ctx.issued is not None and year == self.ctx.config.plan_year:  # another year's file: said above
            rec = self.ctx.issued.get(wid)
            if rec is None:
                self.say("targets.not-issued-here")
            elif rec.get("rep_id") not in (None, rep_id):
                self.say("targets.identity-mismatch")

    def _round_checks(self, round_no: int) -> None:
        current = self.ctx.current_round
        if current is None or round_no == current:
            return
        if round_no < current:
            self.say("targets.stale-round", round=round_no, current=current)
        else:
            self.say("targets.future-round", round=round_no, current=current)

    # -- tables --------------------------------------------------------------------------------------
    def _table(self, tb: Table, sheet: SheetValues, layout: TargetLayout) -> list[dict] | None:
        """The rows of one table sheet as dicts (None if its structure is broken): a fixed table's every
        row, a free list's used rows, each cell parsed and checked against its column.

        Each input column is checked whole first (``_plain_column``): an empty cell or a plain number
        within the column's bounds is taken as it is, and only the other cells go through ``_cell``,
        which parses them and words the problem of each one that fails.  Those cells are visited row by
        row, left to right, as before, so the problems (and where the budget stops them) keep their order."""
        if not self._headers_ok(tb, sheet):
            return None
        if tb.row_keys and not self._keys_ok(tb, sheet):
            return None
        if not tb.row_keys:
            self._stray_rows(tb, sheet)
        budget = [MAX_PROBLEMS_PER_TABLE]
        inputs = tb.input_columns()  # once per sheet: a fixed table may have tens of thousands of rows
        n, first = tb.n_rows, tb.first_row
        raw = {c.key: _column_values(sheet, tb.col(c.key), first, n) for c in inputs}
        flagged = _flagged_rows(sheet, tb, inputs, first, n)
        values = {c.key: self._plain_column(c, raw[c.key], flagged.get(c.key, ())) for c in inputs}
        for pos, c in enumerate(tb.key_columns()):
            values[c.key] = [keys[pos] for keys in tb.row_keys]
        order = [c.key for c in tb.columns if c.key in values]
        for k in layout.locked_figures if tb.key == "targets" else ():  # a proposal's figures, checked whole
            values[k] = [_locked_figure(v) for v in _column_values(sheet, tb.col(k), first, n)]
            order.append(k)
        unused = _unused_rows(raw, flagged, n) if not tb.row_keys else ()
        out = []
        for i, row_values in enumerate(zip(*(values[k] for k in order))):
            if i in unused:
                continue
            row = {"_row": first + i, **dict(zip(order, row_values))}
            if _SUSPECT in row_values:
                for c in inputs:
                    if row[c.key] is _SUSPECT:
                        row[c.key] = self._cell(tb, sheet, first + i, c, layout, budget)
            if not tb.row_keys:
                self._required(tb, sheet, row, inputs, budget)
            out.append(row)
        return out

    def _plain_column(self, c: Column, raw: list, flagged) -> list:
        """The cells of input column ``c`` that need no parsing, as values: None for an empty cell, the
        number for a plain number within the column's bounds; ``_SUSPECT`` for every other cell (text,
        a number out of bounds, an error value or a formula with no saved result: ``flagged``), which
        ``_cell`` parses and, if it fails, says."""
        out = [None if v == "" or v is None else _SUSPECT for v in raw] if c.dtype not in ("number", "integer") \
            else _plain_numbers(raw, c.minimum, self._top(c), c.dtype == "integer")
        for i in flagged:
            out[i] = _SUSPECT
        return out

    def _top(self, c: Column) -> float | None:
        """The largest value column ``c`` takes (the same bound ``_cell`` says a larger value is over)."""
        if c.key.startswith("volume_q"):
            return self.ctx.config.targets.max_volume_per_line
        if c.key.startswith("price_q"):  # a hard limit, not a "typo?" warning (issue 18)
            return LIMITS["price"].high if c.maximum is None else min(c.maximum, LIMITS["price"].high)
        return c.maximum

    def _required(self, tb: Table, sheet: SheetValues, row: dict, inputs: list[Column], budget) -> None:
        """A used free-list row must fill every required column (unless that cell was said already)."""
        for c in inputs:
            if c.required and row.get(c.key) is None:
                ref = tb.ref(row["_row"], c.key)
                if ref not in sheet.errors and not any(p.cell == ref for p in self.problems[-10:]):
                    self._complain(budget, "targets.missing-value", tb.sheet, ref, header=c.header)

    def _complain(self, budget, pid, sheet, cell, **fields):
        """The catalogue problem ``pid`` at ``cell``, while the sheet's budget of problems lasts."""
        budget[0] -= 1
        if budget[0] == 0:
            self.say("targets.too-many-problems", sheet=sheet)
        elif budget[0] > 0:
            self.say(pid, sheet=sheet, cell=cell, **fields)

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
        ref = tb.ref(r, c.key)
        if ref in sheet.errors:
            code, message = not_an_entry(sheet.errors[ref])
            self._complain(budget, "targets.not-an-entry", tb.sheet, ref, code=code, why=message, header=c.header)
            return None
        value, why = _parse(c, raw, layout)
        if why:
            self._complain(budget, "targets.bad-value", tb.sheet, ref, why=why, fix=_fix(c, layout))
            return None
        if value is None:
            return None
        if c.dtype in ("number", "integer"):
            if c.minimum is not None and value < c.minimum:
                self._complain(budget, "targets.negative", tb.sheet, ref, value=cells.show(raw),
                               minimum=f"{c.minimum:g}", fix=_fix(c, layout))
                return None
            top = self._top(c)
            if top is not None and value > top:
                self._complain(budget, "targets.too-large", tb.sheet, ref, value=cells.show(raw), top=top,
                               low=f"{c.minimum or 0:g}", typed=_fix(c, layout))
                return None
        if c.dtype == "date" and not layout.span[0] <= value <= layout.span[1]:
            self._complain(budget, "targets.date-outside-year", tb.sheet, ref, value=value.isoformat(),
                           first=layout.span[0].isoformat(), last=layout.span[1].isoformat(), fix=_fix(c, layout))
            return None
        return value

    # -- assemble --------------------------------------------------------------------------------------
    def _submission(self, identity: WorkbookIdentity, frames: dict, layout: TargetLayout) -> Submission | None:
        """The Submission of the sheets read: target, visit and list lines, then the target warnings."""
        cfg = self.ctx.config
        if self.ctx.refuse_blank:
            self._say_if_blank(frames, layout, identity.rep_id)
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
                                file=self.file, sheet=layout.targets.sheet,
                                prefilled=self.ctx.prefilled_prices), layout.targets)
        sub.warnings = [p for p in self.problems if not p.is_error]
        return sub

    def _say_if_blank(self, frames: dict, layout: TargetLayout, rep_id: str) -> bool:
        """A workbook sent back without a single volume typed (not even 0) is no answer: storing it would
        drop the salesperson's bottom-up plan to 0, while no answer keeps last year's run-rate (marked).
        Only the lines the salesperson plans count: a team member who plans none has nothing to type."""
        pen, owner = self.ctx.pen, self.ctx.account_rep
        rows = [row for row in frames.get("targets") or [] if row["account_id"] not in owner
                or pen.get((row["account_id"], row["product_id"]), owner[row["account_id"]]) == rep_id]
        if layout.proposal or not rows or has_errors(self.problems):
            return False
        if any(row.get(f"volume_q{q}") is not None for row in rows for q in QUARTERS):
            return False
        tg = layout.targets
        self.say("targets.empty-submission", sheet=tg.sheet, cell=tg.ref(tg.first_row, "volume_q1"))
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
        used = any(row.get(k) for _, k, _ in _QUARTER_KEYS)
        if acc not in plan_accounts or prod not in self.ctx.product_ids:
            if used:
                self.say("targets.account-not-in-plan" if acc not in plan_accounts else "targets.product-not-in-plan",
                         sheet=tg.sheet, cell=tg.ref(r, "account_id"), account=acc, product=prod)
            return False
        holder = self.ctx.pen.get((acc, prod), plan_accounts[acc])
        carriers = self.ctx.carriers.get(acc, set()) | {plan_accounts[acc]}
        if holder != identity.rep_id and identity.rep_id in carriers:
            if used:  # typed into a line someone else of the account team plans: it would count twice
                self.say("targets.not-your-line", sheet=tg.sheet, cell=tg.ref(r, "volume_q1"), account=acc,
                         product=prod, holder=holder)
            return False
        if holder == identity.rep_id:
            return True
        if plan_accounts[acc] != identity.rep_id:
            # storing them here too would count the account twice (the new owner plans it)
            if used and acc not in moved:
                self.say("targets.account-moved", sheet=tg.sheet, cell=tg.ref(r, "account_id"), account=acc,
                         owner=plan_accounts[acc])
            moved.add(acc)
            return False
        return True

    def _quarter_lines(self, row: dict, tg: Table) -> list[dict]:
        r, acc, prod = row["_row"], row["account_id"], row["product_id"]
        comment, response = row.get("comment"), row.get("_response")
        lines = []
        for q, volume_key, price_key in _QUARTER_KEYS:
            vol = row.get(volume_key) or 0.0
            price = row.get(price_key)
            if vol > 0 and not price:
                self.say("targets.price-missing", sheet=tg.sheet, cell=tg.ref(r, price_key), volume=f"{vol:g}",
                         q=q)
                continue
            price = price or 0.0
            lines.append({"account_id": acc, "product_id": prod, "quarter": q, "volume": vol,
                          "price": price, "revenue": vol * price, "comment": comment,
                          "src": f"{tg.sheet}!{tg.ref(r, volume_key)}", "response": response})
        return lines

    def _visit_lines(self, identity: WorkbookIdentity, frames: dict, layout: TargetLayout) -> list[dict]:
        vi, plan_accounts = layout.visits, self.ctx.account_rep
        visit_rows = []
        for row in frames.get("visits") or []:
            acc = row["account_id"]
            # a member of the account team plans their own visits to it too
            if plan_accounts.get(acc, identity.rep_id) != identity.rep_id and \
                    identity.rep_id not in self.ctx.carriers.get(acc, set()):
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
            self.say("targets.proposal-changed", sheet=layout.targets.sheet)
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
            what = _Listed([phrase("targets.changed-figure", header=tg.column(k).header, value=_num(v),
                                    proposed=_num(p)) for k, v, p in changed])
            restore = ", ".join(f"{tg.column(k).header} {_num(p)}" for k, _, p in changed)
            self.say("targets.changed-without-counter", sheet=tg.sheet, cell=tg.ref(r, changed[0][0]), what=what,
                     counter=counter, response=resp_label, response_cell=tg.ref(r, "response"),
                     comment=tg.column("comment").header, comment_cell=tg.ref(r, "comment"), restore=restore)
            return False
        accept = t("response.accept", layout.language)
        if response == "counter" and not reason:
            self.say("targets.counter-without-reason", sheet=tg.sheet, cell=tg.ref(r, "comment"), counter=counter,
                     comment=tg.column("comment").header, accept=accept)
            return False
        if response == "counter" and not changed:
            self.say("targets.counter-unchanged", sheet=tg.sheet, cell=tg.ref(r, "response"), counter=counter,
                     accept=accept)
        row["_response"] = "counter" if response == "counter" else "accept"
        return True

    @staticmethod
    def _src(tb: Table, row: dict) -> str:
        return f"{tb.sheet}!A{row['_row'] + 1}"


# -- whole-column checks ---------------------------------------------------------------------------------
_SUSPECT = object()  # a cell the whole-column check leaves to ``_Reader._cell``


def _column_values(sheet: SheetValues, j: int, first: int, n: int) -> list:
    """The raw values of column ``j`` in rows ``first`` .. ``first + n - 1`` ("" past the sheet's end)."""
    rows = sheet.rows[first:first + n]
    out = [row[j] if j < len(row) else "" for row in rows]
    return out + [""] * (n - len(out))


def _flagged_rows(sheet: SheetValues, tb: Table, inputs: list[Column], first: int, n: int) -> dict[str, list[int]]:
    """Input column key -> the row indexes (0 = the table's first row) whose cell is in ``sheet.errors``
    (an error value, or a formula with no saved result)."""
    if not sheet.errors or not inputs:
        return {}
    by_letter = {tb.letter(c.key): c.key for c in inputs}
    out: dict[str, list[int]] = {}
    for ref in sheet.errors:
        letters = ref.rstrip("0123456789")
        key = by_letter.get(letters)
        if key is not None:
            i = int(ref[len(letters):]) - 1 - first
            if 0 <= i < n:
                out.setdefault(key, []).append(i)
    return out


def _plain_numbers(raw: list, low: float | None, top: float | None, whole: bool) -> list:
    """``_Reader._plain_column`` for a number column: a float (or int, not bool) within [low, top], and for
    an integer column whole, is its value; empty is None; anything else ``_SUSPECT``."""
    lo = -math.inf if low is None else low
    hi = math.inf if top is None else top
    out = []
    for v in raw:
        kind = type(v)
        if (kind is float or kind is int) and lo <= v <= hi and v - v == 0:  # v - v: not inf or nan
            out.append((int(v) if float(v).is_integer() else _SUSPECT) if whole else float(v))
        elif v == "" or v is None:
            out.append(None)
        else:
            out.append(_SUSPECT)
    return out


def _locked_figure(v):
    """A proposal's locked figure as ``_Reader._check_proposal`` compares it: the number, None when empty,
    NaN when it is not a number."""
    if type(v) is float and v - v == 0:
        return v
    value, why = cells.parse_number(v)
    return math.nan if why else value


def _unused_rows(raw: dict[str, list], flagged: dict[str, list[int]], n: int) -> set[int]:
    """A free list's rows with every input cell empty (and no error value in one)."""
    used = set(i for rows in flagged.values() for i in rows)
    for values in raw.values():
        used.update(i for i, v in enumerate(values) if not cells.is_blank(v))
    return set(range(n)) - used


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
            return None, phrase("targets.not-a-choice", value=cells.show(raw))
        return value, None
    return cells.parse_text(raw)


def _fix(c: Column, layout: TargetLayout) -> Message:
    """What to type in a cell of column ``c`` (said in the reader's problem, in the salesperson's language)."""
    if c.dtype == "choice":
        return Message("fix.targets.pick", header=c.header)
    if c.key.startswith(("volume_q", "price_q")):
        what = "volume" if c.key.startswith("volume_q") else "price"
        if layout.unit:
            return Message(f"fix.targets.{what}", q=c.key[-1], unit=layout.unit)
        return Message(f"fix.targets.{what}-no-unit", q=c.key[-1])
    if c.dtype == "integer":
        return Message("fix.targets.whole", header=c.header, min=f"{c.minimum:g}", max=f"{c.maximum:g}")
    if c.dtype == "date":
        return Message("fix.targets.date", header=c.header, first=str(layout.span[0]), last=str(layout.span[1]))
    if c.dtype == "number":
        return Message("fix.targets.number", header=c.header)
    return Message("fix.targets.shorten", header=c.header)


class _Listed(Message):
    """Catalogue phrases joined with commas, said in the language the sentence holding them is said in."""

    def __new__(cls, items: list):
        self = str.__new__(cls, ", ".join(items))
        self.key, self.fields, self.items = "", {}, items
        return self

    def render(self, language: str | None = None) -> str:
        return ("、" if language == "zh-CN" else ", ").join(render(i, language) for i in self.items)

    def __reduce__(self):  # a problem crosses the process boundary of a parallel collect
        return _Listed, (self.items,)


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
