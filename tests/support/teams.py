"""A small company with account teams, for the teams tests (config, store, actuals, evaluation)."""
from __future__ import annotations

import copy

from kamplan.config import config_from_dict

YEAR = 2026


def names(en: str) -> dict:
    return {"en": en, "zh-CN": en + "中"}


def team_config_dict(team: dict[str, list[dict]] | None = None, **extra) -> dict:
    """Four salespeople, two products, three accounts; ``team``: account id -> its team entries.
    Default: A1 owned by r1 with r2 at 30% and r4 as overlay; A2 owned by r2 with r3 at 40% of P2 only."""
    if team is None:
        team = {"A1": [{"salesperson": "r2", "role": "member", "share": 0.3},
                       {"salesperson": "r4", "role": "overlay"}],
                "A2": [{"salesperson": "r3", "role": "technical", "share": {"P2": 0.4}}]}
    rule = {"name": names("rule"), "visits_per_quarter": 3}
    accounts = [{"id": "A1", "name": names("Acme"), "region": "east", "rep": "r1", "class": "key"},
                {"id": "A2", "name": names("Bolt"), "region": "east", "rep": "r2", "class": "develop"},
                {"id": "A3", "name": names("Crane"), "region": "west", "rep": "r3", "class": "watch"}]
    for a in accounts:
        if a["id"] in team:
            a["team"] = copy.deepcopy(team[a["id"]])
    data = {
        "company": {"name": names("Co")}, "plan_year": YEAR,
        "products": [{"id": "P1", "name": names("PE"), "list_price": 1234.5, "standard_margin": 0.2},
                     {"id": "P2", "name": names("PP"), "list_price": 999.0, "standard_margin": 0.15}],
        "regions": [{"id": "east", "name": names("East")}, {"id": "west", "name": names("West")}],
        "staff": [{"id": f"r{i}", "name": names(f"Rep {i}"), "region": "east" if i < 3 else "west",
                   "email": f"r{i}@example.com"} for i in range(1, 5)],
        "accounts": accounts,
        "classes": {c: rule for c in ("key", "develop", "watch", "drop")},
    }
    data.update(extra)
    return data


def team_config(team: dict[str, list[dict]] | None = None, **extra):
    return config_from_dict(team_config_dict(team, **extra))
