"""Where the planning cycle stands: each step with its figures, done or not, and the command that comes next.

``cycle_status(ws)`` only reads the store (``kamplan status``); the front end says the steps in the run's
language (catalogue keys ``cli.status.<step>``).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    key: str  # history, review, issue, collect, consolidate, agree, actuals
    done: bool
    figures: dict = field(default_factory=dict)  # the numbers the step's line shows
    command: str = ""  # what to run when this step is the next one


def cycle_status(ws) -> list[Step]:
    """The steps of the plan year's cycle in their order."""
    cfg, store = ws.config, ws.store
    year = cfg.plan_year
    history = store.history_imports()
    rows = int(history["n_rows"].sum()) if len(history) else 0
    runs = store.classification_runs(year)
    round_no = store.current_round(year)
    reps = sorted({a.rep for a in cfg.accounts})
    status = store.status(year, round_no, reps) if round_no else None
    counts = status["state"].value_counts().to_dict() if status is not None and len(status) else {}
    versions = store.plan_versions(year)
    agreement = store.agreement(year)
    actuals = store.actuals_imports()
    submitted = int(counts.get("submitted", 0))
    return [
        Step("history", rows > 0, {"rows": rows, "imports": len(history)}, "kamplan history import FILE.csv"),
        Step("review", len(runs) > 0, {"runs": len(runs)}, "kamplan accounts segment"),
        Step("issue", round_no is not None, {"round": round_no or 0}, "kamplan targets issue"),
        Step("collect", bool(reps) and submitted == len(reps),
             {"submitted": submitted, "missing": int(counts.get("missing", 0)),
              "rejected": int(counts.get("rejected", 0)), "reps": len(reps)}, "kamplan targets collect"),
        Step("consolidate", len(versions) > 0, {"versions": len(versions)}, "kamplan targets consolidate"),
        Step("agree", agreement is not None, {"version": (agreement or {}).get("version_id") or 0},
             "kamplan targets agree"),
        Step("actuals", len(actuals) > 0, {"imports": len(actuals)}, "kamplan actuals import FILE"),
    ]


def next_step(steps: list[Step]) -> Step | None:
    """The first step not done (None: the year's plan is agreed and actuals are coming in)."""
    return next((s for s in steps if not s.done), None)
