"""The evaluation workbook: one description of every sheet, for the writer and the reader.

One workbook per salesperson (read-only: their numbers) and one for the VP (every salesperson, the
warnings, and the VP's input cells), for a quarter or for the year:

* **Read me**: what the workbook holds and how to use it;
* **Charts**: attainment by salesperson, target against actual revenue by quarter (native charts);
* **Goal vs result**: per salesperson x account x product, the quarter and the year to date:
  volume, price, revenue and gross margin, target and actual, variance and attainment (live
  formulas), and the revenue variance split into price and volume effects;
* **Accounts**: per account, revenue target and actual summed live from Goal vs result, the split
  into price, volume and mix, the year-end forecast and its gap to the annual target;
* **Activities**: visits against the visit cycle (salesperson and executives), trainings held
  against planned, support delivered (and allocated, when resources have been allocated),
  complaints;
* **Services**: the plan's service commitments with the status the VP sets;
* **Scorecard**: per salesperson and goal: weight, target, result, attainment and score (live),
  the VP's rating and comment (input cells in the VP's workbook);
* **Salespeople**: revenue attainment, total score (live from the scorecard), forecast and gap;
* **By quarter**: target and actual revenue per quarter (the chart's data);
* **Early warnings** (VP): accounts ranked by revenue at risk, each flag with its evidence;
* **Class suggestions** (VP): suggested classes for next year from the results so far;
* **Ratings by quarter** (annual workbooks): the VP's ratings and comments of each quarter.

``EvaluationLayout`` builds every ``Table`` from the rows shown; the reader rebuilds it from the
identity block and checks the fingerprint.
"""
from __future__ import annotations

import math
import hashlib
from dataclasses import dataclass

from xlsxwriter.utility import xl_rowcol_to_cell

from kamplan.workbooks.kit.identity import Block, IdentitySpec
from kamplan.workbooks.kit.i18n import book_labels
from kamplan.workbooks.kit.layout import (
    FMT_CENTS, FMT_INT, FMT_PCT, FMT_SCORE, FMT_VOLUME, Column, Table, quote_sheet, with_formulas,
)

# Blocks of row keys, then blocks read as text: the goals and what the VP's cells showed when written.
IDENTITY = IdentitySpec("kamplan.evaluation", 1, blocks=(
    Block("lines", 3, width=3), Block("accounts", 7, width=2), Block("reps", 10),
    Block("services", 12, width=3), Block("goals", 16, width=4, keys=0), Block("shown", 21, width=4, keys=0),
    Block("shown_services", 26, width=5, keys=0),
))
LIST_NAME_PREFIX = "ke_"
HEADER_ROW = 5  # 0-based: title, subtitle, note, note, totals, header
REVIEWER_CELL = (2, 1)  # Scorecard sheet, B3 (VP's workbook): "Evaluated by"
PERIODS = ("q", "ytd")
SERVICE_STATUSES = ("open", "in_progress", "delivered", "late", "dropped")

FMT_MONEY = FMT_PRICE = FMT_CENTS  # the evaluation shows money to the cent
FMT_COUNT = "#,##0.#"

ET, et = book_labels(__file__)  # key -> (English, Chinese), and key, language -> text


@dataclass(frozen=True)
class GoalSpec:
    id: str
    name: str  # as shown
    kind: str  # number or judgement
    weight: float
    # a number goal without a sheet to sum from (issue 15: satisfaction, complaint_rate from the account
    # plans' visit reports): (rep_id, target, result) per salesperson, written as figures
    values: tuple = ()
    lower_is_better: bool = False  # attainment = target / result (complaints per visit report)


# Number goal -> (sheet table, target column, result column) its target and result are summed from.
GOAL_SOURCES = {"revenue": ("results", "ytd_target_revenue", "ytd_actual_revenue"),
                "volume": ("results", "ytd_target_volume", "ytd_actual_volume"),
                "gross_margin": ("results", "ytd_target_gm", "ytd_actual_gm"),
                "visits": ("activities", "ytd_rep_planned", "ytd_rep_made"),
                "trainings": ("activities", "ytd_trainings_planned", "ytd_trainings_held")}


