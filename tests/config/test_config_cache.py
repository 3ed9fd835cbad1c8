"""The parsed config kept next to kamplan.yaml (``.kamplan/config-cache.json``): used while every file it was
made from is unchanged, ignored and rebuilt when any of them changed or the copy is damaged, never needed."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from kamplan.config import cache
from kamplan.config.load import load_config

from support.teams import team_config_dict

TEAM_ROWS = "account,salesperson,role,share,product\nA1,r2,member,30%,\nA2,r3,technical,0.4,P2\n"


def workspace(tmp_path, **extra):
    """A config with its accounts in accounts.csv and its teams in team.csv (both files the cache must watch)."""
    data = team_config_dict({}, **extra)
    data.pop("accounts")
    data["accounts_file"] = "accounts.csv"
    data["account_team_file"] = "team.csv"
    (tmp_path / "accounts.csv").write_text("id,name_en,name_zh,region,rep,class\nA1,Acme,甲,east,r1,key\n"
                                           "A2,Bolt,乙,east,r2,develop\n", encoding="utf-8")
    (tmp_path / "team.csv").write_text(TEAM_ROWS, encoding="utf-8")
    path = tmp_path / "kamplan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_second_load_reads_the_cache_and_gives_the_same_config(tmp_path, monkeypatch):
    path = workspace(tmp_path, workbook={"deadline": dt.date(2025, 12, 20)})
    first = load_config(path)
    assert cache.cache_path(path).is_file()
    monkeypatch.setattr(yaml, "load", lambda *a, **k: pytest.fail("the YAML was parsed again"))
    second = load_config(path)
    assert second == first
    assert second.workbook.deadline == dt.date(2025, 12, 20)
    # the team row's "file › row" comes back as a catalogue message, said in the language asked for
    member = second.accounts[0].team[0]
    assert (member.salesperson, member.share) == ("r2", 0.3)
    assert member.src == first.accounts[0].team[0].src


@pytest.mark.parametrize("changed", ["kamplan.yaml", "accounts.csv", "team.csv"])
def test_a_change_to_any_file_the_config_reads_is_seen(tmp_path, changed):
    path = workspace(tmp_path)
    load_config(path)
    if changed == "kamplan.yaml":
        path.write_text(path.read_text(encoding="utf-8").replace("plan_year: 2026", "plan_year: 2027"),
                        encoding="utf-8")
    elif changed == "accounts.csv":
        with (tmp_path / "accounts.csv").open("a", encoding="utf-8") as fh:
            fh.write("A3,Crane,丙,west,r3,watch\n")
    else:
        (tmp_path / "team.csv").write_text(TEAM_ROWS.replace("30%", "20%"), encoding="utf-8")
    cfg = load_config(path)
    assert cfg.plan_year == (2027 if changed == "kamplan.yaml" else 2026)
    assert [a.id for a in cfg.accounts] == (["A1", "A2", "A3"] if changed == "accounts.csv" else ["A1", "A2"])
    assert cfg.accounts[0].team[0].share == (0.2 if changed == "team.csv" else 0.3)
    assert load_config(path) == cfg  # and the rebuilt copy is the new one


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other version", "not a mapping"])
def test_a_damaged_or_foreign_cache_is_ignored_and_rebuilt(tmp_path, damage):
    path = workspace(tmp_path)
    good = load_config(path)
    kept = cache.cache_path(path)
    text = kept.read_text(encoding="utf-8")
    kept.write_text({"garbage": "\x00not json{", "truncated": text[: len(text) // 2],
                     "other version": text.replace('"kamplan":"', '"kamplan":"0.0.0-', 1),
                     "not a mapping": "[1, 2]"}[damage], encoding="utf-8")
    assert load_config(path) == good
    assert json.loads(kept.read_text(encoding="utf-8"))["format"] == cache.FORMAT


def test_a_cache_whose_data_was_edited_still_goes_through_the_schema(tmp_path):
    """The copy is checked like any config: one edited by hand cannot slip a bad value past the schema."""
    from kamplan.config import ConfigError
    path = workspace(tmp_path)
    load_config(path)
    kept = cache.cache_path(path)
    data = json.loads(kept.read_text(encoding="utf-8"))
    data["data"]["plan_year"] = "soon"
    kept.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path)


def test_a_folder_that_cannot_hold_the_cache_costs_nothing_but_time(tmp_path):
    path = workspace(tmp_path)
    (tmp_path / cache.FOLDER).write_text("a file where the cache folder would be", encoding="utf-8")
    assert load_config(path).plan_year == 2026
    assert load_config(path, cache=False) == load_config(path)


def test_a_config_with_a_value_json_cannot_hold_is_not_cached(tmp_path):
    """YAML allows keys JSON has not (a number as a key): such a config is read from the YAML every time
    (and checked by the schema as before), never kept changed."""
    data = {1: "x"}
    assert cache.write(tmp_path / "kamplan.yaml", b"", data, []) is False
    assert not cache.cache_path(tmp_path / "kamplan.yaml").exists()
