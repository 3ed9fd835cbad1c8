"""ERP invoice or delivery lines: one export (CSV or xlsx) read, checked, matched to the plan, converted
to plan units and currency and summed per fiscal quarter x account x product.

``read_erp_file(path, config)`` returns ``(ErpLines, problems)``.  A CSV is read in batches of
``BATCH_LINES`` lines: each is parsed (vectorised) and summed per month x raw customer x raw product
(x unit x currency) right away, and only its lines that fail a check are kept, with their text, for the
problems; so memory stays flat however long the export is.  Matching, units, currency and fiscal quarters
work on those few sums, not on millions of lines; the lines of values not in the plan (each distinct value
looked up once) are kept from the same read for the unmatched-lines report.  polars does the work
(multi-threaded CSV reader, vectorised parsing, group-by), see ``benchmarks/bench_actuals_import.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from kamplan.config.actuals import ACTUALS_FIELDS, ACTUALS_REQUIRED, ActualsRules
from kamplan.imports.columns import account_lookup, candidates, matched, normal, product_lookup, salesperson_lookup
from kamplan.imports.replacing import Replacing
from kamplan.limits import LIMITS, limit_problem
from kamplan.imports.tables import ROW, TableFile, read_fields, text
from kamplan.imports.values import SHOWN_PER_COLUMN, bad_value_problems, empty_problems, number_series, \
    parse_dates, where
from kamplan.periods import period_map, unmapped_date_problem
from kamplan.messages import Message
from kamplan.problems import Problem, phrase, problem, unexpected

_PARSED = {"date": "yqp", "quantity": "quantity", "amount": "amount", "cost": "cost"}  # field -> parsed column
_KEYS = ("customer", "product", "unit", "currency", "salesperson")  # the raw values lines are summed by (+ period)
_OPTIONAL_KEYS = ("unit", "currency", "salesperson")
_PLURAL = {"customer": "customers", "product": "products", "salesperson": "salespeople"}
_AMBIGUOUS = {"customer": "actuals.unmatched.customer-ambiguous", "product": "actuals.unmatched.product-ambiguous",
              "salesperson": "actuals.unmatched.salesperson-ambiguous"}
_NOT_IN_PLAN = {"customer": "actuals.unmatched.customer", "product": "actuals.unmatched.product",
                "salesperson": "actuals.unmatched.salesperson"}
_UNMAPPED = -1  # "yqp" of a date in no fiscal period of the calendar
BATCH_LINES = 400_000  # lines parsed and summed at a time: peak 864 MiB at 10 M lines (1 M a batch: 1,091 MiB)
_MERGE_EVERY = 8  # partial sums merged after this many batches (each has up to months x keys rows)
_DATE_CACHE = 200_000  # distinct date texts kept from batch to batch (timestamps would grow it to every line)
_SUMMED = ("lines", "quantity", "amount", "cost", "amount_no_cost", "lines_no_cost")


@dataclass
class UnmatchedValue:
    """One customer, product or salesperson value of a file that is not in the plan (or names several)."""
    file: str
    what: str  # "customer", "product" or "salesperson"
    value: str
    lines: int
    first_row: int
    quantity: float  # as in the file (file units)
    revenue: float  # in the plan currency
    candidates: list[str] = field(default_factory=list)  # the plan ids a shared name names

    def fix(self) -> str:
        key = _PLURAL[self.what]
        if self.candidates:
            return Message("actuals.unmatched.fix-ambiguous", count=len(self.candidates), key=key,
                           candidates=", ".join(self.candidates), value=repr(self.value))
        if self.what == "salesperson":
            return Message("actuals.unmatched.fix-salesperson", value=repr(self.value))
        return Message("actuals.unmatched.fix", key=key, value=repr(self.value))

    def reason(self) -> str:
        if self.candidates:
            return Message(_AMBIGUOUS[self.what], candidates=", ".join(self.candidates))
        return Message(_NOT_IN_PLAN[self.what])


@dataclass(kw_only=True)
class ErpTotals:
    """What one file held: its lines and totals, matched and unmatched (as far as the file was read)."""
    lines: int = 0  # data lines (blank lines not counted)
    matched: int = 0
    unmatched: int = 0
    revenue_in: float = 0.0  # all lines, plan currency
    volume_matched: float = 0.0  # plan units
    revenue_matched: float = 0.0
    volume_unmatched: float = 0.0  # plan units where the product is known, else file units
    revenue_unmatched: float = 0.0
    without_cost: int = 0  # matched lines whose gross margin is estimated from the standard margin
    periods: list[tuple[int, int]] = field(default_factory=list)
    first_rows: dict[tuple[int, int], int] = field(default_factory=dict)  # period -> first matched line's row
    unmatched_values: list[UnmatchedValue] = field(default_factory=list)


@dataclass(kw_only=True)
class ErpLines(ErpTotals):
    """A file's matched lines summed per quarter x account x product (and whether cost was known)."""
    sums: pl.DataFrame = field(default_factory=pl.DataFrame)
    months: pl.DataFrame = field(default_factory=pl.DataFrame)  # distinct (year, quarter, month) with lines
    unmatched_lines: pl.DataFrame = field(default_factory=pl.DataFrame)  # file, row, customer, ..., reason