# The columns each period (quarter, year to date) repeats: key, header unit, width, number format, and
# the column's role on Goal vs result and on Accounts (None: not shown there).  A formula column's
# quantity is its key.
PERIOD_COLUMNS = (
    ("target_volume", "volume", 11, FMT_VOLUME, "info", None),
    ("actual_volume", "volume", 11, FMT_VOLUME, "info", None),
    ("volume_var", "volume", 11, FMT_VOLUME, "formula", None),
    ("volume_att", "plain", 10, FMT_PCT, "formula", None),
    ("target_price", "money", 11, FMT_PRICE, "formula", None),
    ("actual_price", "money", 11, FMT_PRICE, "formula", None),
    ("target_revenue", "money", 13, FMT_MONEY, "info", "formula"),
    ("actual_revenue", "money", 13, FMT_MONEY, "info", "formula"),
    ("revenue_var", "money", 13, FMT_MONEY, "formula", "formula"),
    ("revenue_att", "plain", 10, FMT_PCT, "formula", "formula"),
    ("price_effect", "money", 12, FMT_MONEY, "info", "formula"),
    ("volume_effect", "money", 12, FMT_MONEY, "info", "info"),
    ("mix_effect", "money", 12, FMT_MONEY, None, "info"),
    ("target_gm", "money", 12, FMT_MONEY, "info", None),
    ("actual_gm", "money", 12, FMT_MONEY, "info", None),
    ("gm_var", "money", 12, FMT_MONEY, "formula", None),
    ("gm_att", "plain", 10, FMT_PCT, "formula", None),
)


