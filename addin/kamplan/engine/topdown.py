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

from kamplan.engine.choices import BOUND_SYNTAX, BY, HOLD_KINDS, MEASURES, METHODS  # noqa: F401 -- offered by --help
from kamplan.engine.spreading import MAX_NOTES, SpreadResult, round_to_unit_exact, spread
from kamplan.problems import Message  # the engine's ground floor is kamplan.problems

QUARTER_KEY = re.compile(r"^(?P<id>.+):Q(?P<q>[1-4])$")  # a figure for one quarter: ``R01:Q2``
SCOPES = ("account", "rep", "region", "product", "class")
BASES = {"last_year": "ly", "own": "own", "current": ""}
_SCOPE_COLUMN = {"account": "account_id", "rep": "rep_id", "region": "region_id", "product": "product_id",
                 "class": "cls"}
_BOUND = re.compile(r"^\s*(all|(account|rep|region|product|class):([^=\s]+))\s*=\s*(last_year|own|current)"
                    r"\s*(?:\*\s*([0-9]*\.?[0-9]+)\s*)?$")


# Defaults of ``targets.far_below`` / ``targets.far_above``: a figure under a fifth or over five times the
# current version needs allow_far.
FAR_BELOW, FAR_ABOVE = 0.2, 5.0
MAX_FIGURE = 1e15  # a figure above this is refused whatever --allow-far says (1e308 once poisoned a plan)
MAX_CHANGE = 100.0  # and a change above +10,000%
MAX_FIT_SWEEPS = 500  # shared credit: sweeps over the salespeople's figures before a figure counts as unreachable
FIT_TOLERANCE = 1e-9  # shared credit: a figure is met when off by less than this share of it (before rounding)
CREDIT_COLUMNS = ["account_id", "product_id", "salesperson_id", "share"]


class TopDownError(ValueError):
    """The instruction cannot be carried out as stated; the message (a catalogue ``Message``, ``why``) says why
    and what to do, in the language a front end renders it in."""

    @property
    def why(self):
        return self.args[0] if self.args else ""


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
        raise TopDownError(Message("topdown.bound-side", side=repr(side)))
    m = _BOUND.match(str(text))
    if not m:
        raise TopDownError(Message("topdown.bound-syntax", side=_side(side), text=repr(text), syntax=BOUND_SYNTAX))
    factor = float(m.group(5)) if m.group(5) else 1.0
    if m.group(1) == "all":
        return Bound(side, "all", None, m.group(4), factor)
    return Bound(side, m.group(2), m.group(3), m.group(4), factor)


