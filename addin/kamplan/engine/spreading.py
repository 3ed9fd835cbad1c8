"""Top-down spreading: move the bottom-up plan to the VP's figure, line by line, in whole units.

The VP sets a figure (revenue or volume; for the company, or one per product / region / any
group); the gap between it and the bottom-up total goes down to the account x product x quarter
lines.  Pure functions on numpy arrays (pandas Series accepted and returned); no files, no Excel.

API
---
``spread(target, current, method="proportional", *, weights=None, reference=None, growth=None,
held=None, floors=None, caps=None, unit=0.01, hierarchy=None, by=None, zero_weights="equal")``
returns a ``SpreadResult``: ``values`` (aligned with ``current``; a Series if it was one), ``units``
(int64 whole units), ``target_total``, ``achieved_total``, ``shortfall``, ``at_floor`` / ``at_cap`` /
``binding`` (line positions), ``groups`` (one row per figure), ``notes`` / ``method_note`` (what was
done, in words) and ``problems`` (kamplan ``Problem`` warnings: unreachable figure, fallback, ...).

``round_to_unit_exact(values, total=None, unit=0.01, groups=None)``: the rounding alone.
``hold_mask(pairs)``: lines held because their account / salesperson / region is held.

The rules, explicitly:

* **gap semantics.**  Every method spreads the *gap* (figure - current total of the group) over
  the free lines by a key: ``new = current + rate * key``, one ``rate`` per figure.  Keys:
  ``proportional`` (TM1 "P", Jedox "#"): the current value (the bottom-up target), so every free
  line moves by the same percentage, ``rate``; ``reference``: ``reference`` (last year's actual or
  another version); ``weights``: ``weights`` (potential, score); ``equal``: 1, the same amount on
  every free line.  Negative or missing (NaN) keys count as 0 and are said in the notes.  A zero
  gap changes nothing (idempotent).
* **growth**: free lines first go to ``base x (1 + growth)`` (``growth`` a number or one per line;
  ``base`` is ``reference`` when given, else ``current``; lines with no base keep their value); with
  a figure, what is still missing is then spread proportionally to those values.  ``target=None``
  (growth only): the figure is whatever the rates give.
* **holds**: ``held`` lines never change (``hold_mask`` builds it from held accounts, salespeople,
  regions).  With ``by``, groups that have no figure are held too.
* **bounds**: ``floors`` / ``caps`` (a number or one per line, NaN = none) are kept on free lines.
  With a unit they are first moved inward to whole units, so rounding cannot cross them.  A free
  line that starts outside its bounds is first put on the bound (a problem says how many).  Then
  iterative water-filling: the rest of the gap goes to the lines that still have room,
  proportionally to their key; lines that reach a bound stop; a few passes (each pass is exact
  for the lines it does not stop), and after ``MAX_PASSES`` an exact breakpoint solve.
* **unreachable**: when holds and bounds leave too little room, the lines go as far as they can;
  ``shortfall`` = figure - achieved (> 0: figure above what can be reached, < 0: below), the lines
  on the bound in the direction of the gap are ``binding``, and a problem says both.
* **all keys zero**: when the free lines with room all have key 0 (or the rest of the gap is left
  after every keyed line is at a bound) the rest is split equally among the free lines with room
  (``zero_weights="equal"``, the default; a note says so), or not spread at all (``"none"``: the
  figure is then unreachable and reported so).
* **zero and negative figures** are spread like any other; nothing stops lines going below zero
  except a floor: pass ``floors=0`` for volumes and revenue.
* **exact rounding**: with ``unit`` (0.01 for money, 1 or 0.1 for volume; ``None``: no rounding)
  the figure is rounded to the unit, and values are rounded in integer units so that they add up
  *exactly* to the figure (or, unreachable, to the achieved total rounded), and at every level of
  ``hierarchy`` (e.g. ``[region, rep, account]``, top down; levels are made nested by combining
  them with the levels above, and with ``by``) each group's total is its exact total rounded down
  or up, never further: largest remainder, top down.  Every line moves by less than one unit.
  Ties (remainders within about 1e-9 of a unit) go to the group with the smaller key, and among
  lines to the earlier line.  Held lines keep
  their value even when it is not a whole number of units (a problem says so: sums are then exact
  up to those fractions).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamplan.engine.memory import reused_memory
from kamplan.problems import Message, Problem, problem  # Message: the engine's ground floor is kamplan.problems

METHODS = ("proportional", "reference", "weights", "equal", "growth")
ALIASES = {"P": "proportional", "#": "proportional"}
MAX_PASSES = 12  # water-filling passes before the exact breakpoint solve
SNAP = 1e-6  # a value within this many units of a whole unit is that whole unit
MAX_NOTES = 8  # per kind of note, then "... and N more"


@dataclass(frozen=True)
class SpreadResult:
    values: np.ndarray | pd.Series  # the new lines, aligned with ``current``
    units: np.ndarray | None  # int64 whole units (None when unit is None)
    target_total: float  # the figure(s), rounded to the unit (sum over groups with ``by``)
    achieved_total: float
    shortfall: float  # target_total - achieved_total; 0 when reachable
    at_floor: np.ndarray  # positions of free lines ending on their floor
    at_cap: np.ndarray  # positions of free lines ending on their cap
    binding: np.ndarray  # positions of the bounds that stop an unreachable figure
    groups: pd.DataFrame  # per figure: group, target, achieved, shortfall, rate, n_lines, n_held, ...
    notes: tuple[str, ...]
    problems: tuple[Problem, ...]
    rounding_unit: float | None
    method: str
    initial: np.ndarray = field(repr=False, default=None)  # the free lines' start (after growth, clamped)

    @property
    def reachable(self) -> bool:
        return bool((self.groups["shortfall"] == 0).all())

    @property
    def method_note(self) -> str:
        return "; ".join(self.notes)

    @property
    def n_at_floor(self) -> int:
        return int(self.at_floor.size)

    @property
    def n_at_cap(self) -> int:
        return int(self.at_cap.size)


# -- inputs -------------------------------------------------------------------------------------------
def _array(x, n: int, name: str, index, fill: float | None = None) -> np.ndarray | None:
    """Broadcast a number, list, array or Series to n floats; Series must share ``index``."""
    if x is None:
        return None if fill is None else np.full(n, fill)
    if isinstance(x, pd.Series):
        if index is not None and not x.index.equals(index):
            raise ValueError(f"{name} is a Series whose index is not current's: align it first "
                             f"({name}.reindex(current.index))")
        x = x.to_numpy()
    a = np.asarray(x, dtype="float64")
    if a.ndim == 0:
        return np.full(n, float(a))
    if a.shape != (n,):
        raise ValueError(f"{name} has {a.size} values for {n} lines: pass one per line, or a single number")
    return a.copy()


def _mask(x, n: int, index) -> np.ndarray:
    if x is None:
        return np.zeros(n, dtype=bool)
    if isinstance(x, pd.Series):
        if index is not None and not x.index.equals(index):
            raise ValueError("held is a Series whose index is not current's: align it first")
        x = x.to_numpy()
    a = np.asarray(x)
    if a.ndim == 0:
        return np.full(n, bool(a))
    if a.shape != (n,):
        raise ValueError(f"held has {a.size} values for {n} lines: pass one per line")
    return a.astype(bool)


def _codes(keys, n: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes in sorted key order (so they do not depend on the order of the lines) and the keys."""
    if isinstance(keys, pd.Series):
        keys = keys.to_numpy()
    k = np.asarray(keys)
    if k.shape != (n,):
        raise ValueError(f"{name} has {k.size} keys for {n} lines: pass one key per line")
    codes, uniques = pd.factorize(k, sort=True)
    if (codes < 0).any():
        raise ValueError(f"{name} has missing keys (NaN/None) at lines {np.flatnonzero(codes < 0)[:5].tolist()}")
    return codes.astype(np.int64), np.asarray(uniques)


