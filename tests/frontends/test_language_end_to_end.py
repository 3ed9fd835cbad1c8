"""Issue 14: what the workbook kit, the config rules, the engine's top-down instructions and the store's
guards say is Chinese end to end in a zh-CN workspace and English in en.

Each case runs the real code path (a hostile workbook through the kit's reader, a bad instruction through
``apply_topdown``, a bad config through pydantic, a store guard) and says what it found in both languages:
the zh-CN text has no run of three English words outside its ids, paths and fields, and the English text
has no Chinese.  A static check does the same for every text of this area's catalogue file.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from babel.messages.pofile import read_po
from pydantic import ValidationError

from kamplan.config.base import ConfigRule
from kamplan.config.units import UnitRules
from kamplan.engine.spreading import spread
from kamplan.engine.topdown import TopDownError, TopDownSpec, apply_topdown, parse_bound
from kamplan.messages import LOCALE_DIR, render
from kamplan.store.rounds import _check_round
from kamplan.store.sql import StoreError
from kamplan.workbooks.kit.identity import IDENTITY_SHEET
from kamplan.workbooks.kit.reading import FileReader

ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
# what may stay as it is inside a Chinese sentence: command lines, options, key paths, quoted values
NEUTRAL = re.compile(r"kamplan [a-z -]+|--[a-z-]+(?: [A-Za-z0-9:%/._-]+)?|'[^']*'|\"[^\"]*\"|“[^”]*”|"
                     r"\{[^}]*\}|[A-Za-z_][\w.\[\]-]*\.[\w.\[\]-]+|[A-Za-z]+ \+ [a-z]+|\([a-z_]+\)")


def english_runs(text: str) -> list[str]:
    return ENGLISH_RUN.findall(NEUTRAL.sub(" ", text))


def assert_said_in_both(messages) -> None:
    assert messages
    for m in messages:
        zh, en = render(m, "zh-CN"), render(m, "en")
        assert CJK.search(zh), f"not Chinese: {zh!r} ({getattr(m, 'key', '?')})"
        assert not english_runs(zh), f"English in zh-CN: {english_runs(zh)} in {zh!r}"
        assert not CJK.search(en), f"Chinese in en: {en!r}"


def _said(problems) -> list:
    """Every catalogue text a problem carries: its message and fix (the where stays file › sheet › cell)."""
    out = []
    for p in problems:
        assert p.id, f"a text problem, not from the catalogue: {p}"
        out += [p.message] + ([p.fix] if p.fix else [])
    return out


# -- the catalogue's own texts ---------------------------------------------------------------------------
def test_every_chinese_text_of_this_area_is_chinese_and_every_english_one_english():
    entries = {}
    for folder in ("en", "zh_CN"):
        with open(LOCALE_DIR / folder / "LC_MESSAGES" / "kamplan-lang14.po", "rb") as f:
            entries[folder] = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(f) if m.id}
    assert len(entries["zh_CN"]) > 150
    for key, text in entries["zh_CN"].items():
        for s in text if isinstance(text, (list, tuple)) else [text]:
            assert not english_runs(s), f"{key}: English in zh-CN: {english_runs(s)}"
    for key, text in entries["en"].items():
        if key == "config.rule.not-an-id":  # its example ids include 张伟: an id may be Chinese
            continue
        for s in text if isinstance(text, (list, tuple)) else [text]:
            assert not CJK.search(s), f"{key}: Chinese in en: {s!r}"


# -- hostile workbooks through the kit ---------------------------------------------------------------
class _Layout:
    sheet_names = {"figures": "Figures"}


class _Reader(FileReader):
    """The kit's reader steps one after another, as a workbook's reader calls them."""

    def read(self):
        opened = self.open_identity(lambda sheet: {}, ["Figures"])
        if opened is not None:
            self.refuse_added_sheets(opened[2], _Layout())
        return None, self.problems


def _workbook(path: Path, sheets=("Figures", IDENTITY_SHEET)) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name in sheets:
        wb.add_worksheet(name).write(0, 0, "x")
    wb.close()
    return path


def _with_macros(path: Path) -> Path:
    _workbook(path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 508)
    return path


def _cut_off(path: Path) -> Path:
    _workbook(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _crc_damaged(path: Path) -> Path:
    """A stored part whose bytes no longer match its checksum."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", "<Types/>" + " " * 200)
        z.writestr("xl/workbook.xml", "<workbook/>" + " " * 200)
    data = bytearray(path.read_bytes())
    at = data.index(b"<workbook/>")
    data[at + 1] = ord("W")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make, code", [
    (lambda p: _workbook(p, ("Figures", IDENTITY_SHEET, "My notes")), "sheet-added"),
    (_with_macros, "macros"),
    (_cut_off, "corrupt-zip"),
    (_crc_damaged, "corrupt-zip"),
])
def test_a_hostile_workbook_is_refused_in_the_workspace_language(tmp_path, make, code):
    path = make(tmp_path / "huangtao_2027_r1.xlsx")
    _, problems = _Reader(path).read()
    assert [p.code for p in problems] == [code]
    assert problems[0].file == "huangtao_2027_r1.xlsx"
    assert_said_in_both(_said(problems))
    assert "huangtao_2027_r1.xlsx" in problems[0].render("zh-CN")