@dataclass(frozen=True)
class TopDownSpec:
    """One instruction of the VP.  ``figures``: {"*": figure} for the company, else one per product,
    region, class or salesperson id (``by="rep"``), for the year (``R01``) or for one quarter
    (``R01:Q2``); an id has either a year figure or quarter figures.  ``holds``: (kind, id) pairs; a
    line is ``account/product/quarter``.  ``source``: where the figures came from (a quota file:
    ``{"file": "quotas.csv", "quotas": 68}``), kept with the version."""
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
    source: dict | None = None

    def check(self) -> None:
        if self.measure not in MEASURES:
            raise TopDownError(Message("topdown.measure", measure=repr(self.measure)))
        if self.by not in BY:
            raise TopDownError(Message("topdown.by", by=repr(self.by), choices=", ".join(BY)))
        if self.method not in METHODS:
            raise TopDownError(Message("topdown.method", method=repr(self.method), choices=", ".join(METHODS)))
        if self.method == "growth" and self.growth is None:
            raise TopDownError(Message("topdown.growth-needs-rate"))
        if self.method == "reference" and self.reference_version is None:
            raise TopDownError(Message("topdown.reference-needs-version"))
        if not self.figures and self.method != "growth":
            raise TopDownError(Message("topdown.no-figure"))
        if self.by == "company" and set(self.figures) - {"*"}:
            raise TopDownError(Message("topdown.company-one-figure"))
        self._check_periods()
        for k, v in self.figures.items():
            if not np.isfinite(v):
                raise TopDownError(Message("topdown.not-a-number", key=k))
            if k in self.relative and not v > -1:
                raise TopDownError(Message("topdown.change-to-nothing", change=v, name=_figure_name(k)))
            if k not in self.relative and v < 0:
                raise TopDownError(Message("topdown.negative", figure=v, name=_figure_name(k)))
            if v > (MAX_CHANGE if k in self.relative else MAX_FIGURE):  # not even --allow-far: a typo for sure
                raise TopDownError(Message("topdown.change-too-large", name=_figure_name(k), limit=MAX_CHANGE)
                                   if k in self.relative else
                                   Message("topdown.figure-too-large", name=_figure_name(k), limit=MAX_FIGURE))
        for kind, _ in self.holds:
            if kind not in HOLD_KINDS:
                raise TopDownError(Message("topdown.hold-kind", kind=repr(kind), choices=", ".join(HOLD_KINDS)))

    def _check_periods(self) -> None:
        """An id has a figure for the year or figures for quarters, not both (which would be met?)."""
        if self.by == "company":
            return
        annual = {k for k in self.figures if not QUARTER_KEY.match(k)}
        quarterly = {split_key(k)[0] for k in self.figures if QUARTER_KEY.match(k)}
        both = sorted(annual & quarterly)
        if both:
            raise TopDownError(Message("topdown.year-and-quarters", ids=", ".join(both)))

    def describe(self) -> str:
        if self.source:  # a quota file: say which, how many and the total, not every figure
            total = sum(v for k, v in self.figures.items() if k not in self.relative)
            who = "salesperson" if self.by == "rep" else self.by
            text = (f"{self.measure} quotas from {self.source.get('file', 'a file')}: {len(self.figures):,} {who} "
                    f"figures ({total:,.2f} in all) by {METHODS[self.method]}")
            text = self._describe_rest(text)
            return text + (f"; note: {self.note}" if self.note else "")
        figs = ", ".join(f"{k if k != '*' else 'company'} "
                         + (f"{v:+.2%} over the current version" if k in self.relative else f"{v:,.2f}")
                         for k, v in self.figures.items())
        return self._describe_rest(f"{self.measure} {figs or '(growth only)'} by {METHODS[self.method]}")

    def _describe_rest(self, text: str) -> str:
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
                "relative": list(self.relative), "allow_far": self.allow_far, "source": self.source}

    @classmethod
    def from_json(cls, d: dict) -> TopDownSpec:
        return cls(measure=d["measure"], by=d["by"], figures={k: float(v) for k, v in d["figures"].items()},
                   method=d["method"], growth=d.get("growth"), reference_version=d.get("reference_version"),
                   holds=tuple(tuple(h) for h in d.get("holds", ())), note=d.get("note", ""),
                   bounds=tuple(parse_bound(b["side"], b["text"]) for b in d.get("bounds", ())),
                   relative=tuple(d.get("relative", ())), allow_far=bool(d.get("allow_far", False)),
                   source=d.get("source"))


def split_key(key: str) -> tuple[str, int | None]:
    """``"R01:Q2"`` -> ("R01", 2); ``"R01"`` -> ("R01", None)."""
    m = QUARTER_KEY.match(key)
    return (m.group("id"), int(m.group("q"))) if m else (key, None)


def _figure_name(key: str) -> str:
    if key == "*":
        return Message("topdown.the-company")
    ident, quarter = split_key(key)
    return ident if quarter is None else Message("topdown.in-quarter", id=ident, quarter=quarter)


def _names(keys: list[str]):
    """The figures' names as one list, each said in the language the list is said in."""
    names = [_figure_name(k) for k in keys]
    out = names[-1]
    for name in reversed(names[:-1]):
        out = Message("topdown.comma", first=name, rest=out)
    return out