def _combine(parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    """Codes of the (parent, child) pairs, dense, in sorted pair order."""
    m = int(child.max()) + 1 if child.size else 1
    codes, _ = pd.factorize(parent * m + child, sort=True)
    return codes.astype(np.int64)


def hold_mask(pairs: Sequence[tuple[object, object]], n: int | None = None) -> np.ndarray:
    """Lines held because a group they belong to is held.

    ``pairs``: ``[(region_of_each_line, {"North"}), (rep_of_each_line, ["R07", "R12"]), ...]``;
    a line is held when any of its keys is in the held set of that level.
    """
    out = None
    for keys, held in pairs:
        k = keys.to_numpy() if isinstance(keys, pd.Series) else np.asarray(keys)
        m = np.isin(k, np.asarray(list(held), dtype=k.dtype if k.dtype != object else object))
        out = m if out is None else out | m
    if out is None:
        return np.zeros(n or 0, dtype=bool)
    return out


# -- rounding -----------------------------------------------------------------------------------------
def _snap(u: np.ndarray) -> np.ndarray:
    r = np.rint(u)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(u - r) <= SNAP, r, u)


def _largest_remainder(exact: np.ndarray, parent: np.ndarray, alloc: np.ndarray) -> np.ndarray:
    """Integers, one per child, adding up to ``alloc[parent]`` within every parent: each child gets its
    exact value rounded down, and the units still missing go to the largest remainders (remainders
    equal to about 1e-9 of a unit are ties: the earlier child wins).  If a parent's allocation is more
    than one unit per child away from its children's sum (it never is when allocations come from this
    function), the difference is shared evenly first, so the sums are exact whatever the input."""
    n = exact.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    e = _snap(exact)
    base = np.floor(e)
    frac = e - base
    base = base.astype(np.int64)
    n_par = alloc.size
    short = alloc - np.bincount(parent, weights=base, minlength=n_par).round().astype(np.int64)
    count = np.bincount(parent, minlength=n_par)
    q, r = np.divmod(short, np.maximum(count, 1))
    bp, bi = max(n_par - 1, 1).bit_length(), max(n - 1, 1).bit_length()
    bf = min(30, 62 - bp - bi)  # bits for the remainder; the key has bp + bf + bi <= 62 bits
    if bf >= 16:  # one packed integer key: parent, then remainder (largest first), then position
        fq = (1 << bf) - 1 - np.minimum(np.rint(frac * (1 << bf)).astype(np.int64), (1 << bf) - 1)
        # the keys are distinct (the position is in them): sorting them and reading the position and the
        # parent back out gives argsort's order at half its cost, and no gather of the parents
        keys = np.sort((parent << (bf + bi)) | (fq << bi) | np.arange(n, dtype=np.int64))
        order, sorted_parent = keys & ((1 << bi) - 1), keys >> (bf + bi)
    else:
        order = np.lexsort((np.arange(n), -np.round(frac, 9), parent))
        sorted_parent = parent[order]
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    # the line at place i of the order is its parent's (i - start)-th largest remainder: one more unit
    # for the first r of each parent, written only where it goes
    wins = order[np.arange(n) - start[sorted_parent] < r[sorted_parent]]
    out = base + q[parent]
    out[wins] += 1
    return out


