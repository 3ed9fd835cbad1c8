"""The engine's named choices that the front ends offer as option values (``--method``, ``--by``,
``--min-flags``...), in a module that imports nothing, so that ``kamplan --help`` and a subcommand's
``--help`` need neither numpy nor pandas.  ``engine.topdown`` and ``engine.early_warnings`` use them."""
from __future__ import annotations

MEASURES = ("revenue", "volume")
BY = ("company", "product", "region", "class", "rep")
METHODS = {
    "proportional": "proportional to the bottom-up target (TM1 \"P\", Jedox \"#\")",
    "last_year": "proportional to last year's actual",
    "reference": "proportional to a reference version",
    "potential": "proportional to the account's potential / score",
    "equal": "equal split over the free lines",
    "growth": "growth percentage over last year, the rest proportional",
}
HOLD_KINDS = ("account", "rep", "region", "product", "class", "line")
BOUND_SYNTAX = "SCOPE=BASIS[*FACTOR], e.g. class:key=last_year, all=own*1.3, rep:R01=current*0.9"

FLAG_CODES = ("yoy-decline", "below-plan", "falling-trend", "few-visits", "open-complaints", "lost-share",
              "new-competitor", "opponent-decision-maker", "satisfaction-drop", "old-complaint", "stale-plan")
