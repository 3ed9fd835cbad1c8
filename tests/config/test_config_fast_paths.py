"""The shortcuts that make a big company's config quick to check (issue 16) give what the general rules give:
names given in both languages, regions spelt the same way by many accounts, accounts without a team."""
from __future__ import annotations

import copy

import pytest

from kamplan.config import ConfigError, config_from_dict
from kamplan.demo.company import demo_config_dict


@pytest.fixture
def demo() -> dict:
    return copy.deepcopy(demo_config_dict())


def _cells(data: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    return {p.cell: p.message for p in info.value.problems}


def test_a_name_in_both_languages_is_taken_stripped_whichever_chinese_key_is_used(demo):
    demo["accounts"][0]["name"] = {"en": "  Chenfeng Steel Pipe ", "zh-CN": " 辰峰钢管\t"}
    demo["accounts"][1]["name"] = {"en": "Second", "zh": "第二"}
    demo["accounts"][2]["name"] = {"en": "  ", "zh-CN": "只有中文"}  # a blank side still falls back
    cfg = config_from_dict(demo)
    assert (cfg.accounts[0].name.en, cfg.accounts[0].name.zh) == ("Chenfeng Steel Pipe", "辰峰钢管")
    assert (cfg.accounts[1].name.en, cfg.accounts[1].name.zh) == ("Second", "第二")
    assert (cfg.accounts[2].name.en, cfg.accounts[2].name.zh) == ("只有中文", "只有中文")


def test_a_name_side_that_is_not_text_is_refused_at_its_key(demo):
    demo["accounts"][3]["name"] = {"en": 7, "zh-CN": "七"}
    demo["accounts"][4]["name"] = {"en": "Eight", "fr": "huit"}
    cells = _cells(demo)
    assert "accounts[3].name.en" in cells
    assert any(c.startswith("accounts[4].name") for c in cells)


def test_every_account_that_spells_a_region_the_same_way_is_resolved_and_every_wrong_one_is_named(demo):
    north = [i for i, a in enumerate(demo["accounts"]) if a["region"] == "north"]
    assert len(north) > 3
    for n, i in enumerate(north):  # many accounts, two spellings: its Chinese name, its English one as typed
        demo["accounts"][i]["region"] = "华北" if n % 2 else " north  CHINA"
    cfg = config_from_dict(demo)
    assert {cfg.accounts[i].region for i in north} == {"north"}
    for i in north[:2]:
        demo["accounts"][i]["region"] = "Sahara"
    cells = _cells(demo)
    assert all("'Sahara' is not a region" in cells[f"accounts[{i}].region"] for i in north[:2])
    for i in north[:3]:
        demo["accounts"][i]["region"] = " "
    assert {f"accounts[{i}].region" for i in north[:3]} <= set(_cells(demo))


def test_accounts_without_a_team_have_each_their_own_empty_team_and_a_team_is_still_checked(demo):
    cfg = config_from_dict(demo)
    assert cfg.accounts[0].team == [] and cfg.accounts[0].team is not cfg.accounts[1].team
    owner = demo["accounts"][5]["rep"]
    others = [s["id"] for s in demo["staff"] if s["id"] != owner and s.get("region")][:2]
    demo["accounts"][5]["team"] = [{"salesperson": others[0], "share": 0.7}, {"salesperson": others[1], "share": 0.4}]
    cells = _cells(demo)
    assert list(cells) == ["accounts[5].team"] and "110%" in cells["accounts[5].team"]