def _round_levels(u: np.ndarray, levels: list[np.ndarray], top: np.ndarray) -> np.ndarray:
    """Round line values ``u`` (in units) so that every group of every level gets its exact total
    rounded by largest remainder within its parent.  ``levels[0]`` are the groups whose totals are
    given (``top``, integers); later levels must refine it (see ``_combine``)."""
    alloc = top.astype(np.int64)
    parent_of_line = levels[0]
    for lv in levels[1:]:
        n_g = int(lv.max()) + 1 if lv.size else 0
        exact = np.bincount(lv, weights=u, minlength=n_g)
        par = np.zeros(n_g, dtype=np.int64)
        par[lv] = parent_of_line
        alloc = _largest_remainder(exact, par, alloc)
        parent_of_line = lv
    return _largest_remainder(u, parent_of_line, alloc)


def _unit_scale(unit: float) -> tuple[float, int | None]:
    inv = 1.0 / unit
    k = round(inv)
    return unit, (k if k >= 1 and abs(inv - k) < 1e-9 * inv else None)


def _from_units(units: np.ndarray, unit: float) -> np.ndarray:
    _, k = _unit_scale(unit)
    return units / k if k is not None else units * unit


def round_to_unit_exact(values, total: float | None = None, unit: float = 0.01,
                        groups: Sequence | None = None) -> np.ndarray:
    """Round ``values`` to ``unit`` so that they add up exactly to ``total`` (rounded to the unit; None:
    their own sum, rounded) and, at every level of ``groups`` (top down, e.g. ``[region, rep]``),
    each group's total is its exact total rounded down or up.  Returns floats on the unit grid;
    their sum in units is exact (``np.rint(result / unit)`` gives the integers)."""
    v = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values, dtype="float64")
    n = v.size
    u = v / unit
    tot = float(np.sum(u)) if total is None else total / unit
    top = np.array([int(np.rint(_snap(np.array([tot]))[0]))], dtype=np.int64)
    levels = [np.zeros(n, dtype=np.int64)]
    for i, g in enumerate(groups or []):
        c, _ = _codes(g, n, f"groups[{i}]")
        levels.append(_combine(levels[-1], c))
    out = _from_units(_round_levels(u, levels, top), unit)
    return pd.Series(out, index=values.index, name=values.name) if isinstance(values, pd.Series) else out


