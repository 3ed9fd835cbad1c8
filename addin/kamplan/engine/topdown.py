"""A top-down adjustment as the VP states it, and its effect on the plan's lines.

``spreading.spread`` does the arithmetic on arrays; this module says what a VP's instruction
means for the plan's account x product x quarter lines: which figure (revenue or volume; for the
company, per product or per region), which method, which lines are held, which floors and caps
apply, and what happens to the other measure (revenue follows volume at the line's price, volume
follows revenue at the line's price).  Pure: frames in, frames out.

Lines frame (one row per rep x account x product x quarter) needs ``rep_id, region_id, cls,
account_id, product_id, quarter, volume, price, revenue``; methods and bounds may need
``ly_volume, ly_revenue`` (last year's actual), ``own_volume, own_revenue`` (the salesperson's own
figure), ``ref_volume, ref_revenue`` (a reference version) and ``weight`` (potential or score).

Bounds are written ``SCOPE=BASIS[*FACTOR]``: ``class:key=last_year`` (key accounts not below last
year, as a floor), ``all=own*1.3`` (at most +30% over the salesperson's own figure, as a cap),
``rep:R01=current*0.9``.  SCOPE is ``all`` or ``account|rep|region|product|class:ID``; BASIS is
``last_year``, ``own`` or ``current`` (the line before this adjustment).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamplan.engine.spreading import SpreadResult, spread

MEASURES = ("revenue", "volume")
BY = ("company", "product", "region")
METHODS = {
    "proportional": "proportional to the bottom-up target (TM1 \"P\", Jedox \"#\")",
    "last_year": "proportional to last year's actual",
    "reference": "proportional to a reference version",
    "potential": "proportional to the account's potential / score",
    "equal": "equal split over the free lines",
    "growth": "growth percentage over last year, the rest proportional",
}
HOLD_KINDS = ("account", "rep", "region", "product", "class", "line")
SCOPES = ("account", "rep", "region", "product", "class")
BASES = {"last_year": "ly", "own": "own", "current": ""}
_SCOPE_COLUMN = {"account": "account_id", "rep": "rep_id", "region": "region_id", "product": "product_id",
                 "class": "cls"}
BOUND_SYNTAX = "SCOPE=BASIS[*FACTOR], e.g. class:key=last_year, all=own*1.3, rep:R01=current*0.9"
_BOUND = re.compile(r"^\s*(all|(account|rep|region|product|class):([^=\s]+))\s*=\s*(last_year|own|current)"
                    r"\s*(?:\*\s*([0-9]*\.?[0-9]+)\s*)?$")


FAR_BELOW, FAR_ABOVE = 0.2, 5.0  # a figure under a fifth or over five times the current version needs allow_far


class TopDownError(ValueError):
    """The instruction cannot be carried out as stated; the message says why and what to do."""


@dataclass(frozen=True)
class Bound:
    side: str  # "floor" or "cap"
    scope: str  # "all" or one of SCOPES
    scope_id: str | None
    basis: str  # one of BASES
    factor: float = 1.0

    @property
    def text(self) -> str:
        scope = "all" if self.scope == "all" else f"{self.scope}:{self.scope_id}"
        factor = "" if self.factor == 1 else f"*{self.factor:g}"
        return f"{scope}={self.basis}{factor}"


def parse_bound(side: str, text: str) -> Bound:
    """``parse_bound("floor", "class:key=last_year")``; a TopDownError says the syntax when it is wrong."""
    if side not in ("floor", "cap"):
        raise TopDownError(f"a bound is a floor or a cap, not {side!r}")
    m = _BOUND.match(str(text))
    if not m:
        raise TopDownError(f"{side} {text!r} is not understood: write {BOUND_SYNTAX}")
    factor = float(m.group(5)) if m.group(5) else 1.0
    if m.group(1) == "all":
        return Bound(side, "all", None, m.group(4), factor)
    return Bound(side, m.group(2), m.group(3), m.group(4), factor)


@dataclass(frozen=True)
class TopDownSpec:
    """One instruction of the VP.  ``figures``: {"*": figure} for the company, else one per product
    or region id.  ``holds``: (kind, id) pairs; a line is ``account/product/quarter``."""
    measure: str
    by: str
    figures: dict[str, float]
    method: str = "proportional"
    growth: float | None = None  # for method "growth": 0.05 = +5% over last year
    reference_version: int | None = None  # for method "reference"
    holds: tuple[tuple[str, str], ...] = ()
    bounds: tuple[Bound, ...] = ()
    note: str = ""
    relative: tuple[str, ...] = ()  # figure keys that are growth over the current version (0.06 = +6%)
    allow_far: bool = False  # a figure far from the current version is meant (see FAR_BELOW, FAR_ABOVE)

    def check(self) -> None:
        if self.measure not in MEASURES:
            raise TopDownError(f"measure {self.measure!r}: use revenue or volume")
        if self.by not in BY:
            raise TopDownError(f"figures by {self.by!r}: use company, product or region")
        if self.method not in METHODS:
            raise TopDownError(f"method {self.method!r}: use one of {', '.join(METHODS)}")
        if self.method == "growth" and self.growth is None:
            raise TopDownError("the growth method needs a growth percentage (e.g. 5%)")
        if self.method == "reference" and self.reference_version is None:
            raise TopDownError("the reference method needs the version to spread like (e.g. version 3)")
        if not self.figures and self.method != "growth":
            raise TopDownError("no figure given: set the company figure, or one per product or region")
        if self.by == "company" and set(self.figures) - {"*"}:
            raise TopDownError("a company figure is one number; use by product or by region for several")
        for k, v in self.figures.items():
            if not np.isfinite(v):
                raise TopDownError(f"the figure for {k} is not a number")
            if k in self.relative and not v > -1:
                raise TopDownError(f"a change of {v:+.0%} would take {_figure_name(k)} to nothing or below; "
                                   "write a change above -100%, e.g. -5%")
            if k not in self.relative and v < 0:
                raise TopDownError(f"the figure {v:,.6g} for {_figure_name(k)} is below 0: give the figure "
                                   "itself (e.g. 250,000,000), or a change as a percentage (e.g. -5%)")
        for kind, _ in self.holds:
            if kind not in HOLD_KINDS:
                raise TopDownError(f"cannot hold a {kind!r}: hold an {', '.join(HOLD_KINDS)}")

    def describe(self) -> str:
        figs = ", ".join(f"{k if k != '*' else 'company'} "
                         + (f"{v:+.2%} over the current version" if k in self.relative else f"{v:,.2f}")
                         for k, v in self.figures.items())
        text = f"{self.measure} {figs or '(growth only)'} by {METHODS[self.method]}"
        if self.method == "growth":
            text += f" ({self.growth:+.1%})"
        if self.method == "reference":
            text += f" (version {self.reference_version})"
        if self.holds:
            text += "; held: " + ", ".join(f"{k} {i}" for k, i in self.holds)
        if self.bounds:
            text += "; " + ", ".join(f"{b.side} {b.text}" for b in self.bounds)
        return text

    def to_json(self) -> dict:
        return {"measure": self.measure, "by": self.by, "figures": dict(self.figures), "method": self.method,
                "growth": self.growth, "reference_version": self.reference_version,
                "holds": [list(h) for h in self.holds], "note": self.note,
                "bounds": [{"side": b.side, "text": b.text} for b in self.bounds],
                "relative": list(self.relative), "allow_far": self.allow_far}

    @classmethod
    def from_json(cls, d: dict) -> TopDownSpec:
        return cls(measure=d["measure"], by=d["by"], figures={k: float(v) for k, v in d["figures"].items()},
                   method=d["method"], growth=d.get("growth"), reference_version=d.get("reference_version"),
                   holds=tuple(tuple(h) for h in d.get("holds", ())), note=d.get("note", ""),
                   bounds=tuple(parse_bound(b["side"], b["text"]) for b in d.get("bounds", ())),
                   relative=tuple(d.get("relative", ())), allow_far=bool(d.get("allow_far", False)))


def _figure_name(key: str) -> str:
    return "the company" if key == "*" else key


@dataclass
class TopDownResult:
    lines: pd.DataFrame  # the input lines with the new volume, price, revenue
    effect: pd.DataFrame  # per line: before/after volume and revenue, delta, held, at_floor, at_cap, binding
    spread: SpreadResult
    notes: list[str] = field(default_factory=list)

    @property
    def shortfall(self) -> float:
        return float(self.spread.shortfall)


def _need(lines: pd.DataFrame, columns: list[str], why: str) -> None:
    missing = [c for c in columns if c not in lines.columns]
    if missing:
        raise TopDownError(f"{why} needs {', '.join(missing)} on the lines")


def held_lines(lines: pd.DataFrame, holds) -> np.ndarray:
    """Boolean mask of the lines a list of (kind, id) holds covers."""
    mask = np.zeros(len(lines), dtype=bool)
    for kind, ident in holds:
        if kind == "line":
            parts = str(ident).split("/")
            if len(parts) != 3 or not parts[2].isdigit():
                raise TopDownError(f"held line {ident!r}: write account/product/quarter, e.g. A01/P1/2")
            this = ((lines["account_id"] == parts[0]) & (lines["product_id"] == parts[1])
                    & (lines["quarter"] == int(parts[2]))).to_numpy()
        else:
            this = (lines[_SCOPE_COLUMN[kind]].astype(str) == str(ident)).to_numpy()
        if not this.any():
            raise TopDownError(f"--hold {kind}:{ident}: no plan line has that {kind}, so nothing would be held; "
                               f"check the id ({_known_ids(lines, kind)})")
        mask |= this
    return mask


def _known_ids(lines: pd.DataFrame, kind: str) -> str:
    if kind == "line":
        return "a line is account/product/quarter, e.g. A01/P1/2"
    ids = sorted(set(lines[_SCOPE_COLUMN[kind]].astype(str)))
    return f"the plan has {', '.join(ids[:10])}" + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")


def bound_arrays(lines: pd.DataFrame, bounds, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """Per line the highest floor and lowest cap that apply (floor at least 0: no negative plan)."""
    n = len(lines)
    lo, hi = np.zeros(n), np.full(n, np.inf)
    for b in bounds:
        col = f"{BASES[b.basis]}_{measure}" if BASES[b.basis] else measure
        _need(lines, [col], f"the {b.side} {b.text}")
        scope = np.ones(n, dtype=bool) if b.scope == "all" else \
            (lines[_SCOPE_COLUMN[b.scope]].astype(str) == str(b.scope_id)).to_numpy()
        value = lines[col].to_numpy(dtype="float64") * b.factor
        value = np.where(np.isnan(value), np.inf if b.side == "cap" else 0.0, value)
        if b.side == "floor":
            lo = np.where(scope, np.maximum(lo, value), lo)
        else:
            hi = np.where(scope, np.minimum(hi, value), hi)
    return lo, hi


def apply_topdown(lines: pd.DataFrame, spec: TopDownSpec, money_unit: float = 0.01,
                  volume_unit: float = 1.0) -> TopDownResult:
    """Move ``lines`` to the VP's figure(s); sums are exact in whole units at every level
    (region > rep > account inside each figure's group)."""
    spec.check()
    _need(lines, ["rep_id", "region_id", "cls", "account_id", "product_id", "quarter", "volume", "price",
                  "revenue"], "a top-down adjustment")
    lines = lines.reset_index(drop=True)
    measure = spec.measure
    unit = money_unit if measure == "revenue" else volume_unit
    current = lines[measure].fillna(0.0).to_numpy(dtype="float64")
    price = lines["price"].to_numpy(dtype="float64")
    notes: list[str] = []
    held = _held(lines, spec, price, notes)
    lo, hi = _bounds(lines, spec, held, notes)
    engine_method, kwargs = _method_inputs(lines, spec)
    target, by = _figures(lines, spec)
    target = _absolute(spec, target, current, by, notes)
    hierarchy = [lines["region_id"].astype(str).to_numpy(), lines["rep_id"].astype(str).to_numpy(),
                 lines["account_id"].astype(str).to_numpy()]
    try:
        result = spread(target, current, engine_method, held=held, floors=lo, caps=hi, unit=unit,
                        hierarchy=hierarchy, by=by, **kwargs)
    except ValueError as exc:
        raise TopDownError(str(exc)) from None
    out = _moved_lines(lines, np.asarray(result.values, dtype="float64"), current, price, measure, money_unit)
    return TopDownResult(out, _effect(lines, out, held, result, measure), result, notes + list(result.notes))


def _held(lines: pd.DataFrame, spec: TopDownSpec, price: np.ndarray, notes: list[str]) -> np.ndarray:
    """The spec's holds; for revenue also the lines without a price (revenue cannot become volume)."""
    held = held_lines(lines, spec.holds)
    if spec.measure == "revenue":
        no_price = ~(price > 0)
        newly = no_price & ~held
        if newly.any():
            notes.append(f"{int(newly.sum()):,} lines without a price are held: revenue cannot become volume there")
        held = held | no_price
    return held


def _bounds(lines: pd.DataFrame, spec: TopDownSpec, held: np.ndarray, notes: list[str]
            ) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = bound_arrays(lines, spec.bounds, spec.measure)
    clash = ~held & (lo > hi)
    if clash.any():
        # Two rules disagree on these lines (e.g. "not below last year" and "at most +30% over the
        # salesperson's figure" when last year was far higher).  The floor wins: it is the commitment.
        first = lines.loc[np.flatnonzero(clash)[0]]
        notes.append(f"{int(clash.sum()):,} lines have a floor above their cap (e.g. {first['account_id']}/"
                     f"{first['product_id']}/Q{first['quarter']}: floor {lo[clash][0]:,.2f}, cap "
                     f"{hi[clash][0]:,.2f}); there the floor wins and the cap is raised to it")
        hi = np.where(clash, lo, hi)
    return lo, hi


def _method_inputs(lines: pd.DataFrame, spec: TopDownSpec) -> tuple[str, dict]:
    """The spreading method for the spec's method, and its keys (reference, weights, growth)."""
    kwargs: dict = {}
    method, measure = spec.method, spec.measure
    if method in ("last_year", "growth"):
        _need(lines, [f"ly_{measure}"], f"the {method} method")
        kwargs["reference"] = lines[f"ly_{measure}"].fillna(0.0).to_numpy(dtype="float64")
    if method == "reference":
        _need(lines, [f"ref_{measure}"], "the reference method")
        kwargs["reference"] = lines[f"ref_{measure}"].fillna(0.0).to_numpy(dtype="float64")
    if method == "potential":
        _need(lines, ["weight"], "the potential method")
        kwargs["weights"] = lines["weight"].to_numpy(dtype="float64")
    if method == "growth":
        kwargs["growth"] = spec.growth
    return {"last_year": "reference", "potential": "weights"}.get(method, method), kwargs


def _figures(lines: pd.DataFrame, spec: TopDownSpec) -> tuple[float | dict | None, np.ndarray | None]:
    """The figure (company) or the figures per group with the group of every line."""
    if spec.by == "company":
        return spec.figures.get("*"), None
    by = lines[_SCOPE_COLUMN[spec.by]].astype(str).to_numpy()
    unknown = sorted(set(spec.figures) - set(by.tolist()))
    if unknown:
        raise TopDownError(f"figure for {', '.join(unknown)}: no plan line has that {spec.by}; "
                           f"check the id (the plan has {', '.join(sorted(set(by.tolist()))[:8])})")
    return dict(spec.figures) or None, by


def _absolute(spec: TopDownSpec, target, current: np.ndarray, by: np.ndarray | None, notes: list[str]):
    """The figures with every growth (``relative``) turned into the figure over the current version, and
    checked against it: one under ``FAR_BELOW`` or over ``FAR_ABOVE`` times the current total is refused
    unless ``allow_far`` (``0.06`` typed for ``+6%``, a figure missing three zeros)."""
    if target is None:
        return None
    figures = {"*": target} if by is None else dict(target)
    out = {}
    for key, figure in figures.items():
        now = float(current.sum() if by is None else current[by == key].sum())
        if key in spec.relative:
            out[key] = now * (1 + figure)
            notes.append(f"{_figure_name(key)}: {figure:+.2%} over the current {now:,.2f} is {out[key]:,.2f}")
            continue
        out[key] = figure
        if now > 0 and not spec.allow_far and not FAR_BELOW <= figure / now <= FAR_ABOVE:
            raise TopDownError(
                f"the {spec.measure} figure {figure:,.6g} for {_figure_name(key)} is {figure / now - 1:+.0%} against "
                f"the current version's {now:,.2f}: a figure this far off is refused (a typo, or a growth "
                f"typed as a figure?). For a change write it as a percentage (e.g. +6% or -2%); to set it "
                f"anyway, add --allow-far")
    return out["*"] if by is None else out


def _moved_lines(lines: pd.DataFrame, new: np.ndarray, current: np.ndarray, price: np.ndarray, measure: str,
                 money_unit: float) -> pd.DataFrame:
    """The lines with the spread measure and the other one following at the line's price."""
    out = lines.copy()
    if measure == "volume":
        out["volume"] = new
        revenue = np.round(new * np.nan_to_num(price) / money_unit) * money_unit
        out["revenue"] = np.where(new == current, lines["revenue"].fillna(0.0).to_numpy(), revenue)
    else:
        out["revenue"] = new
        with np.errstate(divide="ignore", invalid="ignore"):
            volume = np.where(price > 0, new / price, lines["volume"].fillna(0.0).to_numpy())
        out["volume"] = np.where(new == current, lines["volume"].fillna(0.0).to_numpy(), volume)
    return out


def _effect(lines: pd.DataFrame, out: pd.DataFrame, held: np.ndarray, result: SpreadResult,
            measure: str) -> pd.DataFrame:
    """Per line: before and after, the change, and whether it was held, on a bound or binding."""
    n = len(lines)
    flag = np.zeros(n, dtype=bool)
    at_floor, at_cap, binding = flag.copy(), flag.copy(), flag.copy()
    at_floor[result.at_floor] = True
    at_cap[result.at_cap] = True
    binding[result.binding] = True
    effect = lines[["rep_id", "region_id", "cls", "account_id", "product_id", "quarter"]].copy()
    effect["volume_before"] = lines["volume"].fillna(0.0).to_numpy()
    effect["volume_after"] = out["volume"].to_numpy()
    effect["revenue_before"] = lines["revenue"].fillna(0.0).to_numpy()
    effect["revenue_after"] = out["revenue"].to_numpy()
    effect["delta"] = effect[f"{measure}_after"] - effect[f"{measure}_before"]
    effect["held"] = held
    effect["at_floor"], effect["at_cap"], effect["binding"] = at_floor, at_cap, binding
    return effect
