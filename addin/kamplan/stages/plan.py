"""The plan of a year as later stages see it: the agreed plan once the VP has locked it, else the newest draft.

Evaluation, resource allocation and the add-in read targets through ``plan_view`` so they need not know
how rounds, top-down versions and the agreement are stored.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kamplan.store import Store

LINE_KINDS = ("targets", "visits", "trainings", "services", "requests")


@dataclass
class PlanView:
    """Every frame has ``rep_id`` first, then the model's columns (TARGET_COLUMNS, VISIT_COLUMNS ...)."""
    year: int
    agreed: bool  # True once the VP has locked the plan
    round: int | None  # the round the lines come from (None: nothing collected yet)
    source: str  # one line for people: where these figures come from
    targets: pd.DataFrame
    visits: pd.DataFrame
    trainings: pd.DataFrame
    services: pd.DataFrame
    requests: pd.DataFrame


def plan_view(store: Store, year: int) -> PlanView:
    """The agreed plan of ``year`` if locked; otherwise the current submissions of the newest round."""
    rnd = store.current_round(year)
    frames = {kind: store.lines_frame(year, rnd or 1, kind) for kind in LINE_KINDS}
    source = (f"round {rnd} submissions (not agreed yet)" if rnd else "no targets collected yet")
    return PlanView(year=year, agreed=False, round=rnd, source=source, **frames)
