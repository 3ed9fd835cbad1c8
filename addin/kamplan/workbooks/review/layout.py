"""The account review workbook: one description of every sheet, for the writer and the reader.

The VP's workbook after ``kamplan accounts segment``:

* **Read me**: the headline sentences, the profit curve in one sentence, live counts of the
  effective classes with their defaults, and how to use the workbook;
* **Charts**: a Pareto chart (bars per account, cumulative share on a secondary axis) and the
  whale curve (cumulative profit against cumulative accounts), native Excel charts;
* **Accounts**: the ranking with shares and cumulative shares of volume, revenue and gross
  margin, cost to serve, profit, scores per group, class, why, the VP's override, the
  effective class, last year's class and flags;
* **Scores**: every indicator's raw and normalised value, the weights, and the group scores as
  live formulas (judgements typed into the Review sheet update them as you type);
* **Products**: profit per account x product with the cost to serve split as stated;
* **Profit curve**: accounts (or groups of accounts) by profit with cumulative shares;
* **Movement** and **Develop candidates**: who moved class since last year and why; small
  accounts that grow fast;
* **Review**: the only input sheet: override class (dropdown) and reason, and judgement scores
  on the configured scale, per account; "Reviewed by" above the table.

``ReviewLayout`` builds every ``Table`` (columns, formulas, rows) from the accounts shown and the
indicators; the reader rebuilds it from the workbook's identity block.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from kamplan.workbooks.kit.identity import Block, IdentitySpec
from kamplan.workbooks.kit.i18n import book_labels
from kamplan.workbooks.kit.layout import (
    FMT_INT, FMT_MONEY, FMT_PCT, FMT_SCORE, FMT_VOLUME, Column, Table, quote_sheet, with_formulas,
)

IDENTITY = IdentitySpec("kamplan.review", 1, blocks=(
    Block("accounts", 3, headers=("accounts", "override_in_force"), keys=1),  # override: what was in force
    Block("indicators", 6, headers=("indicator", "header", "group", "source", "weight", "higher_is_better"), keys=0),
    Block("group_weights", 13, headers=("group_weight",), width=2, keys=0),
    Block("min_coverage", 16, keys=0, flat=True),
))
LIST_NAME_PREFIX = "kr_"  # defined names: kr_classes
HEADER_ROW = 5  # 0-based: title, subtitle, notes (reviewer), notes, totals or weights, header
REVIEWER_CELL = (2, 1)  # Review sheet, B3: "Reviewed by" input
EVEN_SPLIT = "even"  # the "split" value of a product line whose account cost is split evenly

FMT_SHARE = "0.000"

RT, rt = book_labels(__file__)  # key -> (English, Chinese), and key, language -> text


@dataclass(frozen=True)
class ReviewIndicator:
    id: str
    name: str  # as shown (workbook language)
    group: str
    source: str  # data or judgement
    weight: float
    higher_is_better: bool = True


@dataclass(frozen=True)
class ScoreRules:
    """What the Scores sheet's formulas need."""
    group_weights: tuple[tuple[str, float], ...] = (("hard", 0.5), ("strength", 0.25), ("capability", 0.25))
    min_coverage: float = 0.6
    scale: tuple[int, int] = (1, 5)
    live_judgements: bool = True  # judgement normalisation "scale": normalised by formula from the Review sheet


GROUP_ORDER = ("hard", "strength", "capability")