def test_the_kits_identity_length_and_budget_problems_are_said_in_both_languages(tmp_path):
    reader = _Reader(tmp_path / "x.xlsx")
    assert reader.typed_identity(lambda: int("abc"), 3, fresh="fix.fresh-copy", version="fix.fresh-copy") is None
    assert reader.typed_identity(lambda: (2,), 3, fresh="fix.fresh-copy", version="fix.fresh-copy") is None
    assert not reader.layout_matches(type("L", (), {"signature": lambda self: "a"})(), {"layout_hash": "b"},
                                     "fix.fresh-copy")
    reader.budget = 1
    reader.complain("bad-value", "x", "y", sheet="Figures")
    codes = [p.code for p in reader.problems]
    assert codes == ["identity-damaged", "schema-version", "layout-changed", "too-many-problems"]
    assert_said_in_both(_said(reader.problems[3:]) + [p.message for p in reader.problems[:3]])
    assert "3" in reader.problems[1].render("zh-CN") and "2" in reader.problems[1].render("zh-CN")


# -- the engine's top-down instruction ---------------------------------------------------------------
def _lines() -> pd.DataFrame:
    rows = []
    for rep, region in (("r1", "north"), ("r2", "south")):
        for acc in ("A", "B"):
            for q in (1, 2, 3, 4):
                v = 10.0 + q
                rows.append(dict(rep_id=rep, region_id=region, cls="key", account_id=f"{rep}{acc}", product_id="P1",
                                 quarter=q, volume=v, price=0.0 if acc == "B" and q == 4 else 10.0,
                                 revenue=v * 10.0, ly_volume=v, ly_revenue=v * 10.0, own_volume=v,
                                 own_revenue=v * 10.0, weight=1.0))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("spec", [
    TopDownSpec("profit", "company", {"*": 1.0}),
    TopDownSpec("revenue", "company", {"*": 1.0}, method="growth"),
    TopDownSpec("revenue", "company", {}),
    TopDownSpec("revenue", "company", {"*": -5.0}),
    TopDownSpec("revenue", "company", {"*": -1.0}, relative=("*",)),
    TopDownSpec("revenue", "company", {"*": 10.0}),
    TopDownSpec("revenue", "rep", {"r9": 100.0}),
    TopDownSpec("revenue", "rep", {"r1": 100.0, "r1:Q2": 50.0}),
    TopDownSpec("revenue", "company", {"*": 2000.0}, holds=(("account", "nobody"),)),
])
def test_a_refused_instruction_says_why_in_the_workspace_language(spec):
    with pytest.raises(TopDownError) as caught:
        apply_topdown(_lines(), spec)
    assert_said_in_both([caught.value.why])