def _side(side: str):
    """``floor`` or ``cap`` as the catalogue says it."""
    return Message(f"topdown.side.{side}") if side in ("floor", "cap") else side


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
        raise TopDownError(Message("topdown.columns-missing", what=why, columns=", ".join(missing)))


def held_lines(lines: pd.DataFrame, holds) -> np.ndarray:
    """Boolean mask of the lines a list of (kind, id) holds covers."""
    mask = np.zeros(len(lines), dtype=bool)
    for kind, ident in holds:
        if kind == "line":
            parts = str(ident).split("/")
            if len(parts) != 3 or not parts[2].isdigit():
                raise TopDownError(Message("topdown.held-line", line=repr(ident)))
            this = ((lines["account_id"] == parts[0]) & (lines["product_id"] == parts[1])
                    & (lines["quarter"] == int(parts[2]))).to_numpy()
        else:
            this = (lines[_SCOPE_COLUMN[kind]].astype(str) == str(ident)).to_numpy()
        if not this.any():
            raise TopDownError(Message("topdown.hold-nothing", kind=kind, id=ident, known=_known_ids(lines, kind)))
        mask |= this
    return mask


def _known_ids(lines: pd.DataFrame, kind: str) -> str:
    if kind == "line":
        return Message("topdown.line-syntax")
    ids = sorted(set(lines[_SCOPE_COLUMN[kind]].astype(str)))
    if len(ids) > 10:
        return Message("topdown.plan-has-more", ids=", ".join(ids[:10]), more=len(ids) - 10)
    return Message("topdown.plan-has", ids=", ".join(ids))


def bound_arrays(lines: pd.DataFrame, bounds, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """Per line the highest floor and lowest cap that apply (floor at least 0: no negative plan)."""
    n = len(lines)
    lo, hi = np.zeros(n), np.full(n, np.inf)
    for b in bounds:
        col = f"{BASES[b.basis]}_{measure}" if BASES[b.basis] else measure
        _need(lines, [col], Message("topdown.what.bound", side=_side(b.side), text=b.text))
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
                  volume_unit: float = 1.0, *, credit: pd.DataFrame | None = None,
                  far_below: float = FAR_BELOW, far_above: float = FAR_ABOVE) -> TopDownResult:
    """Move ``lines`` to the VP's figure(s); sums are exact in whole units at every level
    (region > rep > account inside each figure's group).

    ``credit`` (by rep only; ``CREDIT_COLUMNS``: account_id, product_id, salesperson_id, share) says
    whose figure each line counts for; None: the line's ``rep_id``, fully.  When every account x product
    counts fully for one salesperson, a salesperson's figure is met exactly by their lines; when lines
    are shared, the figures are fitted together (``_fit_shared``) and met up to the cents the shares split.
    ``far_below`` / ``far_above``: the guard against a figure far from the current version."""
    spec.check()
    _need(lines, ["rep_id", "region_id", "cls", "account_id", "product_id", "quarter", "volume", "price",
                  "revenue"], Message("topdown.what.adjustment"))
    lines = lines.reset_index(drop=True)
    measure = spec.measure
    unit = money_unit if measure == "revenue" else volume_unit
    current = lines[measure].fillna(0.0).to_numpy(dtype="float64")
    price = lines["price"].to_numpy(dtype="float64")
    notes: list[str] = []
    held = _held(lines, spec, price, notes)
    lo, hi = _bounds(lines, spec, held, notes)
    engine_method, kwargs = _method_inputs(lines, spec)
    hierarchy = [lines["region_id"].astype(str).to_numpy(), lines["rep_id"].astype(str).to_numpy(),
                 lines["account_id"].astype(str).to_numpy()]
    parts = _credited_parts(lines, spec, credit)
    try:
        if parts is not None and not _one_person_each(parts, len(lines)):
            target = _absolute(spec, spec.figures, current, _PartsTotals(parts, current), notes,
                               far_below, far_above)
            result = _fit_shared(parts, target, current, engine_method, kwargs, held, lo, hi, unit, hierarchy)
        else:
            target, by = _figures(lines, spec, parts)
            target = _absolute(spec, target, current, by, notes, far_below, far_above)
            result = spread(target, current, engine_method, held=held, floors=lo, caps=hi, unit=unit,
                            hierarchy=hierarchy, by=by, **kwargs)
    except TopDownError:
        raise
    except ValueError as exc:  # the spreading's refusal: a Message where it says one
        raise TopDownError(Message("topdown.cannot-spread", reason=exc.args[0] if exc.args else str(exc))) from None
    out = _moved_lines(lines, np.asarray(result.values, dtype="float64"), current, price, measure, money_unit)
    return TopDownResult(out, _effect(lines, out, held, result, measure), result, notes + list(result.notes))