class ReviewLayout:
    """Where everything sits in the account review workbook."""

    def __init__(self, language: str, plan_year: int, accounts: list[str], indicators: list[ReviewIndicator],
                 score_rules: ScoreRules = ScoreRules(), lines: list[tuple[str, str]] = (),
                 whale: list[str] = (), movement: list[str] = (), candidates: list[str] = (),
                 currency: str = "CNY", unit: str = "", allocation: str = "revenue", measure: str = "volume"):
        self.language = language
        self.measure = measure
        self.plan_year = plan_year
        self.accounts = list(accounts)
        # indicators in group order, then as configured
        self.indicators = sorted(indicators, key=lambda i: GROUP_ORDER.index(i.group))
        self.judged = [i for i in self.indicators if i.source == "judgement"]
        self.rules = score_rules
        self.currency = currency
        self.unit = unit
        self.allocation = allocation
        self.sheet_names = {k: rt(f"sheet.{k}", language) for k in
                            ("cover", "charts", "ranking", "scores", "lines", "whale", "movement", "candidates",
                             "review", "lists")}
        self.review = self._review_table()
        self.scores = self._scores_table()
        self.ranking = self._ranking_table()
        self.lines = self._lines_table(list(lines))
        self.whale = self._whale_table(list(whale))
        self.movement = self._movement_table(list(movement))
        self.candidates = self._candidates_table(list(candidates))

    # -- helpers -----------------------------------------------------------------------------------
    def _t(self, key: str, **fmt) -> str:
        return rt(key, self.language, **fmt)

    @property
    def tables(self) -> list[Table]:
        return [self.ranking, self.scores, self.lines, self.whale, self.movement, self.candidates, self.review]

    def list_name(self, name: str) -> str:
        return LIST_NAME_PREFIX + name

    def signature(self) -> str:
        """Fingerprint of the column layout (not of the rows), stored in the identity block."""
        text = f"{IDENTITY.signature_head()}|" + "|".join(tb.layout_signature() for tb in self.tables)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _measure_header(self) -> str:
        if self.measure == "volume":
            return self._vol("col.volume")
        return f"{self._t('col.' + self.measure)} ({self.currency})"

    def _measure_format(self) -> str:
        return FMT_VOLUME if self.measure == "volume" else FMT_MONEY

    def measure_column(self) -> str:
        """The ranking column of the Pareto measure (bars of the Pareto chart) and its cumulative share."""
        return {"volume": ("volume", "volume_cum"), "revenue": ("revenue", "revenue_cum"),
                "gross_margin": ("gross_margin", "gm_cum")}[self.measure]

    def _money(self, key: str) -> str:
        return f"{self._t(key)} ({self.currency})"

    def _vol(self, key: str) -> str:
        return f"{self._t(key)} ({self.unit})" if self.unit else self._t(key)

    @staticmethod
    def _c(key, header, role, dtype="text", width=12, fmt=None, **kw) -> Column:
        return Column(key, header, role, dtype, width, fmt, **kw)

    # -- Review (input) ------------------------------------------------------------------------------
    def _review_table(self) -> Table:
        L = self.language
        lo, hi = self.rules.scale
        cols = [
            self._c("account_id", self._t("col.account_id"), "key", width=11),
            self._c("account", self._t("col.account"), "info", width=24),
            self._c("rep", self._t("col.rep"), "info", width=12),
            self._c("computed_class", self._t("col.computed_class"), "info", width=12),
            self._c("reason", self._t("col.reason"), "info", width=40),
            self._c("previous_class", self._t("col.previous_class"), "info", width=11),
            self._c("in_force", self._t("col.in_force"), "info", width=24),
            self._c("override_class", self._t("col.override_class"), "input", "choice", 14, choices="classes",
                    help=rt("val.class", L)),
            self._c("override_reason", self._t("col.override_reason"), "input", "text", 36,
                    help=rt("val.reason", L)),
            self._c("effective_class", self._t("col.effective_class"), "formula", "text", 13,
                    quantity="effective_class"),
        ]
        for ind in self.judged:
            cols.append(self._c(f"j_{ind.id}", ind.name, "input", "integer", 10, FMT_INT, minimum=lo, maximum=hi,
                                help=rt("val.judgement", L, lo=lo, hi=hi)))
        table = Table("review", self.sheet_names["review"], tuple(cols), HEADER_ROW,
                      row_keys=tuple((a,) for a in self.accounts), title=self._t("sheet.review"))
        oc, cc = table.letter("override_class"), table.letter("computed_class")
        return with_formulas(table, {
            "effective_class": lambda r: f'=IF(TRIM({oc}{r + 1})="",{cc}{r + 1},TRIM({oc}{r + 1}))'})

    def reviewer_ref(self) -> str:
        return xl_rowcol_to_cell(*REVIEWER_CELL)

    # -- Scores --------------------------------------------------------------------------------------
    def _scores_table(self) -> Table:
        cols = [self._c("account_id", self._t("col.account_id"), "key", width=11),
                self._c("account", self._t("col.account"), "info", width=22)]
        live = self.rules.live_judgements
        for ind in self.indicators:
            role = "formula" if ind.source == "judgement" and live else "info"
            cols.append(self._c(f"raw_{ind.id}", self._t("col.raw", name=ind.name), role, "number", 12,
                                self._raw_format(ind), quantity="raw"))
        for ind in self.indicators:
            role = "formula" if ind.source == "judgement" and live else "info"
            cols.append(self._c(f"norm_{ind.id}", self._t("col.norm", name=ind.name), role, "number", 11,
                                FMT_SCORE, quantity="norm"))
        for g in GROUP_ORDER:
            cols.append(self._c(f"score_{g}", self._t(f"col.score_{g}"), "formula", "number", 11, FMT_SCORE,
                                quantity=f"score_{g}"))
        cols += [self._c("score", self._t("col.score"), "formula", "number", 10, FMT_SCORE, quantity="score"),
                 self._c("potential", self._t("col.potential"), "formula", "number", 10, FMT_SCORE,
                         quantity="potential"),
                 self._c("judged", self._t("col.judged"), "formula", "number", 9, FMT_PCT, quantity="judged")]
        table = Table("scores", self.sheet_names["scores"], tuple(cols), HEADER_ROW,
                      row_keys=tuple((a,) for a in self.accounts), total_row=HEADER_ROW - 1,
                      title=self._t("sheet.scores"))
        return with_formulas(table, self._score_formulas(table))

    @staticmethod
    def _raw_format(ind: ReviewIndicator) -> str:
        if ind.source == "judgement":
            return FMT_INT
        return {"revenue": FMT_MONEY, "gross_margin": FMT_MONEY, "cost_to_serve": FMT_MONEY, "profit": FMT_MONEY,
                "volume": FMT_VOLUME, "visits": FMT_INT}.get(ind.id, "0.000")

    def group_norm_columns(self, group: str) -> list[str]:
        return [f"norm_{i.id}" for i in self.indicators if i.group == group]

    def weight_row(self) -> int:
        return HEADER_ROW - 1

    def _score_formulas(self, sc: Table) -> dict:
        f: dict = {}
        rv = self.review
        lo, hi = self.rules.scale
        w = self.weight_row() + 1  # 1-based
        if self.rules.live_judgements:
            for ind in self.judged:
                src = f"{quote_sheet(rv.sheet)}!{rv.letter(f'j_{ind.id}')}"
                f[f"raw_{ind.id}"] = (lambda src: lambda r: f'=IF(ISNUMBER({src}{r + 1}),{src}{r + 1},"")')(src)
                raw = sc.letter(f"raw_{ind.id}")
                body = "({raw}{n}-{lo})/({hi}-{lo})*100"
                if ind.higher_is_better:
                    f[f"norm_{ind.id}"] = (lambda raw: lambda r: (
                        f'=IF(ISNUMBER({raw}{r + 1}),' + body.format(raw=raw, n=r + 1, lo=lo, hi=hi) + ',"")'))(raw)
                else:
                    f[f"norm_{ind.id}"] = (lambda raw: lambda r: (
                        f'=IF(ISNUMBER({raw}{r + 1}),100-' + body.format(raw=raw, n=r + 1, lo=lo, hi=hi)
                        + ',"")'))(raw)
        mincov = self.rules.min_coverage
        for g in GROUP_ORDER:
            cols = self.group_norm_columns(g)
            if not cols:
                f[f"score_{g}"] = lambda r: '=""'
                continue
            a, b = sc.letter(cols[0]), sc.letter(cols[-1])
            wr = f"${a}${w}:${b}${w}"

            def group(r, a=a, b=b, wr=wr):
                n = r + 1
                known = f"SUMPRODUCT({wr},--ISNUMBER({a}{n}:{b}{n}))"
                return (f'=IF(AND({known}>0,{known}>={mincov!r}*SUM({wr})-1E-9),'
                        f'SUMPRODUCT({wr},{a}{n}:{b}{n})/{known},"")')
            f[f"score_{g}"] = group
        gw = dict(self.rules.group_weights)

        def combine(groups):
            use = [g for g in groups if gw.get(g, 0) > 0]
            if not use:
                return lambda r: '=""'

            def formula(r):
                n = r + 1
                cells = {g: f"{sc.letter(f'score_{g}')}{n}" for g in use}
                test = ",".join(f"ISNUMBER({cells[g]})" for g in use)
                num = "+".join(f"{gw[g]!r}*{cells[g]}" for g in use)
                den = "+".join(f"{gw[g]!r}" for g in use)
                return f'=IF(AND({test}),({num})/({den}),"")'
            return formula
        f["score"] = combine(GROUP_ORDER)
        f["potential"] = combine(("strength", "capability"))
        if self.judged:
            raws = [sc.letter(f"raw_{i.id}") for i in self.judged]
            k = len(raws)
            f["judged"] = lambda r: "=COUNT(" + ",".join(f"{c}{r + 1}" for c in raws) + f")/{k}"
        else:
            f["judged"] = lambda r: '=""'
        return f

    # -- Accounts (ranking) ------------------------------------------------------------------------------
    def _ranking_table(self) -> Table:
        cur = self.currency
        cols = [
            self._c("rank", self._t("col.rank"), "info", "integer", 6, FMT_INT),
            self._c("account_id", self._t("col.account_id"), "key", width=11),
            self._c("account", self._t("col.account"), "info", width=24),
            self._c("rep", self._t("col.rep"), "info", width=11),
            self._c("abc", self._t("col.abc"), "info", width=5),
            self._c("big", self._t("col.big"), "info", width=6),
            self._c("volume", self._vol("col.volume"), "info", "number", 11, FMT_VOLUME),
            self._c("volume_share", self._t("col.volume_share"), "formula", "number", 9, FMT_PCT,
                    quantity="volume_share"),
            self._c("volume_cum", self._t("col.volume_cum"), "formula", "number", 11, FMT_PCT,
                    quantity="volume_cum"),
            self._c("revenue", f"{self._t('col.revenue')} ({cur})", "info", "number", 14, FMT_MONEY),
            self._c("revenue_share", self._t("col.revenue_share"), "formula", "number", 9, FMT_PCT,
                    quantity="revenue_share"),
            self._c("revenue_cum", self._t("col.revenue_cum"), "formula", "number", 11, FMT_PCT,
                    quantity="revenue_cum"),
            self._c("gross_margin", f"{self._t('col.gross_margin')} ({cur})", "info", "number", 13, FMT_MONEY),
            self._c("gm_share", self._t("col.gm_share"), "formula", "number", 9, FMT_PCT, quantity="gm_share"),
            self._c("gm_cum", self._t("col.gm_cum"), "formula", "number", 11, FMT_PCT, quantity="gm_cum"),
            self._c("cost_to_serve", f"{self._t('col.cost_to_serve')} ({cur})", "info", "number", 13, FMT_MONEY),
            self._c("profit", f"{self._t('col.profit')} ({cur})", "formula", "number", 13, FMT_MONEY,
                    quantity="profit"),
            self._c("profit_margin", self._t("col.profit_margin"), "formula", "number", 9, FMT_PCT,
                    quantity="profit_margin"),
            self._c("profit_rank", self._t("col.profit_rank"), "info", "integer", 8, FMT_INT),
            self._c("growth", self._t("col.growth"), "info", "number", 9, FMT_PCT),
            self._c("score_hard", self._t("col.score_hard"), "formula", "number", 9, FMT_SCORE,
                    quantity="score_hard"),
            self._c("score_strength", self._t("col.score_strength"), "formula", "number", 9, FMT_SCORE,
                    quantity="score_strength"),
            self._c("score_capability", self._t("col.score_capability"), "formula", "number", 9, FMT_SCORE,
                    quantity="score_capability"),
            self._c("score", self._t("col.score"), "formula", "number", 9, FMT_SCORE, quantity="score"),
            self._c("computed_class", self._t("col.computed_class"), "info", width=11),
            self._c("reason", self._t("col.reason"), "info", width=48),
            self._c("override", self._t("col.override"), "formula", "text", 11, quantity="override"),
            self._c("class", self._t("col.class"), "formula", "text", 11, quantity="class"),
            self._c("previous_class", self._t("col.previous_class"), "info", width=10),
            self._c("change", self._t("col.change"), "info", width=9),
            self._c("flags", self._t("col.flags"), "info", width=36),
        ]
        table = Table("ranking", self.sheet_names["ranking"], tuple(cols), HEADER_ROW,
                      row_keys=tuple((a,) for a in self.accounts), total_row=HEADER_ROW - 1,
                      title=self._t("sheet.ranking"))
        return with_formulas(table, self._ranking_formulas(table))

    def _ranking_formulas(self, rk: Table) -> dict:
        t = rk.total_row + 1
        first = rk.first_row + 1
        f: dict = {}
        for val, share, cum in (("volume", "volume_share", "volume_cum"), ("revenue", "revenue_share", "revenue_cum"),
                                ("gross_margin", "gm_share", "gm_cum")):
            c = rk.letter(val)
            f[share] = (lambda c: lambda r: f'=IF(N(${c}${t})>0,{c}{r + 1}/${c}${t},"")')(c)
            f[cum] = (lambda c: lambda r: f'=IF(N(${c}${t})>0,SUM(${c}${first}:{c}{r + 1})/${c}${t},"")')(c)
        gm, cts, rev, prof = (rk.letter(k) for k in ("gross_margin", "cost_to_serve", "revenue", "profit"))
        f["profit"] = lambda r: f"={gm}{r + 1}-{cts}{r + 1}"
        f["profit_margin"] = lambda r: f'=IF(N({rev}{r + 1})>0,{prof}{r + 1}/{rev}{r + 1},"")'
        sc = self.scores
        for key in ("score_hard", "score_strength", "score_capability", "score"):
            src = f"{quote_sheet(sc.sheet)}!{sc.letter(key)}"
            f[key] = (lambda src: lambda r: f"={src}{r + 1}")(src)
        rv = self.review
        oc = f"{quote_sheet(rv.sheet)}!{rv.letter('override_class')}"
        f["override"] = lambda r: f'=IF(TRIM({oc}{r + 1})="","",TRIM({oc}{r + 1}))'
        ov, cc = rk.letter("override"), rk.letter("computed_class")
        f["class"] = lambda r: f'=IF({ov}{r + 1}<>"",{ov}{r + 1},{cc}{r + 1})'
        return f

    def ranking_sums(self) -> list[str]:
        """Ranking columns whose total row is a sum (or the total of all accounts when truncated)."""
        return ["volume", "revenue", "gross_margin", "cost_to_serve", "profit"]

    # -- Products -----------------------------------------------------------------------------------
    def _lines_table(self, keys: list[tuple[str, str]]) -> Table:
        cur = self.currency
        key_label = self._t(f"measure.{self.allocation}")
        cols = (
            self._c("account_id", self._t("col.account_id"), "key", width=11),
            self._c("account", self._t("col.account"), "info", width=22),
            self._c("product_id", self._t("col.product_id"), "key", width=10),
            self._c("product", self._t("col.product"), "info", width=20),
            self._c("volume", self._vol("col.volume"), "info", "number", 11, FMT_VOLUME),
            self._c("revenue", f"{self._t('col.revenue')} ({cur})", "info", "number", 14, FMT_MONEY),
            self._c("gross_margin", f"{self._t('col.gross_margin')} ({cur})", "info", "number", 13, FMT_MONEY),
            self._c("acct_key", self._t("col.acct_key", what=key_label), "info", "number", 14,
                    FMT_MONEY if self.allocation == "revenue" else FMT_VOLUME),
            self._c("acct_lines", self._t("col.acct_lines"), "info", "integer", 8, FMT_INT),
            self._c("acct_cts", f"{self._t('col.acct_cts')} ({cur})", "info", "number", 13, FMT_MONEY),
            self._c("split", self._t("col.split"), "info", width=9),
            self._c("key_share", self._t("col.key_share"), "formula", "number", 10, FMT_PCT, quantity="key_share"),
            self._c("line_cts", f"{self._t('col.line_cts')} ({cur})", "formula", "number", 13, FMT_MONEY,
                    quantity="line_cts"),
            self._c("profit", f"{self._t('col.profit')} ({cur})", "formula", "number", 13, FMT_MONEY,
                    quantity="line_profit"),
            self._c("profit_margin", self._t("col.profit_margin"), "formula", "number", 9, FMT_PCT,
                    quantity="line_profit_margin"),
        )
        table = Table("lines", self.sheet_names["lines"], cols, HEADER_ROW, row_keys=tuple(keys),
                      total_row=HEADER_ROW - 1, title=self._t("sheet.lines"))
        L = table.letter
        key = L(self.allocation)
        even = rt("split.even", self.language)
        sp, lines_, total, cts, share, gm, lcts, prof, rev = (
            L(k) for k in ("split", "acct_lines", "acct_key", "acct_cts", "key_share", "gross_margin", "line_cts",
                           "profit", "revenue"))
        return with_formulas(table, {
            "key_share": lambda r: f'=IF({sp}{r + 1}="{even}",1/{lines_}{r + 1},{key}{r + 1}/{total}{r + 1})',
            "line_cts": lambda r: f"={cts}{r + 1}*{share}{r + 1}",
            "profit": lambda r: f"={gm}{r + 1}-{lcts}{r + 1}",
            "profit_margin": lambda r: f'=IF(N({rev}{r + 1})>0,{prof}{r + 1}/{rev}{r + 1},"")',
        })

    # -- Profit curve --------------------------------------------------------------------------------
    def _whale_table(self, keys: list[str]) -> Table:
        cur = self.currency
        cols = (
            self._c("profit_rank", self._t("col.profit_rank"), "info", width=12),
            self._c("account_id", self._t("col.account_id"), "key", width=14),
            self._c("account", self._t("col.account"), "info", width=30),
            self._c("accounts", self._t("col.accounts"), "info", "integer", 9, FMT_INT),
            self._c("profit", f"{self._t('col.profit')} ({cur})", "info", "number", 14, FMT_MONEY),
            self._c("cum_profit", f"{self._t('col.cum_profit')} ({cur})", "formula", "number", 15, FMT_MONEY,
                    quantity="cum_profit"),
            self._c("cum_profit_share", self._t("col.cum_profit_share"), "formula", "number", 11, FMT_PCT,
                    quantity="cum_profit_share"),
            self._c("cum_accounts", self._t("col.cum_accounts"), "formula", "integer", 10, FMT_INT,
                    quantity="cum_accounts"),
            self._c("cum_account_share", self._t("col.cum_account_share"), "formula", "number", 11, FMT_PCT,
                    quantity="cum_account_share"),
        )
        table = Table("whale", self.sheet_names["whale"], cols, HEADER_ROW, row_keys=tuple((k,) for k in keys),
                      total_row=HEADER_ROW - 1, title=self._t("sheet.whale"))
        L = table.letter
        t, first = table.total_row + 1, table.first_row + 1
        p, cp, n, cn = L("profit"), L("cum_profit"), L("accounts"), L("cum_accounts")
        return with_formulas(table, {
            "cum_profit": lambda r: f"=SUM(${p}${first}:{p}{r + 1})",
            "cum_profit_share": lambda r: f'=IF(N(${p}${t})>0,{cp}{r + 1}/${p}${t},"")',
            "cum_accounts": lambda r: f"=SUM(${n}${first}:{n}{r + 1})",
            "cum_account_share": lambda r: f"={cn}{r + 1}/${n}${t}",
        })

    # -- Movement and candidates (read-only lists) ------------------------------------------------------
    def _movement_table(self, keys: list[str]) -> Table:
        cols = (
            self._c("account_id", self._t("col.account_id"), "key", width=11),
            self._c("account", self._t("col.account"), "info", width=24),
            self._c("previous_class", self._t("col.previous_class"), "info", width=11),
            self._c("class", self._t("col.class"), "info", width=11),
            self._c("change", self._t("col.change"), "info", width=9),
            self._c("reason", self._t("col.reason"), "info", width=50),
            self._c("previous_reason", self._t("col.previous_reason"), "info", width=50),
        )
        return Table("movement", self.sheet_names["movement"], cols, 3, row_keys=tuple((k,) for k in keys),
                     title=self._t("sheet.movement"))

    def _candidates_table(self, keys: list[str]) -> Table:
        cur = self.currency
        cols = (
            self._c("account_id", self._t("col.account_id"), "key", width=11),
            self._c("account", self._t("col.account"), "info", width=24),
            self._c("rep", self._t("col.rep"), "info", width=11),
            self._c("measure", self._measure_header(), "info", "number", 12, self._measure_format()),
            self._c("previous", self._t("col.previous"), "info", "number", 12, self._measure_format()),
            self._c("growth", self._t("col.growth"), "info", "number", 9, FMT_PCT),
            self._c("profit", f"{self._t('col.profit')} ({cur})", "info", "number", 13, FMT_MONEY),
            self._c("years_to_big", self._t("col.years_to_big"), "info", "number", 14, "0.0"),
            self._c("class", self._t("col.class"), "info", width=11),
        )
        return Table("candidates", self.sheet_names["candidates"], cols, 3, row_keys=tuple((k,) for k in keys),
                     title=self._t("sheet.candidates"))


def col_letter(i: int) -> str:
    return xl_col_to_name(i)