class EvaluationLayout:
    """Where everything sits in an evaluation workbook."""

    def __init__(self, language: str, year: int, quarter: int, evaluation: str, audience: str,
                 lines: list[tuple[str, str, str]], accounts: list[tuple[str, str]], reps: list[str],
                 goals: list[GoalSpec], services: list[tuple[str, str, str]], n_warnings: int = 0,
                 n_classes: int = 0, with_allocation: bool = False, scale: tuple[int, int] = (1, 5),
                 cap: float = 1.2, currency: str = "CNY", unit: str = "", n_wallet: int = 0):
        self.language, self.year, self.quarter = language, year, quarter
        self.evaluation, self.audience = evaluation, audience  # "quarter" | "annual"; "vp" | "rep"
        self.goals, self.scale, self.cap = list(goals), scale, float(cap)
        self.currency, self.unit = currency, unit
        self.with_allocation = with_allocation
        self.is_vp = audience == "vp"
        self.sheet_names = {k: et(f"sheet.{k}", language) for k in
                            ("cover", "charts", "results", "accounts", "activities", "services", "scorecard",
                             "reps", "quarters", "warnings", "classes", "history", "wallet", "lists")}
        self.results = self._results(list(lines))
        self.accounts = self._accounts(list(accounts))
        self.activities = self._activities(list(accounts))
        self.services = self._services(list(services))
        self.scorecard = self._scorecard(list(reps))
        self.reps = self._reps(list(reps))
        self.quarters = self._quarters()
        self.warnings = self._warnings(n_warnings)
        self.classes = self._classes(n_classes)
        self.history = self._history(list(reps)) if evaluation == "annual" else None
        self.wallet = self._wallet(n_wallet) if n_wallet else None  # only where account plans give usage

    # -- helpers -----------------------------------------------------------------------------------
    def _t(self, key: str, **fmt) -> str:
        return et(key, self.language, **fmt)

    def _p(self, period: str) -> str:
        return self._t(f"p.{period}", quarter=self.quarter)

    @property
    def tables(self) -> list[Table]:
        out = [self.results, self.accounts, self.activities, self.services, self.scorecard, self.reps,
               self.quarters]
        if self.is_vp:
            out += [self.warnings, self.classes]
        if self.wallet is not None:
            out.append(self.wallet)
        if self.history is not None:
            out.append(self.history)
        return out

    def list_name(self, name: str) -> str:
        return LIST_NAME_PREFIX + name

    def signature(self) -> str:
        text = f"{IDENTITY.signature_head()}|{self.evaluation}|{self.audience}|" + "|".join(
            tb.layout_signature() for tb in self.tables)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def reviewer_ref(self) -> str:
        return xl_rowcol_to_cell(*REVIEWER_CELL)

    @staticmethod
    def _c(key, header, role, dtype="text", width=12, fmt=None, **kw) -> Column:
        return Column(key, header, role, dtype, width, fmt, **kw)

    def _money(self, key: str, **fmt) -> str:
        return f"{self._t(key, **fmt)} ({self.currency})"

    def _vol(self, key: str, **fmt) -> str:
        return f"{self._t(key, **fmt)} ({self.unit})" if self.unit else self._t(key, **fmt)

    def _account_key_columns(self) -> list[Column]:
        """Salesperson, account id and account name: the first columns of every per-account table."""
        return [Column("rep_id", self._t("col.rep_id"), "key", width=10),
                Column("account_id", self._t("col.account_id"), "key", width=10),
                Column("account", self._t("col.account"), "info", width=22)]

    def _period_columns(self, per: str, on_results: bool) -> list[Column]:
        """The PERIOD_COLUMNS of period ``per`` ("q" or "ytd") on Goal vs result (``on_results``) or on
        Accounts: keys prefixed with the period, headers naming it and the currency or unit."""
        p, header = self._p(per), {"volume": self._vol, "money": self._money, "plain": self._t}
        out = []
        for key, unit, width, fmt, results_role, accounts_role in PERIOD_COLUMNS:
            role = results_role if on_results else accounts_role
            if role is not None:
                out.append(Column(per + "_" + key, header[unit](f"c.{key}", p=p), role, "number", width, fmt,
                                  **({"quantity": key} if role == "formula" else {})))
        return out

    def _sumifs(self, src: Table, value: str, crit: list[tuple[str, str]]) -> str:
        """SUMIFS over ``src``'s column ``value`` where each key column equals a cell of this row."""
        if not src.n_rows:
            return "0"
        parts = [src.qualified_span(value)]
        for key, cell in crit:
            parts += [src.qualified_span(key), cell]
        return "SUMIFS(" + ",".join(parts) + ")"

    # -- Goal vs result ------------------------------------------------------------------------------
    def _results(self, keys: list[tuple[str, str, str]]) -> Table:
        c = self._c
        cols = self._account_key_columns() + [
                c("product_id", self._t("col.product_id"), "key", width=9),
                c("product", self._t("col.product"), "info", width=16)]
        for per in PERIODS:
            cols += self._period_columns(per, on_results=True)
        table = Table("results", self.sheet_names["results"], tuple(cols), HEADER_ROW, row_keys=tuple(keys),
                      total_row=HEADER_ROW - 1, title=self.sheet_names["results"])
        f = {}
        for per in PERIODS:
            k = per + "_"
            L = {x: table.letter(k + x) for x in ("target_volume", "actual_volume", "target_revenue", "actual_revenue",
                                                  "target_gm", "actual_gm")}
            f[k + "volume_var"] = _diff(L["actual_volume"], L["target_volume"])
            f[k + "volume_att"] = _att(L["actual_volume"], L["target_volume"])
            f[k + "target_price"] = _att(L["target_revenue"], L["target_volume"])
            f[k + "actual_price"] = _att(L["actual_revenue"], L["actual_volume"])
            f[k + "revenue_var"] = money_diff(L["actual_revenue"], L["target_revenue"])
            f[k + "revenue_att"] = _att(L["actual_revenue"], L["target_revenue"])
            f[k + "gm_var"] = money_diff(L["actual_gm"], L["target_gm"])
            f[k + "gm_att"] = _att(L["actual_gm"], L["target_gm"])
        return with_formulas(table, f)

    def result_sums(self) -> list[str]:
        out = []
        for per in PERIODS:
            out += [per + "_" + x for x in ("target_volume", "actual_volume", "volume_var", "target_revenue",
                                            "actual_revenue", "price_effect", "volume_effect",
                                            "target_gm", "actual_gm")]
        return out

    @staticmethod
    def money_variances(table: Table, what=("revenue", "gm")) -> dict:
        """The totals line's money variances: the displayed (rounded) actual minus the displayed target of the
        same line, as the engine computes every level's variance -- not the sum of the rows' variances."""
        return {f"{per}_{w}_var": money_diff(table.letter(f"{per}_actual_{w}"), table.letter(f"{per}_target_{w}"))
                for per in PERIODS for w in what if f"{per}_target_{w}" in {c.key for c in table.columns}}

    # -- Accounts --------------------------------------------------------------------------------------
    def _accounts(self, keys: list[tuple[str, str]]) -> Table:
        c = self._c
        cols = self._account_key_columns()
        for per in PERIODS:
            cols += self._period_columns(per, on_results=False)
        cols += [c("forecast", self._money("col.forecast"), "info", "number", 14, FMT_MONEY),
                 c("annual_target", self._money("col.annual_target"), "info", "number", 14, FMT_MONEY),
                 c("gap", self._money("col.gap"), "formula", "number", 13, FMT_MONEY, quantity="gap"),
                 c("method", self._t("col.method"), "info", width=14)]
        table = Table("accounts", self.sheet_names["accounts"], tuple(cols), HEADER_ROW, row_keys=tuple(keys),
                      total_row=HEADER_ROW - 1, title=self.sheet_names["accounts"])
        rs = self.results
        f = {}
        for per in PERIODS:
            k = per + "_"
            for x in ("target_revenue", "actual_revenue", "price_effect"):
                f[k + x] = (lambda x: lambda r: "=" + self._sumifs(
                    rs, x, [("rep_id", f"$A{r + 1}"), ("account_id", f"$B{r + 1}")]))(k + x)
            t, a = table.letter(k + "target_revenue"), table.letter(k + "actual_revenue")
            f[k + "revenue_var"] = money_diff(a, t)
            f[k + "revenue_att"] = _att(a, t)
        f["gap"] = _diff(table.letter("forecast"), table.letter("annual_target"))
        return with_formulas(table, f)

    def account_sums(self) -> list[str]:
        out = [per + "_" + x for per in PERIODS for x in ("target_revenue", "actual_revenue",
                                                          "price_effect", "volume_effect", "mix_effect")]
        return out + ["forecast", "annual_target", "gap"]

    # -- Activities ------------------------------------------------------------------------------------
    def _activities(self, keys: list[tuple[str, str]]) -> Table:
        c = self._c
        cols = self._account_key_columns()
        for per in PERIODS:
            p, k = self._p(per), per + "_"
            cols += [c(k + "rep_planned", self._t("c.rep_planned", p=p), "info", "number", 9, FMT_COUNT),
                     c(k + "rep_made", self._t("c.rep_made", p=p), "info", "number", 9, FMT_COUNT),
                     c(k + "visit_att", self._t("c.visit_att", p=p), "formula", "number", 9, FMT_PCT,
                       quantity="visit_att"),
                     c(k + "exec_planned", self._t("c.exec_planned", p=p), "info", "number", 10, FMT_COUNT),
                     c(k + "exec_made", self._t("c.exec_made", p=p), "info", "number", 10, FMT_COUNT)]
        p = self._p("ytd")
        cols += [c("ytd_trainings_planned", self._t("c.trainings_planned", p=p), "info", "number", 9, FMT_COUNT),
                 c("ytd_trainings_held", self._t("c.trainings_held", p=p), "info", "number", 9, FMT_COUNT),
                 c("ytd_training_att", self._t("c.training_att", p=p), "formula", "number", 9, FMT_PCT,
                   quantity="training_att")]
        if self.with_allocation:
            cols.append(c("support_allocated", self._t("col.support_allocated"), "info", "number", 11, FMT_COUNT))
        cols += [c("ytd_support_delivered", self._t("col.support_delivered"), "info", "number", 11, FMT_COUNT),
                 c("open_complaints", self._t("col.open_complaints"), "info", "integer", 9, FMT_INT),
                 c("complaints", self._t("col.complaints"), "info", "integer", 9, FMT_INT)]
        table = Table("activities", self.sheet_names["activities"], tuple(cols), HEADER_ROW, row_keys=tuple(keys),
                      total_row=HEADER_ROW - 1, title=self.sheet_names["activities"])
        f = {}
        for per in PERIODS:
            k = per + "_"
            f[k + "visit_att"] = _att(table.letter(k + "rep_made"), table.letter(k + "rep_planned"))
        f["ytd_training_att"] = _att(table.letter("ytd_trainings_held"), table.letter("ytd_trainings_planned"))
        return with_formulas(table, f)

    def activity_sums(self) -> list[str]:
        return [c.key for c in self.activities.columns if c.role == "info" and c.dtype in ("number", "integer")]

    # -- Services ----------------------------------------------------------------------------------------
    def _services(self, keys: list[tuple[str, str, str]]) -> Table:
        c = self._c
        role = "input" if self.is_vp else "info"
        L = self.language
        cols = (c("rep_id", self._t("col.rep_id"), "key", width=10),
                c("account_id", self._t("col.account_id"), "key", width=10),
                c("no", self._t("col.no"), "key", width=5),
                c("account", self._t("col.account"), "info", width=22),
                c("commitment", self._t("col.commitment"), "info", width=40),
                c("measure", self._t("col.measure"), "info", width=28),
                c("due", self._t("col.due"), "info", "date", 11, "yyyy-mm-dd"),
                c("status", self._t("col.status"), role, "choice", 13, choices="statuses",
                  help=et("val.status", L)),
                c("note", self._t("col.note"), role, "text", 36))
        return Table("services", self.sheet_names["services"], cols, HEADER_ROW, row_keys=tuple(keys),
                     title=self.sheet_names["services"])

    # -- Scorecard -----------------------------------------------------------------------------------------
    def _scorecard(self, reps: list[str]) -> Table:
        c = self._c
        role = "input" if self.is_vp else "info"
        lo, hi = self.scale
        cols = (c("rep_id", self._t("col.rep_id"), "key", width=10),
                c("goal", self._t("col.goal_id"), "key", width=13),
                c("rep", self._t("col.rep"), "info", width=12),
                c("goal_name", self._t("col.goal"), "info", width=26),
                c("kind", self._t("col.goal_kind"), "info", width=9),
                c("weight", self._t("col.weight"), "info", "number", 7, "0.00"),
                c("target", self._t("col.target"), "formula", "number", 14, FMT_MONEY, quantity="target"),
                c("result", self._t("col.result"), "formula", "number", 14, FMT_MONEY, quantity="result"),
                c("attainment", self._t("col.attainment"), "formula", "number", 10, FMT_PCT, quantity="attainment"),
                c("rating", self._t("col.rating"), role, "integer", 9, FMT_INT, minimum=lo, maximum=hi,
                  help=et("val.rating", self.language, lo=lo, hi=hi)),
                c("score", self._t("col.score"), "formula", "number", 8, FMT_SCORE, quantity="score"),
                c("comment", self._t("col.comment"), role, "text", 44))
        keys = tuple((r, g.id) for r in reps for g in self.goals)
        table = Table("scorecard", self.sheet_names["scorecard"], cols, HEADER_ROW, row_keys=keys,
                      title=self.sheet_names["scorecard"])
        kinds = {g.id: g.kind for g in self.goals}
        given = {(rep, g.id): (t, r) for g in self.goals for rep, t, r in g.values}
        inverse = {g.id for g in self.goals if g.lower_is_better}
        sources = {"results": self.results, "activities": self.activities}
        rep_col = table.letter("rep_id")
        lo_, hi_ = lo, hi
        cap = self.cap

        def source(which):
            def formula(r):
                rep, goal = keys[r - table.first_row]
                if kinds[goal] != "number":
                    return '=""'
                if goal not in GOAL_SOURCES:
                    value = given.get((rep, goal), (math.nan, math.nan))[0 if which == "target" else 1]
                    return '=""' if value is None or math.isnan(value) else f"={float(value)!r}"
                tb_key, tcol, acol = GOAL_SOURCES[goal]
                col = tcol if which == "target" else acol
                return "=" + self._sumifs(sources[tb_key], col, [("rep_id", f"${rep_col}{r + 1}")])
            return formula

        tl, rl, al, ra = (table.letter(k) for k in ("target", "result", "attainment", "rating"))

        def score(r):
            goal = keys[r - table.first_row][1]
            n = r + 1
            if kinds[goal] == "number":
                return f'=IF(ISNUMBER({al}{n}),100*MIN({al}{n},{cap!r}),"")'
            return f'=IF(ISNUMBER({ra}{n}),({ra}{n}-{lo_})/({hi_}-{lo_})*100,"")'

        def att(r):
            n = r + 1
            if keys[r - table.first_row][1] in inverse:  # no complaint at all: the cap
                return (f'=IF(AND(ISNUMBER({tl}{n}),ISNUMBER({rl}{n})),IF(N({rl}{n})>0,{tl}{n}/{rl}{n},{cap!r}),"")')
            # A goal without a result (nothing measured, e.g. no visit reports) attains nothing: blank.
            return f'=IF(AND(ISNUMBER({tl}{n}),N({tl}{n})>0,ISNUMBER({rl}{n})),{rl}{n}/{tl}{n},"")'
        return with_formulas(table, {"target": source("target"), "result": source("result"), "attainment": att,
                                      "score": score})

    def scorecard_rows(self, rep: str) -> tuple[int, int]:
        """First and last 0-based sheet row of ``rep`` on the Scorecard."""
        i = [k[0] for k in self.scorecard.row_keys].index(rep)
        return self.scorecard.first_row + i, self.scorecard.first_row + i + len(self.goals) - 1

    # -- Salespeople ------------------------------------------------------------------------------------
    def _reps(self, reps: list[str]) -> Table:
        c = self._c
        cols = (c("rep_id", self._t("col.rep_id"), "key", width=10),
                c("rep", self._t("col.rep"), "info", width=14),
                c("ytd_target_revenue", self._money("c.target_revenue", p=self._p("ytd")), "formula", "number", 14,
                  FMT_MONEY, quantity="target_revenue"),
                c("ytd_actual_revenue", self._money("c.actual_revenue", p=self._p("ytd")), "formula", "number", 14,
                  FMT_MONEY, quantity="actual_revenue"),
                c("ytd_revenue_att", self._t("c.revenue_att", p=self._p("ytd")), "formula", "number", 10, FMT_PCT,
                  quantity="revenue_att"),
                c("score", self._t("col.total_score"), "formula", "number", 9, FMT_SCORE, quantity="total_score"),
                c("forecast", self._money("col.forecast"), "formula", "number", 14, FMT_MONEY, quantity="forecast"),
                c("annual_target", self._money("col.annual_target"), "formula", "number", 14, FMT_MONEY,
                  quantity="annual_target"),
                c("gap", self._money("col.gap"), "formula", "number", 13, FMT_MONEY, quantity="gap"))
        table = Table("reps", self.sheet_names["reps"], cols, HEADER_ROW, row_keys=tuple((r,) for r in reps),
                      total_row=HEADER_ROW - 1, title=self.sheet_names["reps"])
        rs, ac, sc = self.results, self.accounts, self.scorecard

        def summed(src, col):
            return lambda r: "=" + self._sumifs(src, col, [("rep_id", f"$A{r + 1}")])

        def total_score(r):
            rep = reps[r - table.first_row]
            a, b = self.scorecard_rows(rep)
            w = f"{quote_sheet(sc.sheet)}!${sc.letter('weight')}${a + 1}:${sc.letter('weight')}${b + 1}"
            s = f"{quote_sheet(sc.sheet)}!${sc.letter('score')}${a + 1}:${sc.letter('score')}${b + 1}"
            known = f"SUMPRODUCT({w},--ISNUMBER({s}))"
            return f'=IF({known}>0,SUMPRODUCT({w},{s})/{known},"")'
        L = table.letter
        return with_formulas(table, {
            "ytd_target_revenue": summed(rs, "ytd_target_revenue"), "ytd_actual_revenue": summed(rs, "ytd_actual_revenue"),
            "ytd_revenue_att": _att(L("ytd_actual_revenue"), L("ytd_target_revenue")), "score": total_score,
            "forecast": summed(ac, "forecast"), "annual_target": summed(ac, "annual_target"),
            "gap": _diff(L("forecast"), L("annual_target"))})

    # -- By quarter, warnings, classes, ratings history ------------------------------------------------------
    def _quarters(self) -> Table:
        c = self._c
        cols = (c("quarter", self._t("col.quarter"), "key", width=9),
                c("target_revenue", self._money("col.q_target"), "info", "number", 15, FMT_MONEY),
                c("actual_revenue", self._money("col.q_actual"), "info", "number", 15, FMT_MONEY))
        return Table("quarters", self.sheet_names["quarters"], cols, HEADER_ROW,
                     row_keys=tuple((f"Q{q}",) for q in (1, 2, 3, 4)), total_row=HEADER_ROW - 1,
                     title=self.sheet_names["quarters"])

    def _warnings(self, n: int) -> Table:
        c = self._c
        cols = (c("rank", self._t("col.rank"), "info", "integer", 6, FMT_INT),
                c("account_id", self._t("col.account_id"), "info", width=10),
                c("account", self._t("col.account"), "info", width=22),
                c("rep", self._t("col.rep"), "info", width=12),
                c("at_risk", self._money("col.at_risk"), "info", "number", 15, FMT_MONEY),
                c("flags", self._t("col.flags"), "info", width=28),
                c("evidence", self._t("col.evidence"), "info", width=90))
        return Table("warnings", self.sheet_names["warnings"], cols, 3, row_keys=tuple((str(i),) for i in range(n)),
                     title=self.sheet_names["warnings"])

    def _classes(self, n: int) -> Table:
        c = self._c
        cols = (c("account_id", self._t("col.account_id"), "info", width=10),
                c("account", self._t("col.account"), "info", width=22),
                c("rep", self._t("col.rep"), "info", width=12),
                c("cls", self._t("col.class"), "info", width=10),
                c("suggested", self._t("col.suggested"), "info", width=12),
                c("attainment", self._t("col.attainment"), "info", "number", 10, FMT_PCT),
                c("growth", self._t("col.growth"), "info", "number", 10, FMT_PCT),
                c("reason", self._t("col.reason"), "info", width=50))
        return Table("classes", self.sheet_names["classes"], cols, 3, row_keys=tuple((str(i),) for i in range(n)),
                     title=self.sheet_names["classes"])

    def _history(self, reps: list[str]) -> Table:
        c = self._c
        cols = [c("rep_id", self._t("col.rep_id"), "key", width=10), c("goal", self._t("col.goal_id"), "key", width=13),
                c("goal_name", self._t("col.goal"), "info", width=24)]
        for q in (1, 2, 3, 4):
            cols += [c(f"q{q}_rating", self._t("col.q_rating", q=q), "info", "number", 8, FMT_INT),
                     c(f"q{q}_score", f"Q{q} {self._t('col.score')}", "info", "number", 8, FMT_SCORE),
                     c(f"q{q}_comment", self._t("col.q_comment", q=q), "info", width=30)]
        keys = tuple((r, g.id) for r in reps for g in self.goals)
        return Table("history", self.sheet_names["history"], tuple(cols), 3, row_keys=keys,
                     title=self.sheet_names["history"])


    def _wallet(self, n: int) -> Table:
        """Share of wallet (issue 15) per account and product in the quarter: our volume against the customer's
        usage (the account plan's Business sheet); share, what it buys elsewhere and whitespace are live."""
        c = self._c
        p = self._p("q")
        cols = (c("rep_id", self._t("col.rep_id"), "info", width=10),
                c("account_id", self._t("col.account_id"), "info", width=10),
                c("account", self._t("col.account"), "info", width=22),
                c("product_id", self._t("col.product_id"), "info", width=9),
                c("product", self._t("col.product"), "info", width=16),
                c("unit", self._t("col.unit"), "info", width=8),
                c("usage", self._t("w.usage", p=p), "info", "number", 13, FMT_VOLUME),
                c("ours", self._t("w.ours", p=p), "info", "number", 13, FMT_VOLUME),
                c("revenue", self._money("w.revenue", p=p), "info", "number", 14, FMT_MONEY),
                c("share", self._t("w.share", p=p), "formula", "number", 10, FMT_PCT, quantity="share"),
                c("elsewhere", self._t("w.elsewhere", p=p), "formula", "number", 13, FMT_VOLUME,
                  quantity="elsewhere"),
                c("whitespace", self._t("w.whitespace"), "formula", "text", 12, quantity="whitespace"))
        table = Table("wallet", self.sheet_names["wallet"], cols, 3, row_keys=tuple((str(i),) for i in range(n)),
                      title=self.sheet_names["wallet"])
        u, o = table.letter("usage"), table.letter("ours")
        yes = self._t("w.yes").replace('"', "'")
        return with_formulas(table, {
            "share": lambda r: f'=IF(N({u}{r + 1})>0,{o}{r + 1}/{u}{r + 1},"")',
            "elsewhere": lambda r: f"=MAX({u}{r + 1}-{o}{r + 1},0)",
            "whitespace": lambda r: f'=IF(AND(N({u}{r + 1})>0,N({o}{r + 1})<=0),"{yes}","")'})


def money_diff(a: str, b: str):
    """A money variance as the engine computes it (``engine.evaluation.cents``): the difference of the two
    amounts rounded to the cent, so that every level shows the difference of the cents it displays."""
    return lambda r: f"=ROUND({a}{r + 1},2)-ROUND({b}{r + 1},2)"


def _diff(a: str, b: str):
    return lambda r: f"={a}{r + 1}-{b}{r + 1}"


def _att(num: str, den: str):
    return lambda r: f'=IF(N({den}{r + 1})>0,{num}{r + 1}/{den}{r + 1},"")'
