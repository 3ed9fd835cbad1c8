"""Worksheet functions for Excel (desktop Excel on Windows, through xlwings' UDF server).

Each is a plain Python function: the xlwings decorators only attach metadata (and do nothing off
Windows), so the tests call them directly.  None raises: bad input returns a readable text starting
with ``#KAM!`` into the cell.  Their docstrings' first paragraph is the function's help in Excel's
Insert Function dialog; ``@xw.arg(doc=...)`` gives each argument's help.

Excel names them ``KAM_SPREAD``, ``KAM_PARETO``, ... : a VBA-declared function cannot have a dot in
its name (``KAM.SPREAD`` needs an XLL), and these are declared in the add-in's VBA.

Ranges arrive as lists of rows (``ndim=2``); a single cell as a number or text; an empty cell as
None.  Arrays are returned as lists of rows in the shape of the input, so Excel 365 spills them and
older Excel fills a selected range entered with Ctrl+Shift+Enter.
"""
from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xlwings as xw

from kamplan.messages import t as t_words

ERROR = "#KAM!"
CATEGORY = "kamplan"
UDF_NAMES = ("KAM_SPREAD", "KAM_PARETO", "KAM_CLASS", "KAM_TARGET", "KAM_FORECAST", "KAM_RISK")


def kam_arg(name: str, doc: str, **options):
    """``@xw.arg(name, doc=doc, ...)`` that also keeps the help text readable on every OS (xlwings keeps
    it only on Windows), for the VBA wrappers the add-in build writes."""
    def deco(fn):
        fn.__dict__.setdefault("kam_arg_docs", {})[name] = doc
        return xw.arg(name, doc=doc, **options)(fn)
    return deco


class UdfInputError(ValueError):
    """Bad input to a worksheet function; its text goes into the cell."""


def _error(fn: str, exc: Exception) -> str:
    if isinstance(exc, (UdfInputError, ValueError, KeyError)):
        text = str(exc).strip("'\"")
    else:  # a bug: still a cell text, but one that says it is not the user's fault
        text = t_words("udf.internal-error", kind=type(exc).__name__, detail=str(exc))
    return f"{ERROR} {fn}: {text}"


# -- input shapes ----------------------------------------------------------------------------------------
def _grid(x, name: str, *, allow_blank: bool = True) -> tuple[np.ndarray, tuple[int, int]]:
    """A range as floats (blank -> NaN) and its (rows, cols); a single value is 1 x 1."""
    if x is None:
        raise UdfInputError(t_words("udf.e01", name=name))
    rows = x if isinstance(x, (list, tuple)) else [[x]]
    rows = [r if isinstance(r, (list, tuple)) else [r] for r in rows]
    width = len(rows[0]) if rows else 0
    if not rows or width == 0 or any(len(r) != width for r in rows):
        raise UdfInputError(t_words("udf.e02", name=name))
    out = np.empty(len(rows) * width)
    for i, v in enumerate(c for r in rows for c in r):
        out[i] = _number(v, name, i, allow_blank)
    return out, (len(rows), width)


def _number(v, name: str, i: int = 0, allow_blank: bool = True) -> float:
    if v is None or (isinstance(v, str) and not v.strip()):
        if allow_blank:
            return math.nan
        raise UdfInputError(t_words("udf.e03", name=name, cell=i + 1))
    if isinstance(v, bool):
        raise UdfInputError(t_words("udf.e04", name=name, cell=i + 1))
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            raise UdfInputError(t_words("udf.e12", name=name, cell=i + 1))
        return f
    try:
        return float(str(v).replace(",", "").strip())
    except ValueError:
        raise UdfInputError(t_words("udf.e13", name=name, text=f"{str(v)!r}", cell=i + 1)) from None


def _optional(x, name: str, n: int):
    """An optional number or range of n values (blank = none); None when not given."""
    if x is None:
        return None
    vals, shape = _grid(x, name)
    if vals.size == 1:
        return float(vals[0])
    if vals.size != n:
        raise UdfInputError(t_words("udf.e05", name=name, size=vals.size, n=n))
    return vals


def _shape(values: np.ndarray, shape: tuple[int, int]) -> list[list]:
    return [list(r) for r in np.asarray(values, dtype=object).reshape(shape)]