# -- water-filling ------------------------------------------------------------------------------------
def _exact_solve(x, idx, g, k, room, up, rem, G):
    """The rest of the gap onto lines ``idx`` in one go: sort the lines by the rate at which each
    reaches its bound; per group, the lines that saturate before the rate that closes the gap go to
    their bound, the rest move by rate x key.  Returns the per-group rate added."""
    a = np.abs(rem)
    t = room / k
    order = np.lexsort((t, g))
    gs, ts, rs, ks = g[order], t[order], room[order], k[order]
    finite = np.isfinite(rs)  # lines without a bound never stop
    cr = np.cumsum(np.where(finite, rs, 0.0))
    ck = np.cumsum(ks)
    cnt = np.bincount(gs, minlength=G)
    first = np.concatenate(([0], np.cumsum(cnt)[:-1]))
    cr_before = np.where(first > 0, cr[np.maximum(first - 1, 0)], 0.0)
    ck_before = np.where(first > 0, ck[np.maximum(first - 1, 0)], 0.0)
    k_tot = np.bincount(gs, weights=ks, minlength=G)
    c_sat = cr - cr_before[gs]  # room used by the lines up to this one
    k_rest = k_tot[gs] - (ck - ck_before[gs])  # key of the lines after this one
    with np.errstate(invalid="ignore"):
        sat = finite & (c_sat + np.where(finite, ts, 0.0) * k_rest <= a[gs])  # a prefix in each group
    used = np.bincount(gs[sat], weights=rs[sat], minlength=G)
    k_un = np.bincount(gs[~sat], weights=ks[~sat], minlength=G)
    rate = np.divide(a - used, k_un, out=np.zeros(G), where=k_un > 0)
    step = np.where(sat, rs, np.minimum(rate[gs] * ks, rs))
    sign = np.where(up[order], 1.0, -1.0)
    x[idx[order]] += sign * step
    return np.where(rem >= 0, rate, -rate)


def _waterfill(x, key, lo, hi, free, grp, G, target, zero_weights, max_passes=MAX_PASSES):
    """Move free lines of each group towards ``target[g]`` by ``rate[g] * key`` within [lo, hi].
    Returns x, rate per group, the groups that fell back to equal keys, how many lines each, passes."""
    key = key.copy()
    rem = target - np.bincount(grp, weights=x, minlength=G)
    tol = 1e-12 * (np.abs(target) + np.bincount(grp, weights=np.abs(x), minlength=G)) + 1e-300
    rate = np.zeros(G)
    fell = np.zeros(G, dtype=bool)
    n_fell = np.zeros(G, dtype=np.int64)
    idx = np.flatnonzero(free)
    passes = 0
    while True:
        todo = np.abs(rem) > tol
        if not todo.any() or idx.size == 0:
            break
        g = grp[idx]
        up = rem[g] > 0
        room = np.where(up, hi[idx] - x[idx], x[idx] - lo[idx])
        live = todo[g] & (room > 0)
        idx, g, up, room = idx[live], g[live], up[live], room[live]
        k = key[idx]
        s = np.bincount(g, weights=k, minlength=G)
        nlive = np.bincount(g, minlength=G)
        zero = todo & (s <= 0) & (nlive > 0)
        if zero.any() and zero_weights == "equal":
            sel = zero[g]
            key[idx[sel]] = 1.0
            k = key[idx]
            fell |= zero
            n_fell += np.bincount(g[sel], minlength=G)
            s = np.bincount(g, weights=k, minlength=G)
        mv = k > 0
        if not mv.any():
            break
        midx, g, up, room, k = idx[mv], g[mv], up[mv], room[mv], k[mv]
        if passes >= max_passes:
            rate += _exact_solve(x, midx, g, k, room, up, rem, G)
            rem = target - np.bincount(grp, weights=x, minlength=G)
            passes += 1
            break
        step = np.divide(rem, s, out=np.zeros(G), where=s > 0)
        d = step[g] * k
        hit = np.abs(d) >= room
        d = np.where(hit, np.where(up, room, -room), d)
        x[midx] += d
        rate += step
        rem = rem - np.bincount(g, weights=d, minlength=G)
        passes += 1
        if not hit.any():
            break
    return x, rate, fell, n_fell, passes


# -- spread -------------------------------------------------------------------------------------------
def _fmt(x: float, unit: float | None) -> str:
    if unit is not None and unit < 1:
        dec = max(0, int(round(-np.log10(unit))))
        return f"{x:,.{dec}f}"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _limit(items: list[str]) -> list[str]:
    if len(items) <= MAX_NOTES:
        return items
    return items[:MAX_NOTES] + [f"... and {len(items) - MAX_NOTES} more groups"]


