"""A target workbook's content carries only its salesperson's last-year lines.

Issue hands every content to a worker process; with the whole company's last-year map in each, issuing
500 workbooks pickled the company 500 times (it grew with the square of the salesforce).  The scope is
also what the workbook may show: one salesperson's content never holds another's figures."""
from __future__ import annotations

import pickle

from kamplan.stages.targets import accounts_by_rep, team_views
from kamplan.workbooks.targets.content import target_content

from support.teams import team_config

COMPANY_LAST_YEAR = {  # (account, product) -> last year's volume, average price, revenue
    ("A1", "P1"): (10.0, 1200.0, 12000.0), ("A1", "P2"): (4.0, 950.0, 3800.0),
    ("A2", "P1"): (7.0, 1100.0, 7700.0), ("A3", "P2"): (3.0, 990.0, 2970.0),
}


def test_each_content_holds_the_last_year_of_the_accounts_it_shows_and_nothing_else():
    cfg = team_config()  # A1: r1 with r2 30 % and r4 overlay; A2: r2 with r3 on P2; A3: r3
    by_rep, teams = accounts_by_rep(cfg), team_views(cfg)  # as issue gives them
    shown = {}
    for rep in ("r1", "r2", "r3", "r4"):
        content = target_content(cfg, COMPANY_LAST_YEAR, rep, 1, accounts_of_rep=by_rep[rep], team=teams.get(rep))
        shown[rep] = {a.id for a in content.accounts}
        expected = {key: v for key, v in COMPANY_LAST_YEAR.items() if key[0] in shown[rep]}
        assert content.last_year == expected
    assert shown == {"r1": {"A1"}, "r2": {"A1", "A2"}, "r3": {"A2", "A3"}, "r4": {"A1"}}


def test_a_content_does_not_grow_with_the_rest_of_the_company():
    cfg = team_config()
    big = dict(COMPANY_LAST_YEAR)
    big.update({(f"X{i}", "P1"): (1.0, 1.0, 1.0) for i in range(20_000)})  # other salespeople's accounts
    mine = accounts_by_rep(cfg)["r4"]
    small_size = len(pickle.dumps(target_content(cfg, COMPANY_LAST_YEAR, "r4", 1, workbook_id="w", accounts_of_rep=mine)))
    big_size = len(pickle.dumps(target_content(cfg, big, "r4", 1, workbook_id="w", accounts_of_rep=mine)))
    assert big_size == small_size