def _scalar(x):
    """A single cell's value whether it came as a value or a 1 x 1 range."""
    while isinstance(x, (list, tuple)) and len(x) == 1:
        x = x[0]
    return x


# -- KAM_SPREAD ----------------------------------------------------------------------------------------
@xw.func(category=CATEGORY)
@kam_arg("total", doc="The figure to spread, e.g. the company's revenue target")
@kam_arg("weights", ndim=2, doc="One weight per line (last year's revenue, potential ...); blank = 0")
@kam_arg("holds", ndim=2, doc="Optional: a fixed value for held lines, blank for free lines")
@kam_arg("floors", ndim=2, doc="Optional: the least a free line may get (one number, or one per line)")
@kam_arg("caps", ndim=2, doc="Optional: the most a free line may get (one number, or one per line)")
@kam_arg("unit", doc="Optional: round to this unit (default 0.01; 1 for tonnes; 0 = no rounding)")
def KAM_SPREAD(total, weights, holds=None, floors=None, caps=None, unit=0.01):
    """Spreads a total over lines by weights so the rounded lines add up exactly to the total.

    Held lines keep their value; free lines share the rest by weight, within floors and caps; rounding
    goes to the largest remainders.  Returns the lines in the shape of weights."""
    from kamplan.engine.spreading import spread
    try:
        t = _number(_scalar(total), "total", allow_blank=False)
        w, shape = _grid(weights, "weights")
        n = w.size
        hold_vals = _optional(holds, "holds", n)
        if isinstance(hold_vals, float):
            raise UdfInputError(t_words("udf.e14"))
        held = ~np.isnan(hold_vals) if hold_vals is not None else np.zeros(n, dtype=bool)
        current = np.where(held, hold_vals if hold_vals is not None else 0.0, 0.0)
        lo, hi = _optional(floors, "floors", n), _optional(caps, "caps", n)
        u = _number(_scalar(unit), "unit") if unit is not None else 0.01
        if not math.isnan(u) and u < 0:
            raise UdfInputError(t_words("udf.e15", u=f"{u:g}"))
        free_w = np.where(held, 0.0, np.nan_to_num(w))
        if (free_w < 0).any():
            raise UdfInputError(t_words("udf.e16", cell=int(np.flatnonzero(free_w < 0)[0]) + 1))
        if held.all():
            raise UdfInputError(t_words("udf.e17"))
        res = spread(t, current, "weights", weights=free_w, held=held, floors=lo, caps=hi,
                     unit=None if math.isnan(u) or u == 0 else u)
        if not res.reachable:
            raise UdfInputError(t_words("udf.e18", total=f"{t:,.2f}", most=f"{res.achieved_total:,.2f}"))
        return _shape(np.asarray(res.values, dtype=float), shape)
    except Exception as exc:  # noqa: BLE001 - a cell shows text, never a traceback
        return _error("KAM_SPREAD", exc)


# -- KAM_PARETO ----------------------------------------------------------------------------------------
@xw.func(category=CATEGORY)
@kam_arg("values", ndim=2, doc="One value per account (a column or a row), e.g. last year's volume")
@kam_arg("abc_limits", ndim=1, doc="Optional: the A and B limits of the cumulative share (default 0.8, 0.95)")
def KAM_PARETO(values, abc_limits=None):
    """Pareto of accounts: for each value its rank, share, cumulative share and ABC class, in input order.

    Returns four columns per value (a row per value).  Equal values never fall in different classes."""
    from kamplan.engine.pareto import pareto
    try:
        v, shape = _grid(values, "values")
        if 1 not in shape:
            raise UdfInputError(t_words("udf.e19"))
        abc = (0.8, 0.95)
        if abc_limits is not None:
            lim = [_number(x, "abc_limits", i) for i, x in enumerate(abc_limits)]
            if len(lim) != 2 or not 0 < lim[0] < lim[1] <= 1:
                raise UdfInputError(t_words("udf.e32"))
            abc = (lim[0], lim[1])
        ranked = pareto(pd.Series(v, index=range(v.size)), abc[0], abc)
        ranked = ranked.set_index("account_id").loc[list(range(v.size))]
        out = []
        for r in ranked.itertuples():
            share = None if math.isnan(r.share) else float(r.share)
            cum = None if math.isnan(r.cum_share) else float(r.cum_share)
            out.append([int(r.rank), share if share is not None else "", cum if cum is not None else "", r.abc])
        return out
    except Exception as exc:  # noqa: BLE001
        return _error("KAM_PARETO", exc)