def _check_options(method: str, zero_weights: str, unit: float | None) -> str:
    method = ALIASES.get(method, method)
    if method not in METHODS:
        raise ValueError(f"unknown spreading method {method!r}: use one of {', '.join(METHODS)}")
    if zero_weights not in ("equal", "none"):
        raise ValueError(f"zero_weights={zero_weights!r}: use 'equal' or 'none'")
    if unit is not None and not unit > 0:
        raise ValueError(f"unit={unit!r}: use a positive unit such as 0.01 (cents) or 1 (tonnes), or None")
    return method


def _current_lines(current) -> tuple[np.ndarray, object, object]:
    """The current values as floats, and the Series' index and name (None for arrays)."""
    index = current.index if isinstance(current, pd.Series) else None
    name = current.name if isinstance(current, pd.Series) else None
    cur = np.asarray(current.to_numpy() if index is not None else current, dtype="float64")
    if cur.ndim != 1:
        raise ValueError("current must be one value per line (1-d)")
    if np.isnan(cur).any():
        bad = np.flatnonzero(np.isnan(cur))
        raise ValueError(f"current is missing (NaN) at {bad.size} lines, e.g. {bad[:5].tolist()}: use 0 for "
                         "lines without a target")
    return cur, index, name


def _bounds(floors, caps, n: int, index, unit: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Floors and caps per line (NaN: none), moved inward to whole units so rounding cannot cross them."""
    lo = _array(floors, n, "floors", index, fill=-np.inf)
    hi = _array(caps, n, "caps", index, fill=np.inf)
    lo = np.where(np.isnan(lo), -np.inf, lo)
    hi = np.where(np.isnan(hi), np.inf, hi)
    if unit is not None:
        lo = np.ceil(_snap(lo / unit)) * unit
        hi = np.floor(_snap(hi / unit)) * unit
    bad = np.flatnonzero(lo > hi)
    if bad.size:
        raise ValueError(Message("spread.floor-above-cap" if unit is None else "spread.floor-above-cap-units",
                                 count=int(bad.size), line=int(bad[0]), floor=float(lo[bad[0]]),
                                 cap=float(hi[bad[0]])))
    return lo, hi


def _figures(target, by, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The group of every line, the group labels and one figure per group (NaN: no figure)."""
    if by is None:
        if isinstance(target, Mapping | pd.Series):
            raise ValueError("a figure per group needs by=: the group key of every line")
        grp = np.zeros(n, dtype=np.int64)
        return grp, np.array([None], dtype=object), np.array([np.nan if target is None else float(target)])
    grp, glabels = _codes(by, n, "by")
    figs = dict(target.items()) if isinstance(target, Mapping | pd.Series) else None
    if figs is None and target is not None:
        raise ValueError("with by=, give the figures as a mapping {group: figure}")
    figs = figs or {}
    extra = [k for k in figs if k not in set(glabels.tolist())]
    if extra:
        glabels = np.concatenate([glabels.astype(object), np.array(extra, dtype=object)])
    tgt = np.array([float(figs[k]) if k in figs else np.nan for k in glabels.tolist()])
    if target is None:
        tgt[:] = np.nan
    return grp, glabels, tgt


def _hold_groups_without_figure(hold, grp, glabels, no_fig, notes: list[str]) -> np.ndarray:
    """With ``by``, the lines of groups that have no figure are held (a note says how many)."""
    missing = glabels[no_fig[:len(glabels)]].tolist()
    k_lines = int(np.isin(grp, np.flatnonzero(no_fig)).sum())
    if not k_lines:
        return hold
    notes.append(Message("spread.note.no-figure-held", groups=len(missing), lines=k_lines,
                         ids=", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")))
    return hold | no_fig[grp]


def _growth_start(cur, free, growth, reference, n: int, index, notes: list[str]) -> tuple[np.ndarray, str]:
    """Free lines grown to ``base x (1 + growth)``; lines without a base keep their value."""
    if growth is None:
        raise ValueError("method='growth' needs growth=: a rate such as 0.05, or one per line")
    gr = _array(growth, n, "growth", index)
    if np.isnan(gr).any():
        raise ValueError("growth has missing (NaN) rates: give every line a rate (0 for none)")
    base = cur if reference is None else _array(reference, n, "reference", index)
    nobase = np.isnan(base) & free
    start = np.where(free & ~np.isnan(base), base * (1 + gr), cur)
    if nobase.any():
        notes.append(Message("spread.note.no-base", count=int(nobase.sum())))
    rates = np.unique(gr[free]) if free.any() else np.array([])
    what = (Message("spread.how.growth-last-year" if reference is not None else "spread.how.growth-bottom-up",
                    rate=float(rates[0])) if rates.size == 1 else Message("spread.how.growth-per-line"))
    return start, what