def _credited_parts(lines: pd.DataFrame, spec: TopDownSpec, credit: pd.DataFrame | None) -> pd.DataFrame | None:
    """By rep: one row per line and salesperson it counts for (``line``, ``salesperson_id``, ``share``,
    ``key``: the figure it counts towards).  None for the other kinds of figures."""
    if spec.by != "rep":
        return None
    if credit is None:
        parts = pd.DataFrame({"line": np.arange(len(lines)), "salesperson_id": lines["rep_id"].astype(str),
                              "share": 1.0})
    else:
        missing = [c for c in CREDIT_COLUMNS if c not in credit.columns]
        if missing:
            raise TopDownError(Message("topdown.columns-missing", what=Message("topdown.what.credit"),
                                           columns=", ".join(missing)))
        keyed = lines[["account_id", "product_id"]].assign(line=np.arange(len(lines)))
        parts = keyed.merge(credit[CREDIT_COLUMNS], on=["account_id", "product_id"], how="inner")
        parts = parts.loc[parts["share"] > 0, ["line", "salesperson_id", "share"]]
        parts["salesperson_id"] = parts["salesperson_id"].astype(str)
        parts["share"] = parts["share"].astype("float64")
    quarters = lines["quarter"].to_numpy()[parts["line"].to_numpy()]
    parts["key"] = _group_keys(parts["salesperson_id"].to_numpy(), quarters, spec)
    _check_figures_have_lines(spec, parts["salesperson_id"].to_numpy(), set(parts["key"].tolist()))
    return parts.reset_index(drop=True)


def _one_person_each(parts: pd.DataFrame, n_lines: int) -> bool:
    """Every line counts fully for exactly one salesperson: the figures partition the lines."""
    return len(parts) == n_lines and parts["line"].is_unique and bool((parts["share"] == 1.0).all())


class _PartsTotals:
    """The current credited total of each figure key (shared credit)."""

    def __init__(self, parts: pd.DataFrame, current: np.ndarray):
        credited = parts["share"].to_numpy() * current[parts["line"].to_numpy()]
        self._totals = pd.Series(credited).groupby(parts["key"].to_numpy()).sum().to_dict()

    def total(self, key: str) -> float:
        return float(self._totals.get(key, 0.0))