def test_a_bound_the_engine_cannot_read_is_said_in_both_languages():
    with pytest.raises(TopDownError) as caught:
        parse_bound("floor", "everyone>=3")
    assert_said_in_both([caught.value.why])


def test_the_notes_of_a_spread_are_messages_said_in_the_workspace_language():
    lines = _lines()
    notes = list(apply_topdown(lines, TopDownSpec("revenue", "company", {"*": 0.05}, relative=("*",))).notes)
    priced = lines.assign(price=10.0)
    spec = TopDownSpec("revenue", "company", {"*": 2000.0},
                       bounds=(parse_bound("floor", "account:r1A=last_year*1.5"), parse_bound("cap", "all=own*1.2")))
    notes += apply_topdown(priced, spec).notes
    keys = {n.key for n in notes}
    assert {"topdown.note.relative", "topdown.note.no-price-held", "topdown.note.floor-above-cap"} <= keys
    assert_said_in_both(notes)
    by = np.array(["a", "a", "b", "b"])
    assert_said_in_both(spread({"a": 30.0}, np.ones(4), "weights",
                               weights=np.array([np.nan, -1.0, 1.0, 1.0]), by=by, unit=1).notes)


# -- config rules and store guards -----------------------------------------------------------------
def test_a_config_rule_keeps_its_key_path_and_is_said_in_both_languages():
    with pytest.raises(ValidationError) as caught:
        UnitRules.model_validate({"conversions": {"t": {"t": 1, "kg": -2}}})
    (err,) = caught.value.errors(include_url=False)
    rule = err["ctx"]["error"]
    assert isinstance(rule, ConfigRule)
    assert [path for path, _ in rule.faults] == ["conversions.t.t", "conversions.t.kg"]
    assert_said_in_both([m for _, m in rule.faults])
    assert str(rule).splitlines()[0] == "conversions.t.t: a unit cannot convert into itself; remove the line"


def test_a_config_rule_in_kamplan_yaml_reaches_the_user_in_their_language_with_the_full_key_path():
    import yaml

    from kamplan.config import config_from_dict
    from kamplan.config.load import ConfigError
    from kamplan.workspace import default_config_text
    data = yaml.safe_load(default_config_text())
    data.setdefault("units", {})["conversions"] = {"t": {"t": 1, "kg": -2}}
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data)
    rules = [p for p in caught.value.problems if p.id == "config.invalid-rule"]
    assert [p.cell for p in rules] == ["units.conversions.t.t", "units.conversions.t.kg"]
    assert_said_in_both(_said(rules))


@pytest.mark.parametrize("calendar", [
    {"period_ends": ["2013-02-28", "2013-05-30", "2013-05-01", "2013-11-30"]},
    {"weeks": [4, 4, 4], "start": "2026-01-04"},
    {"weeks": [4, 4, 5]},
])
def test_a_calendar_mistake_is_said_in_both_languages(calendar):
    import yaml

    from kamplan.config import config_from_dict
    from kamplan.config.load import ConfigError
    from kamplan.workspace import default_config_text
    data = yaml.safe_load(default_config_text())
    data["calendar"] = calendar
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data)
    rules = [p for p in caught.value.problems if p.id == "config.invalid-rule"]
    assert rules and all(p.cell.startswith("calendar.") for p in rules), [(p.cell, p.message) for p in rules]
    assert_said_in_both(_said(rules))


@pytest.mark.parametrize("args", [(0, "bottom-up", None), (1, "", None), (1, "bottom-up", "tomorrow")])
def test_a_store_guard_is_said_in_both_languages(args):
    with pytest.raises(StoreError) as caught:
        _check_round(*args)
    assert_said_in_both([caught.value.args[0]])


def test_the_team_set_up_guard_is_said_in_both_languages():
    import sqlalchemy as sa

    from kamplan.store.team import setup_team
    with pytest.raises(StoreError) as caught:
        setup_team(sa.make_url("sqlite:///kamplan.db"), [])
    assert_said_in_both([caught.value.args[0]])