def read_erp_file(path: Path, config, replacing: Replacing | None = None) -> tuple[ErpLines, list[Problem]]:
    """Read and check one export.  With an error among the problems the lines are not to be stored; the
    totals say how far the file was read.  ``replacing``: the quarters its lines may fall in (default:
    the plan year and the year before)."""
    reader = _ErpFile(path, config, replacing or Replacing.for_actuals(config.plan_year))
    try:
        reader.read()
    except Exception as exc:  # a bug must not stop the other files
        reader.problems.append(unexpected(reader.name, exc))
    return reader.out, reader.problems


class _ErpFile(TableFile):
    """One export on its way: header match → parse → validate → match → convert → sum.  Each step adds
    its problems; the read stops after a step that found an error."""

    def __init__(self, path: Path, config, replacing: Replacing):
        super().__init__(path, config)
        self.replacing = replacing
        self.first_dates = pl.DataFrame()  # first row and its date of every sum, to name the first of a wrong quarter
        self.products = {pr.id: pr for pr in config.products}
        self.out = ErpLines()
        self.period_of: dict[str, int] = {}  # date text -> "yqp", each distinct text parsed once per file
        self.unreadable: set[str] = set()  # date texts no format reads
        self.plan_lookups = {"customer": account_lookup(config), "product": product_lookup(config),
                             "salesperson": salesperson_lookup(config)}
        self.in_plan: dict[str, dict[str, bool]] = {}  # field -> raw value -> whether it names a plan id
        self.kept = pl.DataFrame()  # the lines of values not in the plan, for the unmatched-lines report

    def read(self) -> None:
        lines = self.header_match()
        if lines is None:
            return
        try:
            try:
                partial = self.read_batches(lines)
            except pl.exceptions.ComputeError as exc:
                if self.rules.encoding != "auto" or "utf-8" not in str(exc).lower():
                    raise
                self.problems = []  # Chinese Excel saves CSV as GBK/GB18030: read the file again, recoded
                lines = self.header_match(recoded=True)
                partial = self.read_batches(lines) if lines is not None else None
        except pl.exceptions.PolarsError as exc:  # a damaged line further down (the header was fine)
            self.problems.append(problem("import.csv-unreadable", reason=str(exc).splitlines()[0], file=self.name))
            return
        if partial is None or self.failed():
            return
        sums = self.sum_per_key(partial)
        if self.failed():
            return
        sums = self.match(sums)
        factors, rates = self.unit_factors(sums), self.currency_rates(sums)
        if self.failed():
            return
        converted = self.convert(sums, factors, rates)
        self.check_periods(converted)
        self.sum_limit_problems(converted)
        if self.failed():
            return
        self.sum_up(converted)

    def read_batches(self, lines: pl.LazyFrame) -> pl.DataFrame | None:
        """Every line parsed and summed per month and raw key, batch by batch; the lines that fail a check
        are kept and checked together at the end (the problems are those of all lines at once)."""
        partial, failing, kept, count = [], [], [], 0
        fails = self.failing()
        self.period_of, self.unreadable, self.in_plan = {}, set(), {}
        for batch in lines.collect_batches(chunk_size=BATCH_LINES):
            if not batch.height:
                continue
            count += batch.height
            parsed = self.parse(batch)
            failing.append(parsed.lazy().filter(fails).collect())  # lazily: a tenth of the eager filter's time
            partial.append(self.partial_sums(parsed))
            kept.append(self.not_in_plan(parsed, partial[-1]))
            if len(partial) >= _MERGE_EVERY:
                partial = [merge_sums(partial)]
        self.out.lines = count
        if not count:
            self.problems.append(problem("actuals.empty-file", file=self.name, sheet=self.sheet))
            return None
        self.validate(pl.concat(failing))
        self.kept = pl.concat(kept)
        return merge_sums(partial)

    def not_in_plan(self, parsed: pl.DataFrame, sums: pl.DataFrame) -> pl.DataFrame:
        """The batch's lines whose customer, product or salesperson names no plan id (none or several),
        kept with their text now so that the unmatched-lines report needs no second read of the file.
        Each distinct value is looked up once per file (``sums`` has the batch's distinct values)."""
        bad = []
        for what, known in self.plan_lookups.items():
            if what not in self.cols:
                continue
            seen = self.in_plan.setdefault(what, {})
            for value in sums[f"raw_{what}"].unique().drop_nulls().to_list():
                if value not in seen:  # the lookup ``match`` does on the stripped value: ``normal`` ignores spaces
                    seen[value] = bool(value.strip()) and known.get(normal(value)) is not None
            out = [v for v in sums[f"raw_{what}"].unique().drop_nulls().to_list() if not seen[v]]
            if out:
                bad.append(pl.col(f"raw_{what}").is_in(pl.Series(out, dtype=pl.String).implode()))
        optional = [f"raw_{f}" for f in _OPTIONAL_KEYS if f in self.cols]
        keep = parsed.select(ROW, "raw_customer", "raw_product", "raw_date", "quantity", "amount", *optional)
        return keep.lazy().filter(pl.any_horizontal(bad)).collect() if bad else keep.clear()

    def failing(self) -> pl.Expr:
        """The lines ``validate`` finds a problem in (a value that cannot be read, out of its limit, a date
        in no period, a required field left empty)."""
        cols = self.cols
        conds = [pl.col(f"raw_{f}").is_not_null() & pl.col(c).is_null() for f, c in _PARSED.items() if f in cols]
        conds += [pl.col(f).is_not_null() & ~pl.col(f).is_between(LIMITS[f].low, LIMITS[f].high)
                  for f in ("quantity", "amount", "cost") if f in cols]
        conds += [pl.col("yqp") == _UNMAPPED] + [pl.col(f"raw_{f}").is_null() for f in ACTUALS_REQUIRED]
        return pl.any_horizontal(conds)

    def partial_sums(self, frame: pl.DataFrame) -> pl.DataFrame:
        """One batch's lines summed per month and raw key (as read), with the first line's row and date."""
        keys = ["yqp", "raw_customer", "raw_product"] + [f"raw_{f}" for f in _OPTIONAL_KEYS if f in self.cols]
        no_cost = pl.col("cost").is_null()
        # polars' streaming engine groups a batch in half the CPU time of the eager group-by
        sums = frame.lazy().group_by(keys).agg(
            pl.len().cast(pl.Int64).alias("lines"), pl.col(ROW).min().alias("first_row"), pl.col("quantity").sum(),
            pl.col("amount").sum(), pl.col("cost").sum(),
            pl.col("amount").filter(no_cost).sum().alias("amount_no_cost"),
            no_cost.sum().cast(pl.Int64).alias("lines_no_cost")).collect(engine="streaming")
        # the first line's date looked up by its row (a batch is in row order): taking the first text of
        # each group in the group-by costs twice the rest of it
        at = frame[ROW].search_sorted(sums["first_row"])
        return sums.with_columns(frame["raw_date"].gather(at).alias("first_date")).select(
            *keys, "lines", "first_row", "first_date", "quantity", "amount", "cost", "amount_no_cost", "lines_no_cost")

    # -- header match and parse -------------------------------------------------------------------------
    def header_match(self, recoded: bool = False) -> pl.LazyFrame | None:
        """The data lines, one ``raw_<field>`` column per field the file has, to be read batch by batch.
        Values stay as read (an empty field is null): stripping 10 million strings costs more than all the
        rest; numbers are cleaned only where a plain cast fails, keys after summing.  ``recoded``: the file
        is GB18030 after all."""
        wanted = {f: self.rules.headers(f) for f in ACTUALS_FIELDS}
        rules = self.rules.model_copy(update={"encoding": "gb18030"}) if recoded else self.rules
        frame, self.sheet, self.cols, problems = read_fields(
            self.path, rules, wanted, ACTUALS_REQUIRED, code="actuals-columns", config_key="actuals.columns",
            show_accepted=True, only_wanted=True, lazy=True)
        self.problems += problems
        return frame.lazy() if frame is not None else None

    def parse(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The fiscal period of each date as year * 1000 + quarter * 100 + part (``kamplan.periods``, on
        the distinct dates only), and the numbers."""
        rules = self.rules
        return frame.with_columns(
            self.periods(frame["raw_date"]).alias("yqp"),
            number_series(frame["raw_quantity"], rules).alias("quantity"),
            number_series(frame["raw_amount"], rules).alias("amount"),
            (number_series(frame["raw_cost"], rules) if "cost" in self.cols else pl.lit(None, dtype=pl.Float64))
            .alias("cost"))

    def periods(self, raw: pl.Series) -> pl.Series:
        """The "yqp" of each line's date (null: unreadable).  The texts parsed in earlier batches are looked
        up; only new ones are parsed (an export of days has a few hundred; of timestamps the memory is
        bounded by ``_DATE_CACHE``)."""
        cache = self.period_of
        if len(cache) > _DATE_CACHE:
            cache.clear()
        yqp = raw.replace_strict(cache, default=None, return_dtype=pl.Int32) if cache else None
        todo = raw if yqp is None else raw.filter(yqp.is_null())
        texts = [t for t in todo.drop_nulls().unique().to_list() if t not in self.unreadable]
        if not texts:
            return yqp if yqp is not None else pl.Series(raw.name, [None] * len(raw), dtype=pl.Int32)
        dates = parse_dates(pl.Series(texts, dtype=pl.String), self.rules.date_formats)
        self.unreadable.update(t for t, d in dates.items() if d is None)
        dates = {t: d for t, d in dates.items() if d is not None}
        found = period_map(list(dates.values()), self.config.calendar)
        codes = np.where(found.mapped, found.year * 1000 + found.quarter * 100 + found.part, _UNMAPPED)
        new = dict(zip(dates, codes.tolist()))
        cache.update(new)
        fresh = raw.replace_strict(new, default=None, return_dtype=pl.Int32)
        return fresh if yqp is None else yqp.fill_null(fresh)

    def validate(self, frame: pl.DataFrame) -> None:
        """Values that cannot be read, and required fields left empty."""
        cols = self.cols
        checks = frame.select(
            *[(pl.col(f"raw_{f}").is_not_null() & pl.col(c).is_null()).any().alias(f"bad_{f}")
              for f, c in _PARSED.items() if f in cols],
            *[pl.col(f"raw_{f}").is_null().any().alias(f"empty_{f}") for f in ACTUALS_REQUIRED]).row(0, named=True)
        for f, c in _PARSED.items():
            if checks.get(f"bad_{f}"):
                what, fix = ((phrase("import.what.date"), self.date_fix()) if f == "date"
                             else (phrase("import.what.number"), self.number_fix()))
                self.problems += bad_value_problems(frame, f"raw_{f}", c, cols[f], what, fix, self.name, self.sheet)
        for f, c in (("quantity", "quantity"), ("amount", "amount"), ("cost", "cost")):
            if f in cols:
                self.problems += self.line_limit_problems(frame, f, c)
        self.unmapped_date_problems(frame)
        for f in ACTUALS_REQUIRED:
            if checks[f"empty_{f}"]:
                self.problems += empty_problems(frame, f"raw_{f}", cols[f], self.name, self.sheet,
                                                Message("fix.actuals.fill-in", field=f))

    def unmapped_date_problems(self, frame: pl.DataFrame) -> None:
        """Lines dated in no fiscal period (a calendar of explicit years only): one error per date."""
        bad = (frame.filter(pl.col("yqp") == _UNMAPPED).group_by("raw_date")
               .agg(pl.len().alias("lines"), pl.col(ROW).min().alias("row")).sort("row"))
        for raw, lines, row in bad.head(SHOWN_PER_COLUMN).iter_rows():
            self.problems.append(unmapped_date_problem(str(raw).strip(), self.config.calendar, code="actuals-period",
                                                       file=self.name, sheet=where(self.sheet, row),
                                                       cell=self.cols["date"], lines=lines))

    def line_limit_problems(self, frame: pl.DataFrame, field: str, col: str) -> list[Problem]:
        """Lines whose ``field`` is NaN, infinite or outside its hard limit (``kamplan.limits``): the first
        ones by row, then a count."""
        limit = LIMITS[field]
        bad = frame.filter(pl.col(col).is_not_null() & ~pl.col(col).is_between(limit.low, limit.high))
        header = self.cols[field]
        out = [limit_problem(field, value, code="actuals-limit", header=header, file=self.name,
                             sheet=where(self.sheet, row), cell=header, limit=limit)
               for row, value in bad.head(SHOWN_PER_COLUMN).select(ROW, col).iter_rows()]
        if bad.height > SHOWN_PER_COLUMN:
            out.append(problem("actuals.limit-more", count=bad.height - SHOWN_PER_COLUMN, header=header,
                               range=limit.range_text(), file=self.name, sheet=self.sheet, cell=header))
        return out

    def sum_limit_problems(self, g: pl.DataFrame) -> None:
        """A quarter's matched volume, revenue or price (revenue / volume) outside its hard limit: the
        lines may each be plausible, the quarter cannot be (a pasted number, a wrong unit factor)."""
        known = g.filter(pl.col("account_id").is_not_null() & pl.col("product_id").is_not_null())
        sums = (known.group_by("year", "quarter", "account_id", "product_id")
                .agg(pl.col("volume").sum(), pl.col("revenue").sum(), pl.col("first_row").min()).sort("first_row"))
        for year, quarter, acc, prod, volume, revenue, row in sums.iter_rows():
            price = revenue / volume if volume > 0 and revenue > 0 else None  # returns can make either negative
            for field, value in (("volume", abs(volume)), ("revenue", revenue), ("price", price)):
                if LIMITS[field].why_not(value) is None:
                    continue  # the header's words only for a sum out of its limit: thousands of sums are fine
                found = limit_problem(field, value, code="actuals-limit",
                                        header=Message("actuals.quarter-sum", year=year, quarter=quarter,
                                                       account=acc, product=prod, field=field), file=self.name,
                                        sheet=where(self.sheet, row))
                if found:
                    self.problems.append(found)
                    break

    def date_fix(self) -> str:
        return Message("fix.actuals.date", formats=", ".join(self.rules.date_formats[:3]))

    def number_fix(self) -> str:
        rules = self.rules
        if rules.thousands:
            return Message("fix.actuals.number-thousands", decimal=repr(rules.decimal), thousands=repr(rules.thousands))
        return Message("fix.actuals.number", decimal=repr(rules.decimal))

    # -- sum per raw key ---------------------------------------------------------------------------------
    def sum_per_key(self, g: pl.DataFrame) -> pl.DataFrame:
        """The lines' sums per month and raw key (``partial_sums`` merged) with the keys stripped; everything
        below works on these sums.  A customer or product that is only white space is an error."""
        self.first_dates = g.select("first_row", "first_date")
        for f in _OPTIONAL_KEYS:
            if f not in self.cols:
                g = g.with_columns(pl.lit(None, dtype=pl.String).alias(f"raw_{f}"))
        g = g.with_columns(pl.col("raw_customer").alias("orig_customer"), pl.col("raw_product").alias("orig_product"),
                           pl.col("raw_salesperson").alias("orig_salesperson"),
                           *[text(f"raw_{f}").alias(f"raw_{f}") for f in _KEYS])
        for f in ("customer", "product"):
            blank = g.filter(pl.col(f"raw_{f}").is_null()).sort("first_row")
            for row, n in blank.select("first_row", "lines").head(SHOWN_PER_COLUMN).iter_rows():
                self.problems.append(problem(
                    "import.empty-lines" if n > 1 else "import.empty", header=self.cols[f], lines=n,
                    fix=Message("fix.actuals.fill-in", field=f), file=self.name, sheet=where(self.sheet, row),
                    cell=self.cols[f]))
        return g

    # -- match -------------------------------------------------------------------------------------------
    def match(self, g: pl.DataFrame) -> pl.DataFrame:
        """Plan account and product of each sum (null where the file's value is not in the plan), and the
        unit and currency it is in (the config's file unit and currency where the file names none)."""
        rules = self.rules
        return g.with_columns(
            matched("raw_customer", g["raw_customer"], account_lookup(self.config)).alias("account_id"),
            matched("raw_product", g["raw_product"], product_lookup(self.config)).alias("product_id"),
            matched("raw_salesperson", g["raw_salesperson"], salesperson_lookup(self.config)).alias("salesperson_id"),
            pl.col("raw_unit").fill_null(pl.lit(rules.units.file_unit, dtype=pl.String)).alias("unit"),
            pl.col("raw_currency").str.to_uppercase().fill_null(
                pl.lit(rules.currency.file_currency or self.config.currency)).alias("currency"))

    # -- convert -----------------------------------------------------------------------------------------
    def unit_factors(self, g: pl.DataFrame) -> dict[tuple[str, str], float]:
        """(product, file unit) -> plan units per file unit; an error for each unit the config cannot turn
        into the product's plan unit."""
        factors: dict[tuple, float] = {}
        for pid, unit in g.select("product_id", "unit").unique().iter_rows():
            if pid is None:
                continue
            plan_unit = self.products[pid].unit
            f = unit_factor(self.rules, pid, plan_unit, unit)
            if f is not None:
                factors[(pid, unit)] = f
                continue
            rows = g.filter((pl.col("product_id") == pid) & (pl.col("unit") == unit))
            self.problems.append(problem(
                "actuals.unit", lines=int(rows['lines'].sum()), product=pid, unit=repr(unit),
                plan_unit=repr(plan_unit), first=int(rows['first_row'].min()),
                factors=f"{{{unit}: {{{plan_unit}: <factor>}}}}", products=f"{{{pid}: {{{unit}: <factor>}}}}",
                file=self.name, sheet=self.sheet, cell=self.cols.get("unit")))
        return factors

    def currency_rates(self, g: pl.DataFrame) -> dict[str, float]:
        """File currency -> plan currency per unit; an error for each currency without a rate."""
        plan_currency = self.config.currency
        known = self.rules.currency.rates
        rates: dict[str, float] = {}
        for (cur,) in g.select("currency").unique().iter_rows():
            if cur == plan_currency or cur in known:
                rates[cur] = 1.0 if cur == plan_currency else float(known[cur])
                continue
            rows = g.filter(pl.col("currency") == cur)
            self.problems.append(problem(
                "actuals.currency", lines=int(rows['lines'].sum()), currency=cur, plan_currency=plan_currency,
                first=int(rows['first_row'].min()), file=self.name, sheet=self.sheet, cell=self.cols.get("currency")))
        return rates

    def convert(self, g: pl.DataFrame, factors: dict[tuple[str, str], float], rates: dict[str, float]
                ) -> pl.DataFrame:
        """Volume in plan units, money in the plan currency, and the fiscal year, quarter and month."""
        factor_frame = pl.DataFrame({"product_id": [k[0] for k in factors], "unit": [k[1] for k in factors],
                                     "factor": list(factors.values())},
                                    schema={"product_id": pl.String, "unit": pl.String, "factor": pl.Float64})
        g = g.join(factor_frame, on=["product_id", "unit"], how="left", nulls_equal=True)
        rate = pl.col("currency").replace_strict(rates, return_dtype=pl.Float64)
        return g.with_columns(
            (pl.col("quantity") * pl.col("factor").fill_null(1.0)).alias("volume"),
            (pl.col("amount") * rate).alias("revenue"), (pl.col("cost") * rate).alias("cost"),
            (pl.col("amount_no_cost") * rate).alias("revenue_no_cost"),
            (pl.col("yqp") // 1000).cast(pl.Int64).alias("year"),
            (pl.col("yqp") // 100 % 10).cast(pl.Int64).alias("quarter"),
            (pl.col("yqp") % 100).alias("month"))  # "month": the quarter's part (kamplan.periods.quarter_parts)

    def check_periods(self, g: pl.DataFrame) -> None:
        """An error for the lines of each quarter the import may not replace (``Replacing``): the first
        line's row and date, and how many lines there are."""
        per_period = (g.group_by("year", "quarter").agg(pl.col("lines").sum(), pl.col("first_row").min())
                      .sort("first_row"))
        for year, quarter, lines, first_row in per_period.iter_rows():
            date = self.first_date(first_row)
            what = (Message("import.what.date-lines", date=date, lines=lines) if lines > 1
                    else Message("import.what.date-of-line", date=date))
            found = self.replacing.line_problem((year, quarter), what, file=self.name,
                                                sheet=where(self.sheet, first_row), cell=self.cols["date"])
            if found:
                self.problems.append(found)

    def first_date(self, row: int) -> str:
        lines = self.first_dates.filter(pl.col("first_row") == row)
        return str(lines["first_date"][0]).strip() if lines.height else "?"

    # -- sum ---------------------------------------------------------------------------------------------
    def sum_up(self, g: pl.DataFrame) -> None:
        """The file's totals, its sums per quarter x account x product and its unmatched lines."""
        is_matched = _is_matched()
        self.count(g, is_matched)
        unmatched = g.filter(~is_matched)
        if unmatched.height:
            self.out.unmatched_values = unmatched_values(unmatched, self.name, self.candidates())
        matched_sums = g.filter(is_matched)
        self.out.sums = quarter_sums(matched_sums)
        self.out.periods = sorted(set(matched_sums.select("year", "quarter").unique().iter_rows()))
        self.out.first_rows = {(y, q): int(r) for y, q, r in matched_sums.group_by("year", "quarter")
                               .agg(pl.col("first_row").min()).iter_rows()}
        self.out.months = matched_sums.select("year", "quarter", "month").unique()
        if unmatched.height:
            self.out.unmatched_lines = self.unmatched_lines(unmatched)

    def count(self, g: pl.DataFrame, is_matched: pl.Expr) -> None:
        totals = g.select(
            pl.col("revenue").sum().alias("revenue_in"), pl.col("lines").filter(is_matched).sum().alias("matched"),
            pl.col("volume").filter(is_matched).sum().alias("volume_matched"),
            pl.col("revenue").filter(is_matched).sum().alias("revenue_matched"),
            pl.col("volume").filter(~is_matched).sum().alias("volume_unmatched"),
            pl.col("revenue").filter(~is_matched).sum().alias("revenue_unmatched"),
            pl.col("lines_no_cost").filter(is_matched).sum().alias("without_cost"),
        ).row(0, named=True)
        out = self.out
        out.matched = int(totals["matched"] or 0)
        out.unmatched = out.lines - out.matched
        for k in ("revenue_in", "volume_matched", "revenue_matched", "volume_unmatched", "revenue_unmatched"):
            setattr(out, k, float(totals[k] or 0.0))
        out.without_cost = int(totals["without_cost"] or 0)

    def candidates(self) -> dict[str, dict[str, list[str]]]:
        """Per field, the normalised names that name several plan ids."""
        return {what: candidates(self.config, what) for what in ("customer", "product", "salesperson")}

    def unmatched_lines(self, unmatched: pl.DataFrame) -> pl.DataFrame:
        """The file's lines whose customer, product or salesperson is not in the plan (or names several of
        it), with the reason, for the report (from the lines ``not_in_plan`` kept while reading)."""
        shared = self.candidates()
        reasons, bad = [], None
        for what, id_col in (("customer", "account_id"), ("product", "product_id"),
                             ("salesperson", "salesperson_id")):
            if what not in self.cols:
                continue
            values = unmatched.filter(pl.col(f"raw_{what}").is_not_null() & pl.col(id_col).is_null())
            why = {orig: _reason(what, raw, shared[what]) for orig, raw in
                   values.select(f"orig_{what}", f"raw_{what}").unique().iter_rows()}
            reasons.append(pl.col(f"raw_{what}").replace_strict(why, default=None, return_dtype=pl.String))
            hit = pl.col(f"raw_{what}").is_in(pl.Series(list(why), dtype=pl.String).implode())
            bad = hit if bad is None else bad | hit
        reason = pl.concat_str(reasons, separator="; ", ignore_nulls=True).replace(
            "customer not in the plan; product not in the plan", "customer and product not in the plan")
        optional = [pl.col(f"raw_{f}").alias(f) for f in _OPTIONAL_KEYS if f in self.cols]
        found = self.kept.filter(bad)
        if not found.height:
            return pl.DataFrame()
        return found.select(
            pl.lit(self.name).alias("file"), pl.col(ROW).cast(pl.Int64).alias("row"),
            pl.col("raw_customer").alias("customer"), pl.col("raw_product").alias("product"),
            pl.col("raw_date").alias("date"), "quantity", "amount", *optional, reason.alias("reason"))


def merge_sums(partial: list[pl.DataFrame]) -> pl.DataFrame:
    """Batches' ``partial_sums`` as one: sums added, the first line (row and date) of each key kept."""
    frame = pl.concat(partial)
    keys = [c for c in frame.columns if c not in (*_SUMMED, "first_row", "first_date")]
    return frame.group_by(keys).agg(*[pl.col(c).sum() for c in _SUMMED], pl.col("first_row").min(),
                                    pl.col("first_date").sort_by("first_row").first()).select(frame.columns)


def _is_matched() -> pl.Expr:
    """A sum is matched when its account and product are the plan's and its salesperson (if the file
    names one) is a salesperson of the plan."""
    return (pl.col("account_id").is_not_null() & pl.col("product_id").is_not_null()
            & (pl.col("raw_salesperson").is_null() | pl.col("salesperson_id").is_not_null()))


def _reason(what: str, raw: str, candidates: dict[str, list[str]]) -> str:
    shared = candidates.get(normal(raw))
    if shared:
        return f"{what} ambiguous: {', '.join(shared)}"
    return "salesperson not known" if what == "salesperson" else f"{what} not in the plan"


def quarter_sums(matched_sums: pl.DataFrame) -> pl.DataFrame:
    """Two rows per key: the part with a known cost, and the revenue without one (cost NaN later: the
    product's standard margin).  ``salesperson_id``: the ERP's salesperson of the lines (null: none)."""
    key = ("year", "quarter", "account_id", "product_id", "salesperson_id")
    with_cost = matched_sums.select(*key, "volume", (pl.col("revenue") - pl.col("revenue_no_cost")).alias("revenue"),
                                    "cost", pl.lit(False).alias("no_cost"))
    without = matched_sums.filter(pl.col("lines_no_cost") > 0).select(
        *key, pl.lit(0.0).alias("volume"), pl.col("revenue_no_cost").alias("revenue"), pl.lit(0.0).alias("cost"),
        pl.lit(True).alias("no_cost"))
    return pl.concat([with_cost, without])


def unit_factor(rules: ActualsRules, product_id: str, plan_unit: str, unit: str | None) -> float | None:
    """Plan units per ``unit`` for the product: the product's own factor, else the general one."""
    if unit is None or normal(unit) == normal(plan_unit):
        return 1.0
    for u, f in rules.units.products.get(product_id, {}).items():
        if normal(u) == normal(unit):
            return float(f)
    for u, targets in rules.units.factors.items():
        if normal(u) == normal(unit):
            for t, f in targets.items():
                if normal(t) == normal(plan_unit):
                    return float(f)
    return None


def unmatched_values(unmatched: pl.DataFrame, name: str, candidates: dict[str, dict[str, list[str]]] | None = None
                     ) -> list[UnmatchedValue]:
    """Each customer, product and salesperson value not in the plan, biggest revenue first; a name shared
    by several plan ids lists them (``candidates``: field -> normalised name -> ids)."""
    out = []
    candidates = candidates or {}
    for what, other in (("customer", "account_id"), ("product", "product_id"), ("salesperson", "salesperson_id")):
        col = f"raw_{what}"
        g = (unmatched.filter(pl.col(col).is_not_null() & pl.col(other).is_null())
             .group_by(col).agg(pl.col("lines").sum(), pl.col("first_row").min(),
                                pl.col("quantity").sum(), pl.col("revenue").sum())
             .sort(["revenue", col], descending=[True, False]))
        shared = candidates.get(what, {})
        out += [UnmatchedValue(name, what, v, int(n), int(r), float(q), float(rv), list(shared.get(normal(v), [])))
                for v, n, r, q, rv in g.iter_rows()]
    return out