def _keys(method: str, cur, free, n: int, index, weights, reference, growth,
          notes: list[str]) -> tuple[np.ndarray, np.ndarray, str]:
    """The key that shares the gap, the lines' start (grown for ``growth``) and the method in words."""
    start = cur.copy()
    if method == "proportional":
        return cur.copy(), start, Message("spread.how.proportional")
    if method == "equal":
        return np.ones(n), start, Message("spread.how.equal")
    if method in ("reference", "weights"):
        src = reference if method == "reference" else weights
        if src is None:
            raise ValueError(f"method={method!r} needs {method}=: one value per line")
        return _array(src, n, method, index), start, Message(f"spread.how.{method}")
    start, what = _growth_start(cur, free, growth, reference, n, index, notes)
    return start.copy(), start, what


def _usable_keys(key, free, hold, method: str, notes: list[str]) -> np.ndarray:
    """Negative or missing keys of free lines count as 0 (the notes say so); held lines get 0."""
    nan_key = np.isnan(key) & free
    neg_key = (key < 0) & free
    if nan_key.any():
        notes.append(Message("spread.note.key-missing", count=int(nan_key.sum()), key=Message(f"spread.key.{method}")))
    if neg_key.any():
        notes.append(Message("spread.note.key-negative", count=int(neg_key.sum()), key=Message(f"spread.key.{method}")))
    key = np.where(np.isnan(key) | (key < 0), 0.0, key)
    key[hold] = 0.0
    return key


def _start_inside_bounds(start, cur, hold, free, lo, hi, notes: list[str], problems: list[Problem]) -> np.ndarray:
    """Free lines that start outside their bounds are put on them (a problem says how many)."""
    x = np.where(hold, cur, np.clip(start, lo, hi))
    outside = free & (x != start)
    if outside.any():
        below = int((outside & (start < lo)).sum())
        above = int(outside.sum()) - below
        found = problem("spread.line-outside-bounds", count=int(outside.sum()), below=below, above=above)
        notes.append(found.message)
        problems.append(found)
    return x


