"""The planning config: the shipped files load, and every fault names its key path precisely."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from kamplan.config import ConfigError, PlanConfig, config_from_dict, load_config
from kamplan.config import schema
from kamplan.demo.company import REGENERATE_COMMAND, demo_config_dict, demo_config_text

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "config" / "default.yaml"
DEMO = REPO / "config" / "demo.yaml"


def _problems(data: dict) -> list:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    assert info.value.problems, "a ConfigError must carry at least one problem"
    return info.value.problems


def _at(problems: list, cell: str):
    found = [p for p in problems if p.cell == cell]
    assert found, f"no problem at {cell!r}; got {[(p.cell, p.message) for p in problems]}"
    return found[0]


@pytest.fixture
def demo() -> dict:
    return copy.deepcopy(demo_config_dict())


def _write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- the shipped files ----------------------------------------------------------------------

def test_default_config_loads():
    config = load_config(DEFAULT)
    assert isinstance(config, PlanConfig)
    assert len(config.products) == 2 and len(config.regions) == 2
    assert len(config.staff) == 2 and len(config.accounts) == 3
    assert sorted(p.kind for p in config.support_pools) == ["advisor", "executive", "technical"]
    assert {k: v.name.zh for k, v in config.classes.items()} == {
        "key": "重点客户", "develop": "培养客户", "watch": "警惕客户", "drop": "淘汰客户"}
    assert config.classes["key"].visits_per_quarter > config.classes["drop"].visits_per_quarter


def _fields(model) -> list[str]:
    return [(f.alias or name) for name, f in model.model_fields.items()]


@pytest.mark.parametrize("model", [
    schema.PlanConfig, schema.Company, schema.Calendar, schema.Product, schema.Staff, schema.Account,
    schema.SupportPool, schema.SupportPerson, schema.ClassRule, schema.TargetRules, schema.WorkbookRules,
], ids=lambda m: m.__name__)
def test_default_config_shows_every_setting(model):
    """Every key of the schema appears in default.yaml (possibly commented out), with a comment."""
    text = DEFAULT.read_text(encoding="utf-8")
    for key in _fields(model):
        if key == "zh":  # Names are shown as en:/zh-CN: everywhere
            continue
        assert re.search(rf"^[ \t#-]*{re.escape(key)}:", text, re.M), f"default.yaml does not show {key!r}"


def test_default_config_comments_every_top_level_key():
    lines = DEFAULT.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[a-z_]+:", line):
            above = lines[i - 1] if i else ""
            assert above.startswith("#") or "#" in line, f"top-level key without a comment: {line!r}"


def test_demo_config_loads():
    config = load_config(DEMO)
    assert config.plan_year == 2027 and config.language == "zh-CN"
    assert len(config.accounts) == 93


def test_demo_yaml_is_fresh():
    committed = DEMO.read_text(encoding="utf-8")
    assert committed == demo_config_text(), (
        f"config/demo.yaml is stale (kamplan.demo.company changed); regenerate it with:  {REGENERATE_COMMAND}")
    assert REGENERATE_COMMAND in committed.splitlines()[2]


# --- precise problems -----------------------------------------------------------------------

def test_staff_with_unknown_region(demo):
    demo["staff"][3]["region"] = "mars"
    p = _at(_problems(demo), "staff[3].region")
    assert p.is_error
    assert "'mars'" in p.message
    for region in ("north", "east", "northeast", "central-south", "west"):
        assert region in p.message


def test_account_with_unknown_rep_and_region_reports_both(demo):
    demo["accounts"][5]["rep"] = "nobody"
    demo["accounts"][7]["region"] = "atlantis"
    problems = _problems(demo)
    rep = _at(problems, "accounts[5].rep")
    assert "'nobody'" in rep.message and "zhangwei" in rep.message
    region = _at(problems, "accounts[7].region")
    assert "'atlantis'" in region.message and "north" in region.message


def test_support_person_with_unknown_region(demo):
    demo["support_pools"][1]["people"][2]["regions"] = ["east", "moon"]
    p = _at(_problems(demo), "support_pools[1].people[2].regions")
    assert "'moon'" in p.message and "east" in p.message


def test_wrong_language_lists_allowed_values(demo):
    demo["language"] = "fr"
    p = _at(_problems(demo), "language")
    assert "'fr'" in p.message
    text = p.message + " " + p.fix
    assert "'en'" in text and "'zh-CN'" in text


def test_wrong_class_lists_allowed_values(demo):
    demo["accounts"][0]["class"] = "vip"
    p = _at(_problems(demo), "accounts[0].class")
    assert "'vip'" in p.message
    for cls in ("key", "develop", "watch", "drop"):
        assert cls in p.message + p.fix


def test_missing_required_key(demo):
    del demo["plan_year"]
    p = _at(_problems(demo), "plan_year")
    assert p.code == "config-missing-key"
    assert "required" in p.message


def test_missing_nested_key(demo):
    # (a name's zh-CN side used to be required too; since issue 12 one side is enough: tests/config/test_names_ids.py)
    del demo["products"][1]["list_price"]
    del demo["staff"][0]["name"]["zh-CN"]
    demo["staff"][1]["name"] = {}
    problems = _problems(demo)
    assert _at(problems, "products[1].list_price").code == "config-missing-key"
    assert "give en, zh or both" in _at(problems, "staff[1].name").message
    assert not [p for p in problems if p.cell.startswith("staff[0]")]


def test_missing_class_is_named(demo):
    del demo["classes"]["watch"]
    p = _at(_problems(demo), "classes")
    assert "watch" in p.message


def test_unknown_key(demo):
    demo["plan_yaer"] = 2027
    demo["staff"][1]["phone"] = "123"
    problems = _problems(demo)
    top = _at(problems, "plan_yaer")
    assert top.code == "config-unknown-key" and "plan_yaer" in top.message
    assert _at(problems, "staff[1].phone").code == "config-unknown-key"


def test_duplicate_product_id(demo):
    demo["products"][2]["id"] = demo["products"][0]["id"]
    p = _at(_problems(demo), "products[2].id")
    assert repr(demo["products"][0]["id"]) in p.message
    assert "twice" in p.message


def test_duplicate_account_id(demo):
    demo["accounts"][9]["id"] = demo["accounts"][4]["id"]
    p = _at(_problems(demo), "accounts[9].id")
    assert demo["accounts"][4]["id"] in p.message


def test_out_of_range_value_names_value_and_limit(demo):
    demo["products"][0]["standard_margin"] = 1.5
    p = _at(_problems(demo), "products[0].standard_margin")
    assert "1.5" in p.message and "1" in p.fix


def test_problem_text_says_where(tmp_path, demo):
    demo["staff"][3]["region"] = "mars"
    path = _write(tmp_path / "config.yaml", demo)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "config.yaml" in text and "staff[3].region" in text and "'mars'" in text


# --- files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, line, column", [
    ("plan_year: 2027\ncompany:\n  name:\n    en: X\n   zh-CN: Y\n", 5, 4),  # bad indentation
    ("plan_year: 2027\ncompany:\n\tname: x\n", 3, 1),  # a tab
    ("plan_year: 2027\nlanguage: en: zh\n", 2, 13),  # a second colon
], ids=["indent", "tab", "colon"])
def test_bad_yaml_gives_line_and_column(tmp_path, text, line, column):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (p,) = info.value.problems
    assert p.code == "config-yaml"
    assert p.cell == f"line {line}, column {column}"
    assert "config.yaml" in (p.file or "")


def test_yaml_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems[0].code == "config-shape"


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere" / "config.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (p,) = info.value.problems
    assert p.code == "config-missing"
    assert str(path) in p.message
    assert "kamplan init" in p.fix


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + DEFAULT.read_bytes())
    assert load_config(path).plan_year == 2027


ACCOUNTS_CSV = (
    "id,name_en,name_zh,region,rep,class,city\n"
    "C001,Hengchuan Steel,恒川钢铁,north,zhangwei,key,Tangshan\n"
    "C002,Ruifeng Special Steel,瑞丰特钢,east,chenjing,,Changzhou\n"
    "C003,Taihong Rolling Mill,泰宏轧钢厂,east,chenjing,drop,\n"
)


def _config_with_accounts_file(tmp_path: Path, csv_text: str) -> Path:
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    del data["accounts"]
    data["accounts_file"] = "accounts.csv"
    (tmp_path / "accounts.csv").write_text(csv_text, encoding="utf-8-sig")  # Excel writes a BOM
    return _write(tmp_path / "config.yaml", data)


def test_accounts_file_csv(tmp_path):
    config = load_config(_config_with_accounts_file(tmp_path, ACCOUNTS_CSV))
    assert [a.id for a in config.accounts] == ["C001", "C002", "C003"]
    first, second, third = config.accounts
    assert first.name.zh == "恒川钢铁" and first.name.en == "Hengchuan Steel"
    assert first.cls == "key" and first.rep == "zhangwei" and first.city == "Tangshan"
    assert second.cls == "develop"  # blank class -> default
    assert third.cls == "drop" and third.city == ""


def test_accounts_file_missing(tmp_path):
    path = _config_with_accounts_file(tmp_path, ACCOUNTS_CSV)
    (tmp_path / "accounts.csv").unlink()
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (p,) = info.value.problems
    assert p.code == "accounts-file-missing"
    assert "accounts.csv" in p.message


def test_accounts_file_bad_rep_is_reported(tmp_path):
    bad = ACCOUNTS_CSV.replace("east,chenjing,drop", "east,nobody,drop")
    with pytest.raises(ConfigError) as info:
        load_config(_config_with_accounts_file(tmp_path, bad))
    assert any("'nobody'" in p.message for p in info.value.problems)


def test_negative_capacity_and_bad_quarter_key_have_precise_paths():
    import copy
    from kamplan.demo.company import demo_config_dict
    base = demo_config_dict()
    d = copy.deepcopy(base)
    d["support_pools"][1]["people"][0]["capacity"]["Q2"] = -3
    with pytest.raises(ConfigError) as exc:
        config_from_dict(d)
    [p] = exc.value.problems
    assert p.cell == "support_pools[1].people[0].capacity.Q2" and "-3" in p.message
    d = copy.deepcopy(base)
    d["support_pools"][0]["people"][1]["capacity"]["Q5"] = 3
    with pytest.raises(ConfigError) as exc:
        config_from_dict(d)
    [p] = exc.value.problems
    assert p.cell == "support_pools[0].people[1].capacity.Q5" and "Q5" in p.message and "Q1" in p.fix
