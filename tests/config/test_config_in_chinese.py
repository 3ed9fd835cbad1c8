"""Issue 14 (wave 2): the config's problems (and pydantic's faults) are said in zh-CN from the catalogue, in
English exactly as before, with their codes."""
from __future__ import annotations

import re

import pytest

from kamplan.config.load import ConfigError, config_from_dict, load_config

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"\b(the|is|has|not|and|are|should|Input)\b ")


def _chinese(text: str) -> bool:
    return bool(CJK.search(text)) and not ENGLISH_SENTENCE.search(text)


def test_a_missing_config_is_said_in_chinese(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "kamplan.yaml")
    [p] = caught.value.problems
    assert p.message == f"no config file at {tmp_path / 'kamplan.yaml'}" and p.code == "config-missing"
    assert _chinese(p.message_in("zh-CN")) and _chinese(p.fix_in("zh-CN"))


def test_an_unknown_key_and_a_bad_number_are_said_in_chinese():
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"company": "X", "plan_year": "soon", "colour": "red"})
    by_code = {p.code: p for p in caught.value.problems}
    unknown = by_code["config-unknown-key"]
    assert unknown.message == "colour is not a known setting" and _chinese(unknown.message_in("zh-CN"))
    bad = next(p for p in caught.value.problems if p.cell == "plan_year")
    assert bad.message == "plan_year is 'soon': Input should be a valid integer, unable to parse string as an integer"
    assert _chinese(bad.message_in("zh-CN")) and bad.to_dict()["id"] == "config.invalid"
    assert bad.to_dict()["fields"]["value"] == "'soon'"
