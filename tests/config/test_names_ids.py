"""Real names and ids (issue 12 item 6) and the units: block (item 5): what the config accepts and refuses."""
from __future__ import annotations

import copy
import unicodedata

import pytest

from kamplan.config import ConfigError, config_from_dict
from kamplan.demo.company import demo_config_dict


@pytest.fixture
def demo() -> dict:
    return copy.deepcopy(demo_config_dict())


def _problems(data: dict) -> list:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    return info.value.problems


def _cells(problems) -> dict:
    return {p.cell: p.message for p in problems}


@pytest.mark.parametrize("new_id", ["josé1", "张伟", "O'Brien", "zh-wei.2", "Ærø", "ñ" * 32])
def test_unicode_salesperson_ids_are_accepted_and_kept(demo, new_id):
    old = demo["staff"][0]["id"]
    demo["staff"][0]["id"] = new_id
    for a in demo["accounts"]:
        if a["rep"] == old:
            a["rep"] = new_id
    cfg = config_from_dict(demo)
    assert cfg.staff[0].id == new_id
    assert cfg.accounts_of(new_id)


@pytest.mark.parametrize("bad, why", [
    ("jose 1", "' '"), ("a/b", "'/'"), ("a\\b", "'\\\\'"), ("c:d", "':'"), ("x*", "'*'"), ("q?", "'?'"),
    ('"q"', "'\"'"), ("<a>", "'<'"), ("a|b", "'|'"), ("tab\tx", "'\\t'"), ("zw\u200bj", "'\\u200b'"),
    (".hidden", "leading dot"), ("", "length"), ("x" * 33, "length")])
def test_ids_that_would_break_a_file_name_are_refused_with_the_reason(demo, bad, why):
    demo["staff"][1]["id"] = bad
    msg = _cells(_problems(demo)).get("staff[1].id", "")
    assert why in msg and "josé1" in msg, msg


def test_an_id_typed_decomposed_is_the_same_id(demo):
    """A Mac unzips 'josé1' as 'jose' + combining accent (NFD): it must still be the same salesperson."""
    nfd = unicodedata.normalize("NFD", "josé1")
    assert nfd != "josé1"
    old = demo["staff"][0]["id"]
    demo["staff"][0]["id"] = nfd
    for a in demo["accounts"]:
        if a["rep"] == old:
            a["rep"] = "josé1"
    cfg = config_from_dict(demo)
    assert cfg.staff[0].id == "josé1" and cfg.accounts_of("josé1")


def test_a_name_may_be_plain_or_one_sided_and_falls_back(demo):
    demo["staff"][0]["name"] = "José Pérez"
    demo["staff"][1]["name"] = {"zh-CN": "张伟"}
    demo["products"][0]["name"] = {"en": "Rolls"}
    demo["regions"][0]["name"] = {"zh": "华北"}
    cfg = config_from_dict(demo)
    assert [cfg.staff[0].name.get(lang) for lang in ("en", "zh-CN")] == ["José Pérez", "José Pérez"]
    assert [cfg.staff[1].name.get(lang) for lang in ("en", "zh-CN")] == ["张伟", "张伟"]
    assert [cfg.products[0].name.get(lang) for lang in ("en", "zh-CN")] == ["Rolls", "Rolls"]
    assert cfg.regions[0].name.get("en") == "华北"


def test_a_missing_or_blank_name_is_refused_at_its_key(demo):
    demo["staff"][0]["name"] = {"en": " ", "zh-CN": ""}
    demo["products"][1]["name"] = ""
    cells = _cells(_problems(demo))
    assert "give en, zh or both" in cells["staff[0].name"]
    assert "products[1].name.en" in cells


def test_a_manager_without_a_region_is_allowed(demo):
    demo["staff"].append({"id": "boss", "name": "王总", "email": "boss@example.com"})
    cfg = config_from_dict(demo)
    assert cfg.staff_member("boss").region is None