# -- workspaces for KAM_CLASS and KAM_TARGET -------------------------------------------------------------
def _caller_folder(caller) -> Path | None:
    try:
        full = caller.sheet.book.fullname
    except Exception:  # noqa: BLE001 - no caller outside Excel, or an unsaved book
        return None
    return Path(full).parent if full and os.path.sep in str(full) else None


def _workspace_root(workspace, caller) -> Path | None:
    from kamplan.workspace import CONFIG_NAME
    from kamplan.xl.actions import find_workspace
    if workspace:
        root = Path(str(workspace)).expanduser()
        if not (root / CONFIG_NAME).exists():
            raise UdfInputError(t_words("udf.e20", root=root, config=CONFIG_NAME))
        return root.resolve()
    return find_workspace(_caller_folder(caller))


_CONFIGS: dict[Path, tuple[float, object]] = {}
_TARGETS: dict[tuple[Path, int], tuple[tuple[float, float], pd.DataFrame]] = {}


def _config(root: Path):
    from kamplan.config import load_config
    from kamplan.workspace import CONFIG_NAME
    path = root / CONFIG_NAME
    stamp = path.stat().st_mtime
    hit = _CONFIGS.get(root)
    if hit is None or hit[0] != stamp:  # a recalculation must not reparse the YAML for every cell
        _CONFIGS[root] = (stamp, load_config(path))
    return _CONFIGS[root][1]


# -- KAM_CLASS -----------------------------------------------------------------------------------------
@xw.func(category=CATEGORY)
@kam_arg("metrics", ndim=1, doc="Metric names, e.g. big, profit, growth (see the config's segmentation rules)")
@kam_arg("values", ndim=1, doc="Their values for one account, in the same order; blank = unknown")
@kam_arg("what", doc="Optional: class (default), name, rule or reason")
@kam_arg("workspace", doc="Optional: the workspace folder; default: the one this workbook is in, else the "
                         "built-in rules")
def KAM_CLASS(metrics, values, what="class", workspace=None, caller=None):
    """The class of an account (key, develop, watch, drop) by the configured segmentation rules.

    The first rule whose conditions all hold gives the class; rules with unknown metrics are skipped."""
    from kamplan.config.review import SegmentationRules
    from kamplan.engine.review import classify
    try:
        names, vals, what = _class_inputs(metrics, values, what)
        root = _workspace_root(_scalar(workspace), caller)
        cfg = _config(root) if root else None
        rules = cfg.segmentation if cfg else SegmentationRules()
        got = classify(pd.DataFrame([_class_row(names, vals)], index=["account"]), rules.rules,
                       rules.default_class).iloc[0]
        return _class_answer(got, what, cfg, rules)
    except Exception as exc:  # noqa: BLE001
        return _error("KAM_CLASS", exc)


CLASS_ANSWERS = ("class", "name", "rule", "reason")


def _class_inputs(metrics, values, what) -> tuple[list[str], list, str]:
    """KAM_CLASS's arguments checked: the metric names, their values (one each) and what to answer."""
    from kamplan.config.review import METRICS
    names = [str(m).strip() for m in (metrics if isinstance(metrics, (list, tuple)) else [metrics])]
    vals = list(values) if isinstance(values, (list, tuple)) else [values]
    if len(names) != len(vals):
        raise UdfInputError(t_words("udf.e06", names=len(names), values=len(vals)))
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise UdfInputError(t_words("udf.e07", metric=f"{unknown[0]!r}", known=', '.join(METRICS)))
    what = (str(_scalar(what) or "class")).strip().lower()
    if what not in CLASS_ANSWERS:
        raise UdfInputError(t_words("udf.e08", what=f"{what!r}"))
    return names, vals, what