def _figures_in_units(tgt, no_fig, x, grp, G: int, unit: float | None, rates_only: bool,
                      notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The figures rounded to the unit; growth without a figure takes the total the rates give."""
    if unit is not None:
        t_units = np.rint(_snap(tgt / unit))
        off = ~no_fig & (np.abs(tgt / unit - t_units) > SNAP)
        if off.any():
            notes.append(Message("spread.note.figure-rounded", unit=unit))
        tgt = np.where(no_fig, tgt, t_units * unit)
    if rates_only:
        tgt = np.bincount(grp, weights=x, minlength=G)
        if unit is not None:
            # the figure the rates give, in whole units
            tgt = np.rint(_snap(tgt / unit)) * unit
        no_fig = np.zeros(G, dtype=bool)
    return tgt, no_fig


def _shortfall(x, grp, G: int, eff_tgt, no_fig, unit: float | None) -> np.ndarray:
    """Per group, what the lines could not reach (0 within the tolerance, and for groups without a figure)."""
    rem = eff_tgt - np.bincount(grp, weights=x, minlength=G)
    tol = 1e-9 * (np.abs(eff_tgt) + np.bincount(grp, weights=np.abs(x), minlength=G)) + 1e-12
    if unit is not None:
        tol = np.maximum(tol, 0.5 * unit * 1e-3)
    short_g = np.where(np.abs(rem) > tol, rem, 0.0)
    short_g[no_fig] = 0.0
    return short_g


@dataclass(frozen=True)
class _Outcome:
    """The lines after rounding, with the per-group totals and the lines on a bound."""
    vals: np.ndarray
    units: np.ndarray | None
    tgt_g: np.ndarray
    achieved_g: np.ndarray
    short_g: np.ndarray
    on_lo: np.ndarray
    on_hi: np.ndarray


def _held_fractions(cur, hold, unit: float, notes: list[str], problems: list[Problem]) -> np.ndarray:
    """Held lines in whole units; a problem says when some are not whole units (they keep their value)."""
    hu = np.rint(cur / unit)
    off_held = hold & (np.abs(cur / unit - hu) > SNAP)
    if off_held.any():
        found = problem("spread.held-not-whole-units", count=int(off_held.sum()), unit=f"{unit:g}",
                        line=int(np.flatnonzero(off_held)[0]), value=str(cur[off_held][0]))
        notes.append(found.message)
        problems.append(found)
    return hu


def _rounded(x, cur, hold, free, lo, hi, grp, G: int, tgt, no_fig, short_g, unit: float, hierarchy,
             notes: list[str], problems: list[Problem]) -> _Outcome:
    """Free lines rounded in whole units, exact at the figure and at every level of ``hierarchy``."""
    n = x.size
    u = x / unit
    hu = _held_fractions(cur, hold, unit, notes, problems)
    held_units = np.bincount(grp, weights=np.where(hold, hu, 0.0), minlength=G)
    free_exact = np.bincount(grp, weights=np.where(hold, 0.0, u), minlength=G)
    reach = short_g == 0
    top = np.where(reach & ~no_fig, np.rint(tgt / unit) - held_units, np.rint(_snap(free_exact)))
    fidx = np.flatnonzero(free)
    levels = [grp[fidx]]
    for i, h in enumerate(hierarchy or []):
        c, _ = _codes(h, n, f"hierarchy[{i}]")
        levels.append(_combine(levels[-1], c[fidx]))
    units = np.where(hold, hu, 0).astype(np.int64)
    units[fidx] = _round_levels(u[fidx], levels, top.astype(np.int64))
    got = np.bincount(grp, weights=units, minlength=G)  # exact: integers below 2**53
    t_units = np.where(no_fig, got, np.rint(tgt / unit))
    lo_u = np.where(np.isfinite(lo), np.rint(lo / unit), -np.inf)
    hi_u = np.where(np.isfinite(hi), np.rint(hi / unit), np.inf)
    return _Outcome(vals=np.where(hold, cur, _from_units(units, unit)), units=units,
                    tgt_g=_from_units(t_units, unit), achieved_g=_from_units(got, unit),
                    short_g=_from_units(np.where(no_fig, 0, t_units - got), unit),
                    on_lo=free & (units == lo_u), on_hi=free & (units == hi_u))


def _unrounded(x, cur, hold, free, lo, hi, grp, G: int, eff_tgt, no_fig, short_g) -> _Outcome:
    vals = np.where(hold, cur, x)
    achieved_g = np.bincount(grp, weights=vals, minlength=G)
    return _Outcome(vals=vals, units=None, tgt_g=np.where(no_fig, achieved_g, eff_tgt), achieved_g=achieved_g,
                    short_g=short_g, on_lo=free & (vals <= lo), on_hi=free & (vals >= hi))


def _group_table(glabels, grp, G: int, hold, out: _Outcome, rate, fell) -> pd.DataFrame:
    n_lines = np.bincount(grp, minlength=G)
    n_held = np.bincount(grp, weights=hold, minlength=G).astype(np.int64)
    return pd.DataFrame({
        "group": glabels, "target": out.tgt_g, "achieved": out.achieved_g, "shortfall": out.short_g,
        "rate": np.where(fell, np.nan, rate), "n_lines": n_lines, "n_held": n_held, "n_free": n_lines - n_held,
        "n_at_floor": np.bincount(grp, weights=out.on_lo, minlength=G).astype(np.int64),
        "n_at_cap": np.bincount(grp, weights=out.on_hi, minlength=G).astype(np.int64),
        "fallback_equal": fell,
    })


def _fallback_notes(fell, n_fell, method: str, label) -> list[str]:
    keys = Message(f"spread.keys.{method}" if method in ("proportional", "reference", "weights", "growth")
                   else "spread.keys.other")
    return [Message("spread.note.equal-fallback", label=label(g), keys=keys, count=int(n_fell[g]))
            for g in np.flatnonzero(fell)]


def _unreachable_notes(out: _Outcome, bind, grp, n_held, unit: float | None, label) -> list[str]:
    un = []
    for g in np.flatnonzero(out.short_g != 0):
        s = out.short_g[g]
        nb = int((bind & (grp == g)).sum())
        un.append(Message("spread.unreachable-above" if s > 0 else "spread.unreachable-below", label=label(g),
                          figure=_fmt(out.tgt_g[g], unit), gap=_fmt(abs(s), unit), reached=_fmt(out.achieved_g[g], unit),
                          held=int(n_held[g]), free=nb))
    return un


def _summary_note(out: _Outcome, no_fig, fell, rate, method: str, what: str, unit: float | None) -> str:
    reached = ~no_fig & (out.short_g == 0)
    if no_fig.size == 1 and not no_fig[0]:
        if method == "proportional" and not fell[0]:
            what = Message("spread.how.each", rate=float(rate[0]), how=what)
        return Message("spread.note.reached" if reached[0] else "spread.note.not-reached",
                       figure=_fmt(out.tgt_g[0], unit), how=what)
    return Message("spread.note.figures-reached", how=what, reached=int(reached.sum()), figures=int((~no_fig).sum()))


def spread(target, current, method: str = "proportional", *, weights=None, reference=None, growth=None,
           held=None, floors=None, caps=None, unit: float | None = 0.01, hierarchy: Sequence | None = None,
           by=None, zero_weights: str = "equal") -> SpreadResult:
    """Spread the gap between ``target`` and ``current`` onto the lines (see the module's rules).

    ``target``: a number; with ``by`` (one group key per line, e.g. product or region) a mapping or
    Series group -> figure; ``None`` only for ``growth``.  ``hierarchy``: group keys per line, top
    down, at whose every level the rounded totals stay exact.
    """
    with reused_memory():  # millions of lines: the temporaries' memory reused, not faulted in anew
        return _spread(target, current, method, weights=weights, reference=reference, growth=growth, held=held,
                       floors=floors, caps=caps, unit=unit, hierarchy=hierarchy, by=by, zero_weights=zero_weights)


def _spread(target, current, method: str, *, weights, reference, growth, held, floors, caps, unit: float | None,
            hierarchy: Sequence | None, by, zero_weights: str) -> SpreadResult:
    method = _check_options(method, zero_weights, unit)
    cur, index, name = _current_lines(current)
    n = cur.size
    notes: list[str] = []
    problems: list[Problem] = []
    hold = _mask(held, n, index)
    lo, hi = _bounds(floors, caps, n, index, unit)

    # gap semantics: one figure per group, the gap shared by a key
    grp, glabels, tgt = _figures(target, by, n)
    G = glabels.size
    no_fig = np.isnan(tgt)
    if target is None and method != "growth":
        raise ValueError("target=None is only for method='growth' (the figure follows from the rates)")
    # holds
    if target is not None and no_fig.any() and by is not None:
        hold = _hold_groups_without_figure(hold, grp, glabels, no_fig, notes)
    free = ~hold
    # growth (and the other keys)
    key, start, what = _keys(method, cur, free, n, index, weights, reference, growth, notes)
    key = _usable_keys(key, free, hold, method, notes)
    # bounds: start inside them, then water-filling
    x = _start_inside_bounds(start, cur, hold, free, lo, hi, notes, problems)
    tgt, no_fig = _figures_in_units(tgt, no_fig, x, grp, G, unit, method == "growth" and target is None, notes)
    eff_tgt = np.where(no_fig, np.bincount(grp, weights=x, minlength=G), tgt)
    x, rate, fell, n_fell, passes = _waterfill(x, key, lo, hi, free, grp, G, eff_tgt, zero_weights, MAX_PASSES)
    # unreachable
    short_g = _shortfall(x, grp, G, eff_tgt, no_fig, unit)
    # rounding
    if unit is not None:
        out = _rounded(x, cur, hold, free, lo, hi, grp, G, tgt, no_fig, short_g, unit, hierarchy, notes, problems)
    else:
        out = _unrounded(x, cur, hold, free, lo, hi, grp, G, eff_tgt, no_fig, short_g)
    direction = np.sign(out.short_g)[grp]
    bind = (out.on_hi & (direction > 0)) | (out.on_lo & (direction < 0))

    # per-group table and words
    groups = _group_table(glabels, grp, G, hold, out, rate, fell)
    label = (lambda g: "") if by is None else (lambda g: f"{glabels[g]}: ")
    notes.extend(_limit(_fallback_notes(fell, n_fell, method, label)))
    un = _unreachable_notes(out, bind, grp, groups["n_held"].to_numpy(), unit, label)
    notes.extend(_limit(un))
    problems.extend(problem("spread.figure-unreachable", why=m) for m in _limit(un))
    notes.insert(0, _summary_note(out, no_fig, fell, rate, method, what, unit))
    if passes > MAX_PASSES:
        notes.append(Message("spread.note.solved-exactly"))

    values = pd.Series(out.vals, index=index, name=name) if index is not None else out.vals
    return SpreadResult(
        values=values, units=out.units, target_total=float(np.sum(out.tgt_g)),
        achieved_total=float(np.sum(out.achieved_g)), shortfall=float(np.sum(out.short_g)),
        at_floor=np.flatnonzero(out.on_lo), at_cap=np.flatnonzero(out.on_hi), binding=np.flatnonzero(bind),
        groups=groups, notes=tuple(notes), problems=tuple(problems), rounding_unit=unit, method=method,
        initial=np.where(hold, cur, np.clip(start, lo, hi)))
