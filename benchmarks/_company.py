"""A company of any size made from the demo company (imported by the bench_*.py scripts).

The demo company's 93 customers are copied as often as needed (``C101`` → ``C101-003`` in copy 3;
names get the copy number), each copy's history scaled by its own factor so that the copies do not
tie in the Pareto; ``n_reps`` salespeople spread over the demo's five regions like the demo's eight
are, the accounts of a region dealt to its salespeople in turn.  Account teams are kept: the member
becomes the region's next salesperson, the overlay the first salesperson of the overlay's region.
Deterministic: the same arguments give the same company.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from kamplan.config import config_from_dict
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.model import Submission

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests.support is shared with the tests


def _staff(base: dict, n_reps: int) -> tuple[list[dict], dict[str, list[str]]]:
    regions = [r["id"] for r in base["regions"]]
    per_region = {r: sum(1 for s in base["staff"] if s["region"] == r) for r in regions}
    total = sum(per_region.values())
    counts = {r: max(1, n_reps * per_region[r] // total) for r in regions}
    counts[regions[0]] += n_reps - sum(counts.values())
    staff, by_region, k = [], {}, 0
    for r in regions:
        by_region[r] = []
        for _ in range(counts[r]):
            k += 1
            pid = f"rep{k:04d}"
            staff.append({"id": pid, "name": {"en": f"Salesperson {k}", "zh-CN": f"销售{k}"}, "region": r,
                          "email": f"{pid}@example.com"})
            by_region[r].append(pid)
    return staff, by_region


def scaled_company(n_reps: int, n_accounts: int, language: str = "en") -> tuple[dict, pd.DataFrame]:
    """(config dict, history) of a company with ``n_reps`` salespeople and ``n_accounts`` accounts."""
    base = demo_config_dict(language=language)
    staff, by_region = _staff(base, n_reps)
    region_of = {s["id"]: s["region"] for s in base["staff"]}
    dealt = {r: 0 for r in by_region}
    accounts, origin, factor = [], {}, {}
    copy = 0
    while len(accounts) < n_accounts:
        for a in base["accounts"]:
            if len(accounts) == n_accounts:
                break
            reps = by_region[a["region"]]
            i = dealt[a["region"]]
            dealt[a["region"]] += 1
            new = {**a, "id": f"{a['id']}-{copy:03d}", "rep": reps[i % len(reps)],
                   "name": {k: f"{v} {copy}" for k, v in a["name"].items()}}
            if "team" in a:
                team = []
                for m in a["team"]:
                    if m["role"] == "overlay":
                        team.append({**m, "salesperson": by_region[region_of[m["salesperson"]]][0]})
                    elif len(reps) > 1:
                        team.append({**m, "salesperson": reps[(i + 1) % len(reps)]})
                if team and all(m["salesperson"] != new["rep"] for m in team):
                    new["team"] = team
                else:
                    new.pop("team")
            accounts.append(new)
            origin[new["id"]] = a["id"]
            factor[new["id"]] = 0.7 + 0.6 * ((copy * 37) % 101) / 100
        copy += 1
    data = {**base, "staff": staff, "accounts": accounts}
    history = demo_history(config_from_dict(base))
    parts = []
    by_base = dict(tuple(history.groupby("account_id", sort=False)))
    for new_id, old_id in origin.items():
        if old_id not in by_base:
            continue
        h = by_base[old_id].copy()
        h["account_id"] = new_id
        f = factor[new_id]
        for c in ("volume", "revenue", "gross_margin", "cost_to_serve"):
            h[c] = (h[c] * f).round(2)
        parts.append(h)
    return data, pd.concat(parts, ignore_index=True)


def plan_submissions(config, history: pd.DataFrame) -> list[Submission]:
    """Each salesperson's round-1 plan as the evaluation tests make it (last year's lines +5 %, the class
    visit cycle, one training and one service), stored without a workbook read."""
    from tests.support.evaluation import _plan_submissions
    return _plan_submissions(config, history)