def _class_row(names: list[str], vals: list) -> dict[str, object]:
    """One account's metrics row for the engine: the given values, every other metric unknown."""
    from kamplan.config.review import METRICS
    row: dict[str, object] = {m: math.nan for m in METRICS if METRICS[m][0] != "text"}
    row["abc"] = None
    for m, v in zip(names, vals):
        if METRICS[m][0] == "text":
            row[m] = None if v is None or str(v).strip() == "" else str(v).strip()
        else:
            row[m] = _number(v, m)
    return row


def _class_answer(got: pd.Series, what: str, cfg, rules) -> str:
    """The class, its name in the config's language, the rule that gave it, or the reason in words."""
    from kamplan.engine.review import reason_text
    language = cfg.language if cfg else "en"
    if what == "class":
        return got["cls"]
    if what == "rule":
        return got["rule"] or "(default)"
    if what == "name":
        return cfg.classes[got["cls"]].name.get(language) if cfg else got["cls"]
    rule = rules.rule(got["rule"]) if got["rule"] else None
    return reason_text(rule, got["rule_values"], got["skipped"], rules.default_class, language)


# -- KAM_TARGET ----------------------------------------------------------------------------------------
def _targets(root: Path, year: int, version: int | str | None = None) -> pd.DataFrame:
    """The plan's targets of ``year`` (the plan view, or one plan version, or the agreed one), read
    through the workspace's read-only store (a formula never writes), cached per workspace, year and
    version until the store file changes, and at most a minute."""
    from kamplan.store import StoreError
    from kamplan.workspace import Workspace, store_target
    target = store_target(root)  # a file, or the URL of a shared store (then only the minute counts)
    changed = target.stat().st_mtime if isinstance(target, Path) and target.exists() else 0.0
    stamp = (changed, time.monotonic() // 60)
    key = (root, year, version)
    hit = _TARGETS.get(key)
    if hit is None or hit[0] != stamp:
        try:
            with Workspace.open_readonly(root) as ws:
                _TARGETS[key] = (stamp, _version_targets(ws.store, year, version))
        except StoreError as exc:
            raise UdfInputError(str(exc)) from None
    return _TARGETS[key][1]


def _version_targets(store, year: int, version: int | str | None) -> pd.DataFrame:
    from kamplan.stages.plan import plan_view
    if version is None:
        return plan_view(store, year).targets
    if version == "agreed":
        agreed = store.agreement(year)
        if not agreed:
            raise UdfInputError(t_words("udf.e21", year=year))
        version = agreed["version_id"]
    info, lines = store.plan_version(int(version))
    if info.get("year") not in (None, year):
        raise UdfInputError(t_words("udf.e09", version=version, belongs=info["year"], year=year))
    return lines


def _version(v) -> int | str | None:
    """KAM_TARGET's version: blank (the plan view), a plan version number, or "agreed"."""
    if v is None or str(v).strip() == "":
        return None
    text = str(v).strip().lower().lstrip("v")
    if text in ("agreed", "确认", "已确认"):
        return "agreed"
    try:
        n = float(text)
    except ValueError:
        raise UdfInputError(t_words("udf.e22", v=f"{v!r}")) from None
    if n != int(n) or n < 1:
        raise UdfInputError(t_words("udf.e10", v=f"{v!r}"))
    return int(n)


def _quarter(q) -> int:
    if q is None or str(q).strip() == "" or str(q).strip().lower() in ("0", "year", "fy", "全年"):
        return 0
    s = str(q).strip().upper().lstrip("Q")
    try:
        n = int(float(s))
    except ValueError:
        raise UdfInputError(t_words("udf.e11", q=f"{q!r}")) from None
    if n not in (0, 1, 2, 3, 4):
        raise UdfInputError(t_words("udf.e11", q=f"{q!r}"))
    return n


@xw.func(category=CATEGORY)
@kam_arg("account", doc="Account id, e.g. C001")
@kam_arg("product", doc="Optional: product id; blank for all products")
@kam_arg("quarter", doc="Optional: 1-4 or Q1-Q4; 0 or blank for the year")
@kam_arg("version", doc="Optional: plan version number, or agreed; blank: the agreed plan once locked, else "
                       "the current version, else the newest round")
@kam_arg("measure", doc="Optional: volume (default), revenue or price")
@kam_arg("year", doc="Optional: plan year (default: the config's)")
@kam_arg("workspace", doc="Optional: the workspace folder; default: the one this workbook is in, or the chosen one")
def KAM_TARGET(account, product=None, quarter=None, version=None, measure="volume", year=None, workspace=None,
               caller=None):
    """The target of an account (and product, quarter) from the store: agreed once locked, else the newest round.

    A version number gives that plan version's targets.  Volume and revenue add up; price is revenue / volume.
    Reads the workspace's store, never writes it."""
    try:
        root = _workspace_root(_scalar(workspace), caller)
        if root is None:
            raise UdfInputError(t_words("udf.e24"))
        cfg = _config(root)
        acc = str(_scalar(account) or "").strip()
        if acc not in {a.id for a in cfg.accounts}:
            raise UdfInputError(t_words("udf.e25", acc=f"{acc!r}"))
        prod = str(_scalar(product) or "").strip()
        if prod and prod not in {p.id for p in cfg.products}:
            raise UdfInputError(t_words("udf.e26", prod=f"{prod!r}", known=', '.join((p.id for p in cfg.products))))
        q = _quarter(_scalar(quarter))
        m = str(_scalar(measure) or "volume").strip().lower()
        if m not in ("volume", "revenue", "price"):
            raise UdfInputError(t_words("udf.e27", m=f"{m!r}"))
        y = int(_number(_scalar(year), "year")) if _scalar(year) not in (None, "") else cfg.plan_year
        t = _targets(root, y, _version(_scalar(version)))
        if t.empty:
            raise UdfInputError(t_words("udf.e28", y=y))
        sel = t[(t["account_id"] == acc) & ((t["product_id"] == prod) if prod else True)
                & ((t["quarter"] == q) if q else True)]
        vol, rev = float(sel["volume"].fillna(0).sum()), float(sel["revenue"].fillna(0).sum())
        if m == "price":
            return rev / vol if vol else ""
        return vol if m == "volume" else rev
    except Exception as exc:  # noqa: BLE001
        return _error("KAM_TARGET", exc)


@xw.func(category=CATEGORY)
@kam_arg("history", ndim=2, doc="Sales per period, oldest first, starting at a Q1 (a column or a row)")
@kam_arg("season_length", doc="Optional: periods per season (default 4: quarters)")
@kam_arg("horizon", doc="Optional: periods to forecast (default: the rest of the current season)")
def KAM_FORECAST(history, season_length=None, horizon=None):
    """Forecast of the next periods of a seasonal sales series from its seasonal shares (engine.forecast).

    One value per forecast period, in a column (a row when history is a row)."""
    from kamplan.engine.forecast import forecast_series
    try:
        v, shape = _grid(history, "history", allow_blank=False)
        if 1 not in shape:
            raise UdfInputError(t_words("udf.e29"))
        n = 4 if season_length is None else int(_number(season_length, "season_length"))
        h = None if horizon is None else int(_number(horizon, "horizon"))
        out = forecast_series(v.ravel().tolist(), season_length=n, horizon=h)
        return [out] if shape[0] == 1 else [[x] for x in out]
    except Exception as exc:  # noqa: BLE001
        return _error("KAM_FORECAST", exc)


@xw.func(category=CATEGORY)
@kam_arg("history", ndim=2, doc="Sales per period, oldest first (a column or a row)")
@kam_arg("what", doc="Optional: flag (TRUE/FALSE, the default) or reason (the reasons in words)")
def KAM_RISK(history, what=None):
    """Early warning of defection: TRUE when sales fall (last period well below a season earlier, moving total falling, or sales stopped)."""
    from kamplan.engine.forecast import risk_of_series
    try:
        v, shape = _grid(history, "history", allow_blank=False)
        if 1 not in shape:
            raise UdfInputError(t_words("udf.e29"))
        risk, reasons = risk_of_series(v.ravel().tolist())
        w = (what or "flag").strip().lower()
        if w not in ("flag", "reason"):
            raise UdfInputError(t_words("udf.e31", what=f"{what!r}"))
        return risk if w == "flag" else "; ".join(reasons)
    except Exception as exc:  # noqa: BLE001
        return _error("KAM_RISK", exc)