def _fit_shared(parts: pd.DataFrame, figures: dict[str, float], current: np.ndarray, method: str, kwargs: dict,
                held: np.ndarray, lo: np.ndarray, hi: np.ndarray, unit: float, hierarchy) -> SpreadResult:
    """Lines shared by several salespeople (shares as weights), every salesperson's figure met at once.

    Each sweep goes through the figures: the salesperson's credited parts (share x line) are spread to
    their figure by the method, within the holds and the bounds (scaled by the share), and the lines
    follow (part / share).  For the proportional method this is iterative proportional fitting over the
    (salesperson, period) margins; sweeps go on until every figure is met to ``FIT_TOLERANCE`` or stop
    improving (then the figures cannot all be met: unreachable).  The lines are rounded last (exact
    within each line's main salesperson and quarter, then ``hierarchy``), and the whole units a credited
    total is still off settle on a line of that salesperson's own (``_settle_units``): each credited total
    ends within half a unit of its figure (a shared line's part splits a cent, so closer is not possible)."""
    if method == "growth":
        raise TopDownError(Message("topdown.growth-shared"))
    parts = parts[parts["key"].isin(list(figures))]
    groups = [(key, g["line"].to_numpy(), g["share"].to_numpy()) for key, g in parts.groupby("key", sort=True)]
    x = current.copy()
    off, sweeps = _sweep_until_met(x, groups, figures, method, kwargs, held, lo, hi)
    moved = np.zeros(current.size, dtype=bool)
    moved[parts["line"].to_numpy()] = True
    free = moved & ~held
    values = current.copy()
    if free.any():
        # Rounded exact within each line's main figure (the salesperson with the largest share, per quarter)
        # first, so that a salesperson's fully credited lines add up to their exact total.
        main = parts.sort_values(["share", "line"], ascending=[False, True], kind="stable").drop_duplicates("line")
        main_key = np.full(current.size, "", dtype=object)
        main_key[main["line"].to_numpy()] = main["key"].to_numpy()
        levels = [main_key[free].astype(str)] + [h[free] for h in hierarchy]
        values[free] = round_to_unit_exact(x[free], unit=unit, groups=levels)
        _settle_units(values, parts, groups, figures, free, lo, hi, unit)
    return _shared_result(values, current, free, groups, figures, off, sweeps, lo, hi, unit)


def _settle_units(values: np.ndarray, parts: pd.DataFrame, groups, figures, free, lo, hi, unit: float) -> None:
    """After rounding, the whole units a salesperson's credited total is still off go onto one of their free
    lines that counts for them alone (the largest with room inside its bounds), so that no other total moves:
    each credited total then ends within half a unit of its figure."""
    alone = parts.groupby("line")["line"].transform("size").to_numpy() == 1
    own = pd.Series(alone & (parts["share"].to_numpy() == 1.0), index=parts.index)
    for key, idx, share in groups:
        k = np.rint((figures[key] - float(share @ values[idx])) / unit)
        if not k:
            continue
        mine = parts.loc[(parts["key"] == key) & own, "line"].to_numpy()
        step = k * unit
        room = mine[free[mine] & (values[mine] + step >= lo[mine] - 1e-9) & (values[mine] + step <= hi[mine] + 1e-9)]
        if room.size:
            best = room[np.argmax(values[room])]
            values[best] = np.round((values[best] + step) / unit) * unit


def _sweep_until_met(x: np.ndarray, groups, figures, method: str, kwargs: dict, held, lo, hi) -> tuple[np.ndarray, int]:
    """Sweep over the figures (in place on ``x``); returns each figure's relative miss and the sweeps made."""
    off = np.full(len(groups), np.inf)
    best, stalled = np.inf, 0
    for sweep in range(1, MAX_FIT_SWEEPS + 1):
        for key, idx, share in groups:
            keys = {name: kwargs[name][idx] * share for name in ("reference", "weights") if name in kwargs}
            res = spread(figures[key], share * x[idx], method, held=held[idx], floors=share * lo[idx],
                         caps=share * hi[idx], unit=None, **keys)
            x[idx] = np.where(held[idx], x[idx], np.asarray(res.values) / share)
        off = np.array([abs(figures[k] - float(share @ x[idx])) / max(abs(figures[k]), 1.0)
                        for k, idx, share in groups])
        worst = float(off.max()) if off.size else 0.0
        if worst < FIT_TOLERANCE:
            return off, sweep
        stalled = stalled + 1 if worst > best * (1 - 1e-4) else 0  # no real progress: the figures clash
        best = min(best, worst)
        if stalled >= 25:
            return off, sweep
    return off, MAX_FIT_SWEEPS


