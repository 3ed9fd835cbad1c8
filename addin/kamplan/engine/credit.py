"""Who is credited with an account's lines: the owner, the team members, the full-credit roles.

``credit_shares`` is the one place credit is decided; the actuals, the evaluation and the December
workbooks all take their shares from it.

The rules, per account x product line:

* a team member's share is the one given for that product, else the one given for all products
  (``product_id == ''``), else the member has no share of the line;
* the owner (the account's ``rep``) gets the remainder, 1 - the members' shares of that line;
* a member whose role is a full-credit role (``overlay`` by default) gets 1.0, outside the 100%:
  the shares of the other roles still add up to exactly 1 per line, so a company total counted by
  credit excludes the full-credit rows (``full_credit`` is True on them).

The owner's remainder is computed from the members' shares as exact binary fractions, so the
shares of a line add up to exactly 1 (``math.fsum``); credited money adds up to the line's money
at full precision (to the last binary digit), and ``largest_remainder_cents`` rounds parts that
must add up to their total's cents.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

import numpy as np
import pandas as pd

TEAM_COLUMNS = ["account_id", "salesperson_id", "role", "product_id", "share"]
CREDIT_COLUMNS = ["account_id", "product_id", "salesperson_id", "share", "role", "full_credit"]
OWNER_ROLE = "owner"
DEFAULT_FULL_CREDIT_ROLES = ("overlay",)


def empty_team() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c == "share" else "object") for c in TEAM_COLUMNS})


def credit_shares(lines: pd.DataFrame, team: pd.DataFrame | None, owners: Mapping[str, str],
                  full_credit_roles: Iterable[str] = DEFAULT_FULL_CREDIT_ROLES) -> pd.DataFrame:
    """The credit of every distinct (account_id, product_id) of ``lines``: one row per line x person.

    ``team``: TEAM_COLUMNS (``store.account_team()``; ``product_id`` '' = all products; None or empty:
    no teams); ``owners``: account_id -> the owner (an account missing from it is credited to '').
    Returns CREDIT_COLUMNS sorted by account, product, then the owner first: ``share`` is a fraction
    (1.0 for full-credit roles), ``role`` the member's role or ``owner``.  Members' shares of a line
    above 1 are a ValueError naming the line (the config refuses them before).
    """
    keys = lines[["account_id", "product_id"]].astype(str).drop_duplicates().reset_index(drop=True)
    members = _members_of(keys, team if team is not None else empty_team())
    full_roles = set(full_credit_roles)
    members["full_credit"] = members["role"].isin(full_roles)
    members.loc[members["full_credit"], "share"] = 1.0
    counted = members[~members["full_credit"]]
    taken = (counted.groupby(["account_id", "product_id"], sort=False)["share"].agg(_exact_sum).to_dict()
             if len(counted) else {})  # a dict: looked up once per key below
    owner = keys.copy()
    taken_of = [taken.get((a, p), Fraction(0)) for a, p in zip(owner["account_id"], owner["product_id"])]
    over = [(a, p, float(t)) for a, p, t in zip(owner["account_id"], owner["product_id"], taken_of) if t > 1]
    if over:
        a, p, t = over[0]
        raise ValueError(f"account {a} product {p}: the team members' shares add up to {t:.2%}, more than 100%")
    owner["salesperson_id"] = [str(owners.get(a, "")) for a in owner["account_id"]]
    owner["share"] = [float(1 - t) for t in taken_of]
    owner["role"] = OWNER_ROLE
    owner["full_credit"] = False
    owner["_order"] = 0
    members["_order"] = 1
    out = pd.concat([owner, members[owner.columns]], ignore_index=True)
    out = out.sort_values(["account_id", "product_id", "_order", "salesperson_id"], kind="mergesort")
    out["share"] = out["share"].astype("float64")
    out["full_credit"] = out["full_credit"].astype(bool)
    return out[CREDIT_COLUMNS].reset_index(drop=True)


def _exact_sum(shares: pd.Series) -> Fraction:
    return sum((Fraction(float(s)) for s in shares), Fraction(0))


def _members_of(keys: pd.DataFrame, team: pd.DataFrame) -> pd.DataFrame:
    """Team rows that apply to each line: the member's product row, else their all-products row."""
    cols = ["account_id", "product_id", "salesperson_id", "role", "share"]
    if len(team) == 0 or len(keys) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "share" else "object") for c in cols})
    t = team[TEAM_COLUMNS].copy()
    t["product_id"] = t["product_id"].fillna("").astype(str)
    t["account_id"] = t["account_id"].astype(str)
    t["salesperson_id"] = t["salesperson_id"].astype(str)
    t["share"] = t["share"].astype("float64")
    specific = keys.merge(t[t["product_id"] != ""], on=["account_id", "product_id"], how="inner")
    general = keys.merge(t[t["product_id"] == ""].drop(columns="product_id"), on="account_id", how="inner")
    if len(specific):
        seen = specific[["account_id", "product_id", "salesperson_id"]].assign(_specific=True)
        general = general.merge(seen, on=["account_id", "product_id", "salesperson_id"], how="left")
        general = general[general["_specific"].isna()].drop(columns="_specific")
    return pd.concat([specific[cols], general[cols]], ignore_index=True)


