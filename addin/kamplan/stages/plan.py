"""The plan of a year as later stages see it: the agreed plan once the VP has locked it, else the newest draft.

Evaluation, resource allocation and the add-in read targets through ``plan_view`` so they need not know
how rounds, top-down versions and the agreement are stored.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kamplan.model import TARGET_COLUMNS
from kamplan.store import Store

LINE_KINDS = ("targets", "visits", "trainings", "services", "requests")


@dataclass
class PlanView:
    """Every frame has ``rep_id`` first, then the model's columns (TARGET_COLUMNS, VISIT_COLUMNS ...)."""
    year: int
    agreed: bool  # True once the VP has locked the plan
    round: int | None  # the newest collection round (None: nothing collected yet)
    source: str  # one line for people: where these figures come from
    targets: pd.DataFrame
    visits: pd.DataFrame
    trainings: pd.DataFrame
    services: pd.DataFrame
    requests: pd.DataFrame
    version: int | None = None  # the plan version the targets come from (None: straight from submissions)


def _newest_submission_lines(store: Store, year: int, kind: str) -> pd.DataFrame:
    """Per salesperson the ``kind`` lines of their newest current submission in any round."""
    rounds = sorted(store.rounds(year)["round"].tolist()) if len(store.rounds(year)) else [1]
    frames, seen = [], set()
    for rnd in reversed(rounds):
        frame = store.lines_frame(year, rnd, kind)
        frame = frame[~frame["rep_id"].isin(seen)]
        seen |= set(frame["rep_id"])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else store.lines_frame(year, 1, kind)


def plan_view(store: Store, year: int) -> PlanView:
    """The agreed plan of ``year`` if locked; else the current plan version (the VP's working draft);
    else the salespeople's submissions of the newest round.  Visits, trainings, services and requests
    always come from each salesperson's newest submission."""
    rnd = store.current_round(year)
    others = {kind: _newest_submission_lines(store, year, kind) for kind in LINE_KINDS[1:]}
    agreed = store.agreement(year)
    version = agreed["version_id"] if agreed else store.current_plan_version(year)
    if version is None:
        targets = _newest_submission_lines(store, year, "targets")
        source = f"round {rnd} submissions (not agreed yet)" if rnd else "no targets collected yet"
        return PlanView(year, False, rnd, source, targets, **others)
    info, lines = store.plan_version(version)
    targets = lines.assign(comment=None, src=None, response=None)[["rep_id"] + TARGET_COLUMNS]
    if agreed:
        source = f"agreed plan (version {version}, locked {agreed['at']:%Y-%m-%d} by {agreed['by']})"
    else:
        source = f"plan version {version}, {info['kind']}, not agreed yet: {info['description']}"
    return PlanView(year, bool(agreed), rnd, source, targets, version=version, **others)
