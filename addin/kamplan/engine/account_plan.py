"""Who keeps an account plan for which accounts: the owner and every team member carry the account.

Pure: the owners (account -> rep, in the config's order) and the account-team frame of
``store.account_team()`` / ``engine.credit`` (account_id, salesperson_id, role, product_id, share) in,
salesperson -> accounts out.  A team member of any role carries the account (a technical or service
member keeps contacts too); a per-product entry counts once.
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def accounts_carried(owners: Mapping[str, str], team: pd.DataFrame | None) -> dict[str, list[str]]:
    """salesperson -> the accounts they carry (as owner or team member), in the order of ``owners``."""
    members: dict[str, set[str]] = {}
    if team is not None and len(team):
        for account, person in zip(team["account_id"], team["salesperson_id"]):
            members.setdefault(str(person), set()).add(str(account))
    out: dict[str, list[str]] = {}
    for account, rep in owners.items():
        out.setdefault(str(rep), []).append(str(account))
    for person, accounts in members.items():
        mine = out.setdefault(person, [])
        mine += [a for a in owners if a in accounts and a not in mine]
        order = {a: i for i, a in enumerate(owners)}
        mine.sort(key=lambda a: order.get(a, len(order)))
    return out