def credited(frame: pd.DataFrame, credit: pd.DataFrame, amounts: Iterable[str]) -> pd.DataFrame:
    """``frame`` (account_id, product_id, amounts ...) once per credited person: the amounts x the
    person's share, with ``salesperson_id``, ``share``, ``role`` and ``full_credit`` added."""
    amounts = list(amounts)
    out = frame.merge(credit, on=["account_id", "product_id"], how="left")
    for c in amounts:
        out[c] = out[c].astype("float64") * out["share"].to_numpy()
    return out


def largest_remainder_cents(values, total: float | None = None) -> np.ndarray:
    """Parts rounded to whole cents (int64) so that they add up to the cents of their total.

    ``total`` defaults to the sum of ``values`` (at full precision).  Each part gets its floor in
    cents; the cents left over go to the parts with the largest remainders (ties: the first).
    """
    x = np.asarray(values, dtype="float64") * 100.0
    goal = total * 100.0 if total is not None else float(np.sum(x))
    target = int(np.sign(goal) * np.floor(abs(goal) + 0.5))
    base = np.floor(x)
    left = target - int(base.sum())
    if abs(left) > len(x):
        raise ValueError(f"parts adding up to {float(np.sum(x)) / 100:.2f} cannot be rounded to a total of "
                         f"{target / 100:.2f}")
    rem = x - base
    order = np.argsort(-rem, kind="mergesort")
    out = base.astype("int64")
    if left > 0:
        out[order[:left]] += 1
    elif left < 0:
        out[order[::-1][:-left]] -= 1
    return out


def credit_actuals(lines: pd.DataFrame, team: pd.DataFrame | None, owners: Mapping[str, str],
                   full_credit_roles: Iterable[str] = DEFAULT_FULL_CREDIT_ROLES,
                   amounts: Iterable[str] = ("volume", "revenue", "gross_margin")) -> pd.DataFrame:
    """Actuals per credited person: a line with an ERP ``salesperson_id`` counts for that person
    (role ``erp``, share 1); a line without one is shared by ``credit_shares``.  Full-credit members get
    every line of their account either way (``full_credit`` True; leave them out of company totals).

    ``lines``: account_id, product_id, salesperson_id (None: the line named none) and ``amounts`` (plus any
    other key columns, e.g. year and quarter, which are kept).  Returns the lines' other columns with
    ``salesperson_id`` the credited person, ``share``, ``role``, ``full_credit`` and the amounts x share.
    """
    amounts = list(amounts)
    shares = credit_shares(lines, team, owners, full_credit_roles)
    named = lines["salesperson_id"].notna() & (lines["salesperson_id"].astype(str) != "")
    shared = credited(lines[~named].drop(columns="salesperson_id"), shares, amounts)
    direct = lines[named].copy()
    direct["salesperson_id"] = direct["salesperson_id"].astype(str)
    direct["share"], direct["role"], direct["full_credit"] = 1.0, "erp", False
    overlay = credited(lines[named].drop(columns="salesperson_id"), shares[shares["full_credit"]], amounts)
    overlay = overlay[overlay["salesperson_id"].notna()]
    out = pd.concat([shared, direct[shared.columns], overlay[shared.columns]], ignore_index=True)
    out["full_credit"] = out["full_credit"].astype(bool)
    return out


def team_frame(accounts) -> pd.DataFrame:
    """TEAM_COLUMNS from account objects with ``id`` and ``team`` (config ``Account``: members with
    ``salesperson``, ``role`` and ``product_shares()``); a full-credit member without a share gets 1.0."""
    rows = [(a.id, m.salesperson, m.role, product, 1.0 if share is None else float(share))
            for a in accounts for m in a.team for product, share in m.product_shares().items()]
    frame = pd.DataFrame(rows, columns=["account_id", "salesperson_id", "role", "product_id", "share"])
    return frame[TEAM_COLUMNS].astype({"share": "float64"}) if rows else empty_team()


def pen_holders(lines: pd.DataFrame, team: pd.DataFrame | None, owners: Mapping[str, str],
                full_credit_roles: Iterable[str] = DEFAULT_FULL_CREDIT_ROLES) -> dict[tuple[str, str], str]:
    """(account_id, product_id) -> the one person who plans the line (holds the pen).

    The owner, unless a member has a share given for that very product that is larger than everyone
    else's share of it (per-product credit): then that member.  Ties go to the owner (then the lower id).
    Full-credit roles never hold the pen.  So the company plan counts each line once."""
    shares = credit_shares(lines, team, owners, full_credit_roles)
    specific: set[tuple[str, str, str]] = set()
    if team is not None and len(team):
        t = team[team["product_id"].fillna("").astype(str) != ""]
        specific = set(zip(t["account_id"].astype(str), t["product_id"].astype(str), t["salesperson_id"].astype(str)))
    out: dict[tuple[str, str], str] = {}
    for (a, p), g in shares[~shares["full_credit"]].groupby(["account_id", "product_id"], sort=False):
        owner = str(owners.get(a, ""))
        best, best_share = owner, float(g.loc[g["role"] == OWNER_ROLE, "share"].sum())
        for person, share in sorted(zip(g["salesperson_id"], g["share"])):
            if (a, p, person) in specific and share > best_share:
                best, best_share = person, share
        out[(a, p)] = best
    return out
