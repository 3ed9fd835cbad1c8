"""Decision-map coverage of the monthly review: an account is covered when one of its decision makers has an
owner on our side and a relationship other than none (checked against a plain loop over the contacts)."""
from __future__ import annotations

import pandas as pd

from kamplan.engine.month_review import decision_coverage

CONTACTS = pd.DataFrame([
    {"account_id": "A1", "role": "decision_maker", "owner": "r1", "relationship": "strong"},
    {"account_id": "A1", "role": "buyer", "owner": "r1", "relationship": "strong"},
    {"account_id": "A2", "role": "decision_maker", "owner": "r1", "relationship": "none"},  # lost
    {"account_id": "A2", "role": "decision_maker", "owner": None, "relationship": "strong"},  # nobody owns it
    {"account_id": "A3", "role": "buyer", "owner": "r2", "relationship": "medium"},  # no decision maker
    {"account_id": "A4", "role": "decision_maker", "owner": "r2", "relationship": None},  # owned, not rated
    {"account_id": "A4", "role": "decision_maker", "owner": "", "relationship": "none"},
])
CARRIED = {"r1": ["A1", "A2"], "r2": ["A3", "A4", "A5"], "r3": ["A1"]}


def _by_hand(carried, contacts):
    out = []
    for rep, accounts in carried.items():
        for acc in accounts:
            makers = [c for c in contacts.to_dict("records") if c["account_id"] == acc and c["role"] == "decision_maker"]
            good = [c for c in makers if not pd.isna(c.get("owner")) and c.get("owner") != ""
                    and c.get("relationship") != "none"]
            out.append((rep, acc, len(makers), bool(good)))
    return out


def test_coverage_per_account_as_a_plain_loop_counts_it():
    got = decision_coverage(CARRIED, CONTACTS)
    assert list(got.itertuples(index=False, name=None)) == _by_hand(CARRIED, CONTACTS)
    assert dict(zip(got["account_id"], got["covered"])) == {"A1": True, "A2": False, "A3": False, "A4": True,
                                                             "A5": False}


def test_contacts_without_owner_or_relationship_columns_and_no_contacts():
    bare = CONTACTS[["account_id", "role"]]
    assert not decision_coverage(CARRIED, bare)["covered"].any()
    unrated = CONTACTS.drop(columns=["relationship"])
    got = decision_coverage({"r1": ["A2"]}, unrated)
    assert list(got["covered"]) == [True] and list(got["decision_makers"]) == [2]  # owned, no relationship column
    empty = decision_coverage(CARRIED, pd.DataFrame())
    assert len(empty) == 6 and not empty["covered"].any() and set(empty["decision_makers"]) == {0}