def _shared_result(values, current, free, groups, figures, off, sweeps: int, lo, hi, unit: float) -> SpreadResult:
    """The fitted lines as a SpreadResult: one row per figure in ``groups``, a figure missed by more than
    the tolerance is unreachable (its lines on a bound are binding)."""
    keys = [k for k, _, _ in groups]
    target = np.array([round(figures[k] / unit) * unit for k in keys])
    achieved = np.array([float(share @ values[idx]) for _, idx, share in groups])
    missed = off >= FIT_TOLERANCE
    shortfall = np.where(missed, target - achieved, 0.0)
    on_lo = free & (values <= lo + unit / 2)
    on_hi = free & (values >= hi - unit / 2)
    binding = np.zeros(values.size, dtype=bool)
    for (key, idx, _), short in zip(groups, shortfall):
        side = on_hi if short > 0 else on_lo
        if short:
            binding[idx] |= side[idx]
    n_lines = np.array([idx.size for _, idx, _ in groups], dtype=np.int64)
    n_free = np.array([int(free[idx].sum()) for _, idx, _ in groups], dtype=np.int64)
    table = pd.DataFrame({"group": keys, "target": target, "achieved": achieved, "shortfall": shortfall,
                          "rate": np.nan, "n_lines": n_lines, "n_held": n_lines - n_free, "n_free": n_free,
                          "n_at_floor": [int(on_lo[idx].sum()) for _, idx, _ in groups],
                          "n_at_cap": [int(on_hi[idx].sum()) for _, idx, _ in groups], "fallback_equal": False})
    rounding = float(np.max(np.abs(np.where(missed, 0.0, target - achieved)), initial=0.0))
    notes = [Message("topdown.note.fitted", figures=len(keys), sweeps=sweeps, unit=unit, rounding=rounding)]
    notes += [Message("topdown.note.fit-unreachable", name=_figure_name(k), figure=float(t), reached=float(a))
              for k, t, a, m in zip(keys, target, achieved, missed) if m][:MAX_NOTES]
    return SpreadResult(values=values, units=np.rint(values / unit).astype(np.int64), target_total=float(target.sum()),
                        achieved_total=float(achieved.sum()), shortfall=float(shortfall.sum()),
                        at_floor=np.flatnonzero(on_lo), at_cap=np.flatnonzero(on_hi),
                        binding=np.flatnonzero(binding), groups=table, notes=tuple(notes), problems=(),
                        rounding_unit=unit, method="fitted", initial=current.copy())


def _held(lines: pd.DataFrame, spec: TopDownSpec, price: np.ndarray, notes: list[str]) -> np.ndarray:
    """The spec's holds; for revenue also the lines without a price (revenue cannot become volume)."""
    held = held_lines(lines, spec.holds)
    if spec.measure == "revenue":
        no_price = ~(price > 0)
        newly = no_price & ~held
        if newly.any():
            notes.append(Message("topdown.note.no-price-held", count=int(newly.sum())))
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
        notes.append(Message("topdown.note.floor-above-cap", count=int(clash.sum()),
                             line=f"{first['account_id']}/{first['product_id']}/Q{first['quarter']}",
                             floor=float(lo[clash][0]), cap=float(hi[clash][0])))
        hi = np.where(clash, lo, hi)
    return lo, hi


def _method_inputs(lines: pd.DataFrame, spec: TopDownSpec) -> tuple[str, dict]:
    """The spreading method for the spec's method, and its keys (reference, weights, growth)."""
    kwargs: dict = {}
    method, measure = spec.method, spec.measure
    if method in ("last_year", "growth"):
        _need(lines, [f"ly_{measure}"], Message(f"topdown.what.method-{method}"))
        kwargs["reference"] = lines[f"ly_{measure}"].fillna(0.0).to_numpy(dtype="float64")
    if method == "reference":
        _need(lines, [f"ref_{measure}"], Message("topdown.what.method-reference"))
        kwargs["reference"] = lines[f"ref_{measure}"].fillna(0.0).to_numpy(dtype="float64")
    if method == "potential":
        _need(lines, ["weight"], Message("topdown.what.method-potential"))
        kwargs["weights"] = lines["weight"].to_numpy(dtype="float64")
    if method == "growth":
        kwargs["growth"] = spec.growth
    return {"last_year": "reference", "potential": "weights"}.get(method, method), kwargs