def test_region_ids_with_spaces_and_regions_named_by_their_name(demo):
    demo["regions"][0]["id"] = "North  China "
    demo["regions"][0]["name"] = {"en": "The North", "zh-CN": "华北区"}
    demo["staff"][0]["region"] = "north china"  # case and spacing as people type it
    demo["staff"][1]["region"] = "华北区"  # by its Chinese name
    for a in demo["accounts"]:
        if a["region"] == "north":
            a["region"] = "The North"
    for pool in demo["support_pools"]:
        for person in pool["people"]:
            person["regions"] = ["NORTH CHINA" if r == "north" else r for r in person.get("regions", [])]
    cfg = config_from_dict(demo)
    assert cfg.regions[0].id == "North China"
    assert any("North China" in p.regions for pool in cfg.support_pools for p in pool.people)
    assert cfg.staff[0].region == cfg.staff[1].region == "North China"
    assert all(a.region != "north" for a in cfg.accounts)
    for bad in ("a,b", ".x", "x/y"):
        broken = copy.deepcopy(demo)
        broken["regions"][1]["id"] = bad
        assert "regions[1].id" in _cells(_problems(broken))
    demo["staff"][2]["region"] = "Sahara"
    assert "'Sahara' is not a region" in _cells(_problems(demo))["staff[2].region"]


def test_units_block_validates_with_key_paths(demo):
    demo["units"] = {"conversions": {"case": {"pcs": 0, "case": 2}, "box": {"pcs": 10}, "pcs": {"box": 0.2}},
                     "total_unit": "crate"}
    cells = _cells(_problems(demo))
    assert "not a factor" in cells["units.conversions.case.pcs"]
    assert "into itself" in cells["units.conversions.case.case"]
    assert "keep one direction" in cells["units.conversions.box.pcs"]
    demo["units"] = {"total_unit": "crate"}
    demo["products"][0]["unit_factor"] = {"t": 2, "kg": -1}
    cells = _cells(_problems(demo))
    unit = demo["products"][0]["unit"]
    assert "sold in t already" in cells[f"products[0].unit_factor.{unit}"]
    assert "not a factor" in cells["products[0].unit_factor.kg"]
    assert "'crate'" in cells["units.total_unit"]


def test_units_block_accepted(demo):
    demo["units"] = {"conversions": {"case": {"pcs": 12}}, "total_unit": "pcs", "compare_volume": False}
    demo["products"][0]["unit_factor"] = {"kg": 1000}
    cfg = config_from_dict(demo)
    assert cfg.units.conversions == {"case": {"pcs": 12}} and cfg.units.compare_volume is False
    assert cfg.products[0].unit_factor == {"kg": 1000}


def test_an_accounts_file_names_regions_by_id_with_spaces_or_by_name_and_may_leave_a_name_side_blank(tmp_path):
    from pathlib import Path

    import yaml

    from kamplan.config import load_config
    default = Path(__file__).resolve().parents[2] / "config" / "default.yaml"
    data = yaml.safe_load(default.read_text(encoding="utf-8"))
    data["regions"][0]["id"] = "North China"  # was "north"
    for s in data["staff"]:
        s["region"] = "North China" if s["region"] == "north" else s["region"]
    for pool in data.get("support_pools", []):
        for person in pool["people"]:
            person["regions"] = ["North China" if r == "north" else r for r in person.get("regions", [])]
    del data["accounts"]
    data["accounts_file"] = "accounts.csv"
    (tmp_path / "accounts.csv").write_text(
        "id,name_en,name_zh,region,rep,class,city\n"
        "C001,Hengchuan Steel,,North China,zhangwei,key,Tangshan\n"  # the id with its space
        "C002,,瑞丰特钢,华东,chenjing,,Changzhou\n"  # the region by its Chinese name, the name in Chinese only
        "C003,Taihong Rolling Mill,泰宏轧钢厂,north  china,chenjing,drop,\n", encoding="utf-8-sig")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    cfg = load_config(tmp_path / "config.yaml")
    assert [a.region for a in cfg.accounts] == ["North China", "east", "North China"]
    assert cfg.accounts[0].name.get("zh-CN") == "Hengchuan Steel" and cfg.accounts[1].name.get("en") == "瑞丰特钢"
