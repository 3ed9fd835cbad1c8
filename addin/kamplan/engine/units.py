"""Units never mix: volume is added only within one unit (issue 12 item 5).

A company may sell bikes and socks both in "pcs", steel in t and bolts in boxes.  Adding their volumes
gives a number that means nothing, so every volume total in kamplan goes through this module:

* lines in the same unit add up;
* lines in different units add up only where a configured conversion says how many of one unit
  another is (``units.conversions`` for all products, ``products[].unit_factor`` for one product);
  the total is then in one unit, the *total unit*;
* otherwise the totals stay apart, one per unit, and ``mixed`` says so: a caller shows them per unit
  or leaves them out with a note, and ranks or warns by revenue instead.

One unit is not yet one kind of thing: bikes at ~877 a piece and socks at ~29 are both "pcs", and
94,932 pcs of them says nothing.  The measures that compare or add volume across products (Pareto,
early warnings, the scorecard's volume goal) therefore ask ``comparable_by_volume``: the products'
volumes are in one unit (or convert to one) *and* their list prices per that unit lie within
``PRICE_SPREAD`` of each other (``units.compare_volume: auto``, the default), or the company said so
(``compare_volume: true`` / ``false``).  Where not, those measures use revenue.

Pure functions; the config's models (``UnitRules``, ``Product``) are passed in as plain mappings by
``unit_system``.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

TOTAL_COLUMNS = ["unit", "volume"]
# Products whose list prices per unit differ more than this factor are not one kind of thing by volume:
# the demo's rolls lie within 2.3x of each other, bikes and socks 30x apart.
PRICE_SPREAD = 10.0


@dataclass(frozen=True)
class UnitSystem:
    """Each product's unit and the conversions between units.

    ``conversions``: from-unit -> {to-unit: factor} with 1 from-unit = factor to-units (both ways are
    implied; chains are followed).  ``product_factors``: product id -> {to-unit: factor}, 1 of the
    product's own unit = factor to-units, for that product only (a case of 12 vs a case of 24).
    ``total_unit``: the unit a converted total is given in when several would do.
    ``volume_comparable``: True / False as the company said (``units.compare_volume``), None = decide
    by the list prices (``list_prices``, per the product's own unit) and ``PRICE_SPREAD``.
    """
    product_units: Mapping[str, str]
    conversions: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    product_factors: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    total_unit: str | None = None
    volume_comparable: bool | None = None
    list_prices: Mapping[str, float] = field(default_factory=dict)

    def unit_of(self, product_id: str) -> str:
        return self.product_units.get(product_id, "")

    def units(self, product_ids: Iterable[str] | None = None) -> list[str]:
        """The distinct units of these products (all products when None), in first-seen order."""
        ids = self.product_units.keys() if product_ids is None else product_ids
        return list(dict.fromkeys(self.unit_of(p) for p in ids))

    def factor(self, product_id: str | None, src: str, dst: str) -> float | None:
        """How many ``dst`` one ``src`` of this product is; None when no conversion connects them."""
        if src == dst:
            return 1.0
        graph = self._graph(product_id)
        seen, todo = {src: 1.0}, deque([src])
        while todo:
            u = todo.popleft()
            for v, f in graph.get(u, {}).items():
                if v not in seen:
                    seen[v] = seen[u] * f
                    if v == dst:
                        return seen[v]
                    todo.append(v)
        return None

    def _graph(self, product_id: str | None) -> dict[str, dict[str, float]]:
        graph: dict[str, dict[str, float]] = {}

        def edge(a: str, b: str, f: float) -> None:
            graph.setdefault(a, {})[b] = f
            graph.setdefault(b, {})[a] = 1.0 / f

        for a, targets in self.conversions.items():
            for b, f in targets.items():
                edge(a, b, float(f))
        if product_id is not None:
            own = self.unit_of(product_id)
            for b, f in self.product_factors.get(product_id, {}).items():
                edge(own, b, float(f))  # the product's own factor wins over the general one
        return graph

    def common_unit(self, product_ids: Iterable[str]) -> str | None:
        """The one unit all these products' volumes can be given in, or None (they would mix)."""
        ids = list(dict.fromkeys(product_ids))
        units = self.units(ids)
        if len(units) <= 1:
            return units[0] if units else None
        candidates = ([self.total_unit] if self.total_unit else []) + units + sorted(
            {u for m in (*self.conversions.values(), *self.product_factors.values()) for u in m}
            | set(self.conversions))
        for cand in dict.fromkeys(candidates):
            if all(self.factor(p, self.unit_of(p), cand) is not None for p in ids):
                return cand
        return None

    def comparable_by_volume(self, product_ids: Iterable[str]) -> bool:
        """Whether these products' volumes may be compared and ranked together (one unit, or converted)."""
        ids = list(dict.fromkeys(product_ids))
        target = self.common_unit(ids)
        if target is None or self.volume_comparable is False:
            return False
        if self.volume_comparable is True:
            return True
        per_unit = [self.list_prices[p] / self.factor(p, self.unit_of(p), target) for p in ids
                    if self.list_prices.get(p, 0) > 0]
        return not per_unit or max(per_unit) <= PRICE_SPREAD * min(per_unit)

    def converted(self, frame: pd.DataFrame, unit: str) -> pd.Series:
        """``frame.volume`` in ``unit`` (NaN where the line's product does not convert to it)."""
        factors = {p: self.factor(p, self.unit_of(p), unit) for p in pd.unique(frame["product_id"])}
        f = frame["product_id"].map(lambda p: factors.get(p)).astype("float64")
        return frame["volume"].astype("float64") * f


def unit_system(products: Sequence, rules=None) -> UnitSystem:
    """The ``UnitSystem`` of the config's products and its ``units:`` rules (``UnitRules`` or None)."""
    return UnitSystem(
        product_units={p.id: p.unit for p in products},
        conversions={} if rules is None else {a: dict(m) for a, m in rules.conversions.items()},
        product_factors={p.id: dict(p.unit_factor) for p in products if getattr(p, "unit_factor", None)},
        total_unit=None if rules is None else rules.total_unit,
        volume_comparable=None if rules is None else _comparable_setting(rules.compare_volume),
        list_prices={p.id: float(p.list_price) for p in products})


def _comparable_setting(value) -> bool | None:
    return None if value == "auto" else bool(value)


def volume_totals(frame: pd.DataFrame, units: UnitSystem, by: Sequence[str] = ()) -> pd.DataFrame:
    """Volume totals per ``by`` group and unit: one row per group where its products share a unit or
    convert to one (then in that unit), else one row per unit.  Columns ``[*by, unit, volume, mixed]``;
    ``mixed`` is True on every row of a group whose volume could not be put into one unit.

    Sums at full precision (rounding is for display).
    """
    by = list(by)
    cols = [*by, *TOTAL_COLUMNS, "mixed"]
    if not len(frame):
        return pd.DataFrame(columns=cols)
    rows = []
    groups = frame.groupby(by, sort=True, dropna=False) if by else [((), frame)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        target = units.common_unit(g["product_id"])
        if target is not None:
            rows.append((*key, target, float(units.converted(g, target).sum()), False))
            continue
        per_unit = g.assign(unit=g["product_id"].map(units.unit_of)).groupby("unit", sort=True)["volume"].sum()
        rows += [(*key, u, float(v), True) for u, v in per_unit.items()]
    return pd.DataFrame(rows, columns=cols)


def single_volume(frame: pd.DataFrame, units: UnitSystem) -> tuple[float, str] | None:
    """The frame's whole volume as (total, unit), or None where it would mix units."""
    t = volume_totals(frame, units)
    if len(t) != 1 or bool(t["mixed"].iloc[0]):
        return None if len(t) else (0.0, "")
    return float(t["volume"].iloc[0]), str(t["unit"].iloc[0])


def mixed_groups(frame: pd.DataFrame, units: UnitSystem, by: Sequence[str]) -> set:
    """The ``by`` keys (a value, or a tuple for several columns) whose volume would mix units."""
    t = volume_totals(frame, units, by)
    t = t[t["mixed"].astype(bool)]
    if not len(t):
        return set()
    if len(by) == 1:
        return set(t[by[0]])
    return set(map(tuple, t[list(by)].itertuples(index=False, name=None)))


def format_totals(totals: pd.DataFrame, fmt: str = "{:,.0f}") -> str:
    """Per-unit totals as one text: "1,200 pcs + 35 t" (the rows of one group of ``volume_totals``)."""
    return " + ".join(f"{fmt.format(v)} {u}".strip() for u, v in zip(totals["unit"], totals["volume"]))