def _figures(lines: pd.DataFrame, spec: TopDownSpec, parts: pd.DataFrame | None
             ) -> tuple[float | dict | None, np.ndarray | None]:
    """The figure (company) or the figures per group with the group of every line: the line's id (its
    salesperson for by rep, from ``parts`` when given), with ``:Qn`` where the id has quarter figures."""
    if spec.by == "company":
        return spec.figures.get("*"), None
    if parts is not None:  # one salesperson per line: their id, in line order
        ids = parts.sort_values("line")["salesperson_id"].astype(str).to_numpy()
    else:
        ids = lines[_SCOPE_COLUMN[spec.by]].astype(str).to_numpy()
    by = _group_keys(ids, lines["quarter"].to_numpy(), spec)
    _check_figures_have_lines(spec, ids, set(by.tolist()))
    return dict(spec.figures) or None, by


def _group_keys(ids: np.ndarray, quarters: np.ndarray, spec: TopDownSpec) -> np.ndarray:
    """Each line's figure key: its id, or ``id:Qn`` when that id has figures per quarter."""
    quarterly = {split_key(k)[0] for k in spec.figures if split_key(k)[1] is not None}
    if not quarterly:
        return ids
    with_q = np.char.add(np.char.add(ids.astype(str), ":Q"), quarters.astype(np.int64).astype(str))
    return np.where(np.isin(ids, list(quarterly)), with_q, ids).astype(object)


def _check_figures_have_lines(spec: TopDownSpec, ids: np.ndarray, keys: set[str]) -> None:
    """Every figure needs lines to carry it: an unknown id, or a quarter with no line of that id."""
    what = Message(f"topdown.kind.{spec.by}")
    known = sorted(set(ids.tolist()))
    unknown = sorted(k for k in spec.figures if split_key(k)[0] not in set(known))
    if unknown:
        raise TopDownError(Message("topdown.figure-unknown-id", ids=", ".join(unknown), what=what,
                                   known=", ".join(known[:8]) + (" ..." if len(known) > 8 else "")))
    empty = sorted(k for k in spec.figures if k not in keys)
    if empty:
        raise TopDownError(Message("topdown.figure-empty-quarter", names=_names(empty), what=what))


def _absolute(spec: TopDownSpec, target, current: np.ndarray, by, notes: list[str],
              far_below: float = FAR_BELOW, far_above: float = FAR_ABOVE):
    """The figures with every growth (``relative``) turned into the figure over the current version, and
    checked against it: one under ``far_below`` or over ``far_above`` times the current total is refused
    unless ``allow_far`` (``0.06`` typed for ``+6%``, a figure missing three zeros).  ``by``: the group of
    every line, or (shared credit) a ``_PartsTotals``."""
    if target is None:
        return None
    figures = {"*": target} if by is None else dict(target)
    out = {}
    for key, figure in figures.items():
        if by is None:
            now = float(current.sum())
        elif isinstance(by, _PartsTotals):
            now = by.total(key)
        else:
            now = float(current[by == key].sum())
        if key in spec.relative:
            out[key] = now * (1 + figure)
            notes.append(Message("topdown.note.relative", name=_figure_name(key), change=figure, now=now,
                                 figure=out[key]))
            continue
        out[key] = figure
        if now > 0 and not spec.allow_far and not far_below <= figure / now <= far_above:
            raise TopDownError(Message("topdown.far-off", measure=Message(f"topdown.measure.{spec.measure}"),
                                       figure=figure, name=_figure_name(key), change=figure / now - 1, now=now))
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
