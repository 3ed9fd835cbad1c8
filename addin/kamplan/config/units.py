"""``units:``: how the company's units convert into each other (issue 12 item 5: units never mix).

Volume is only added within one unit.  Where products are sold in different units, a conversion
lets their volumes add up (1 case = 12 pcs); without one, totals stay per unit.  A conversion that
holds only for one product (its case has 24) goes on the product: ``products[].unit_factor``.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from kamplan.config.base import Strict
from kamplan.config.base import ConfigRule, rule

UNIT = r"^\S{1,12}$"


class UnitRules(Strict):
    conversions: dict[str, dict[str, float]] = Field(
        {}, description="from-unit -> {to-unit: factor}, 1 from-unit = factor to-units, e.g. case: {pcs: 12}; "
                        "the other direction and chains (case -> pcs -> dozen) follow")
    total_unit: str | None = Field(None, min_length=1, max_length=12,
                                   description="the unit converted totals are given in (default: the first "
                                               "product's unit that every other converts to)")
    compare_volume: bool | Literal["auto"] = Field(
        "auto", description="whether volumes of different products may be ranked and compared (Pareto, early "
                            "warnings, the scorecard's volume goal): auto = when they are in one unit (or convert "
                            "to one) and their list prices per unit lie within 10x of each other")

    @model_validator(mode="after")
    def _factors(self):
        problems = []
        for a, targets in self.conversions.items():
            for b, f in targets.items():
                where = f"conversions.{a}.{b}"
                if a == b:
                    problems.append(rule(where, "config.rule.unit-into-itself"))
                elif not f > 0:
                    problems.append(rule(where, "config.rule.not-a-factor", factor=f, a=a, b=b))
                back = self.conversions.get(b, {}).get(a)
                if f > 0 and back and abs(back * f - 1) > 1e-9 and a < b:
                    problems.append(rule(where, "config.rule.conversion-both-ways", a=a, b=b, factor=f, back=back))
        if problems:
            raise ConfigRule(problems)
        return self
