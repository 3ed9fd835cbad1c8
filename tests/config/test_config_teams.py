"""Account teams in the config: inline ``accounts[].team`` and ``account_team_file``, with precise problems."""
from __future__ import annotations

import pytest
import yaml

from kamplan.config import ConfigError, config_from_dict
from kamplan.config.load import load_config

from support.teams import team_config, team_config_dict


def messages(data) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as exc:
        config_from_dict(data)
    return [(p.cell, p.message) for p in exc.value.problems]


def test_a_team_with_shares_per_product_and_an_overlay_is_accepted():
    cfg = team_config()
    a1, a2 = cfg.accounts[0], cfg.accounts[1]
    assert [(m.salesperson, m.role, m.share) for m in a1.team] == [("r2", "member", 0.3), ("r4", "overlay", None)]
    assert a2.team[0].product_shares() == {"P2": 0.4}
    assert cfg.teams.full_credit_roles == ["overlay"]


def test_share_may_be_written_as_a_percentage():
    cfg = team_config({"A1": [{"salesperson": "r2", "share": "30%"}, {"salesperson": "r3", "share": {"P1": "12.5%"}}]})
    assert cfg.accounts[0].team[0].share == pytest.approx(0.3)
    assert cfg.accounts[0].team[1].share == {"P1": 0.125}


def test_unknown_people_and_products_the_owner_and_duplicates_are_named_by_key_path():
    got = messages(team_config_dict({"A1": [
        {"salesperson": "nobody", "share": 0.1},
        {"salesperson": "r1", "share": 0.1},  # the owner
        {"salesperson": "r2", "share": {"P9": 0.1}},
        {"salesperson": "r2", "role": "service", "share": 0.1}]}))
    assert ("accounts[0].team[0]", "salesperson 'nobody' is not a salesperson; allowed: ['r1', 'r2', 'r3', 'r4']") in got
    assert any(c == "accounts[0].team[1]" and "is the account's owner" in m for c, m in got)
    assert any(c == "accounts[0].team[2]" and "share for 'P9': not a product" in m for c, m in got)
    assert any(c == "accounts[0].team[3]" and "'r2' is listed twice (also accounts[0].team[2])" in m for c, m in got)


def test_shares_above_one_hundred_percent_name_the_product_and_the_members():
    got = messages(team_config_dict({"A1": [{"salesperson": "r2", "share": 0.6},
                                            {"salesperson": "r3", "share": {"P2": 0.5}}]}))
    assert got == [("accounts[0].team", "account A1: the members' shares of product P2 add up to 110% "
                    "(r3 50%, r2 60%); at most 100% (the owner r1 gets the remainder)")]


def test_a_member_without_a_share_is_refused_unless_the_role_is_full_credit():
    got = messages(team_config_dict({"A1": [{"salesperson": "r2", "role": "technical"}]}))
    assert len(got) == 1 and got[0][0] == "accounts[0].team[0]" and "has no share" in got[0][1]
    cfg = team_config({"A1": [{"salesperson": "r2", "role": "technical"}]},
                      teams={"full_credit_roles": ["overlay", "technical"]})
    assert cfg.accounts[0].team[0].share is None


def test_a_share_outside_zero_and_one_is_refused():
    got = messages(team_config_dict({"A1": [{"salesperson": "r2", "share": 1.5}]}))
    assert got and all(c.startswith("accounts.0.team.0.share") or c.startswith("accounts[0].team[0].share")
                       for c, _ in got)


def write_workspace(tmp_path, team_rows: str):
    data = team_config_dict({})
    data["account_team_file"] = "team.csv"
    (tmp_path / "team.csv").write_text(team_rows, encoding="utf-8")
    path = tmp_path / "kamplan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_account_team_file_rows_become_the_accounts_teams(tmp_path):
    path = write_workspace(tmp_path, "account,salesperson,role,share,product\n"
                                     "A1,r2,member,30%,\nA1,r4,overlay,,\nA2,r3,technical,0.4,P2\nA2,r1,member,0.1,P1\n")
    cfg = load_config(path)
    a1, a2 = cfg.accounts[0], cfg.accounts[1]
    assert [(m.salesperson, m.role, m.share) for m in a1.team] == [("r2", "member", 0.3), ("r4", "overlay", None)]
    assert [(m.salesperson, m.product_shares()) for m in a2.team] == [("r3", {"P2": 0.4}), ("r1", {"P1": 0.1})]


def test_account_team_file_problems_name_the_file_and_row(tmp_path):
    path = write_workspace(tmp_path, "account,salesperson,role,share,product\n"
                                     "A1,r2,member,0.7,\nA1,r3,member,0.5,\nZZ,r1,member,0.1,\nA2,nobody,member,0.1,\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    got = [(p.file, p.cell, p.message) for p in exc.value.problems]
    assert got == [("team.csv", "row 4", "account 'ZZ' is not an account of the plan")]
    path = write_workspace(tmp_path, "account,salesperson,role,share,product\n"
                                     "A1,r2,member,0.7,\nA1,r3,member,0.5,\nA2,nobody,member,0.1,\nA2,r3,member,0.1,P1\n"
                                     "A2,r3,member,0.2,P1\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    got = [p.message for p in exc.value.problems]
    assert got == ["'r3' is given twice for account A2 and product P1 (first team.csv › row 5)"]
    path = write_workspace(tmp_path, "account,salesperson,role,share,product\n"
                                     "A1,r2,member,0.7,\nA1,r3,member,0.5,\nA2,nobody,member,0.1,\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    got = [p.message for p in exc.value.problems]
    assert "team.csv › row 4: account A2: salesperson 'nobody' is not a salesperson; " \
           "allowed: ['r1', 'r2', 'r3', 'r4']" in got
    assert any("account A1: the members' shares of product P1 add up to 120%" in m for m in got)


def test_team_problems_are_said_in_chinese_too():
    import re

    from kamplan.messages import render
    with pytest.raises(ConfigError) as exc:
        config_from_dict(team_config_dict({"A1": [{"salesperson": "nobody", "share": 0.2},
                                                   {"salesperson": "r1", "share": 0.1},
                                                   {"salesperson": "r2", "role": "technical"}]}))
    problems = exc.value.problems
    assert len(problems) == 3
    for p in problems:
        zh = render(p.message, "zh-CN")
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", zh), zh
    assert "'nobody'" in render(problems[0].message, "zh-CN")
