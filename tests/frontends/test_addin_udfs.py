"""The worksheet functions as plain Python: right answers on good input, a readable #KAM! text on bad."""
from __future__ import annotations

import math

import numpy as np
import pytest

from kamplan.engine.pareto import pareto
from kamplan.xl import udfs
from kamplan.xl.udfs import KAM_CLASS, KAM_PARETO, KAM_SPREAD, KAM_TARGET


def _col(values):
    return [[v] for v in values]


def _flat(rows):
    return [v for r in rows for v in r]


# -- KAM_SPREAD ----------------------------------------------------------------------------------------
def test_spread_adds_up_exactly_in_cents_and_follows_the_weights():
    out = KAM_SPREAD(1000, _col([1, 1, 1]))
    vals = _flat(out)
    assert len(out) == 3 and all(len(r) == 1 for r in out)  # the shape of the weights
    assert round(sum(vals), 2) == 1000 and sorted(vals) == [333.33, 333.33, 333.34]
    row = KAM_SPREAD(100, [[3, 1]])
    assert row == [[75.0, 25.0]]


def test_spread_keeps_held_lines_and_respects_caps_and_floors():
    vals = _flat(KAM_SPREAD(1000, _col([5, 3, 2, 0]), holds=_col([None, 100, None, None]),
                            floors=_col([None, None, None, 50]), caps=_col([500, None, None, None]), unit=1))
    assert vals[1] == 100  # held
    assert vals[3] == 50  # floor on a zero weight
    assert vals[0] <= 500  # cap
    assert sum(vals) == 1000 and all(float(v).is_integer() for v in vals)


def test_spread_without_rounding():
    vals = _flat(KAM_SPREAD(1, _col([1, 1, 1]), unit=0))
    assert vals == pytest.approx([1 / 3] * 3)


@pytest.mark.parametrize("args, says", [
    (("abc", _col([1, 2])), "total holds text 'abc'"),
    ((100, _col([1, "x"])), "weights holds text 'x' at cell 2"),
    ((100, _col([1, -2])), "weights are negative at cell 2"),
    ((100, _col([1, 2]), _col([5, 6])), "every line is held"),
    ((100, _col([1, 2]), None, None, _col([1, 2, 3])), "caps has 3 cells for 2 weights"),
    ((1000, _col([1, 1]), None, None, 100), "cannot be reached"),
    ((100, _col([1, 1]), None, 60, 40), "floor above its cap"),
    ((100, None), "weights is empty"),
    ((100, [[1, 2], [3]]), "rectangular"),
    ((100, _col([1, 2]), None, None, None, -1), "unit -1 is negative"),
])
def test_spread_bad_input_gives_a_readable_text_not_an_exception(args, says):
    out = KAM_SPREAD(*args)
    assert isinstance(out, str) and out.startswith("#KAM! KAM_SPREAD: ") and says in out, out


# -- KAM_PARETO ----------------------------------------------------------------------------------------
def test_pareto_gives_rank_share_cumulative_share_and_abc_in_input_order():
    values = [10, 50, 30, 0, 10]
    out = KAM_PARETO(_col(values))
    assert len(out) == 5 and all(len(r) == 4 for r in out)
    by_engine = pareto(__import__("pandas").Series(values, dtype=float)).set_index("account_id")
    for i, (rank, share, cum, abc) in enumerate(out):
        assert rank == by_engine.at[i, "rank"] and abc == by_engine.at[i, "abc"]
        assert share == pytest.approx(values[i] / 100) and cum == pytest.approx(by_engine.at[i, "cum_share"])
    assert out[1][0] == 1 and out[1][3] == "A"
    assert out[0][3] == out[4][3]  # equal values, same class


def test_pareto_limits_and_bad_input():
    assert [r[3] for r in KAM_PARETO(_col([60, 30, 10]), [0.5, 0.9])] == ["A", "B", "C"]
    assert "single column or row" in KAM_PARETO([[1, 2], [3, 4]])
    assert "abc_limits" in KAM_PARETO(_col([1, 2]), [0.9, 0.5])
    assert KAM_PARETO(_col([1, "big"])).startswith("#KAM! KAM_PARETO: values holds text 'big'")
    out = KAM_PARETO(_col([0, 0]))  # no positive total: shares are blank, not an error
    assert [r[1] for r in out] == ["", ""]


# -- KAM_CLASS -----------------------------------------------------------------------------------------
def test_class_follows_the_default_rules_in_order():
    assert KAM_CLASS(["big", "profit"], [1, 5000]) == "key"
    assert KAM_CLASS(["big", "profit"], [1, -1]) == "watch"
    assert KAM_CLASS(["big", "profit"], [1, -1], "rule") == "big-unprofitable"
    assert KAM_CLASS(["big", "profit", "growth", "is_new", "potential", "abc"], [0, 10, 0.2, 0, 10, "B"]) == "develop"
    assert KAM_CLASS(["big", "profit", "is_new", "growth", "potential"], [0, -3, 0, 0, 0]) == "drop"
    reason = KAM_CLASS(["big", "profit"], [1, -1], "reason")
    assert "-1" in reason or "−1" in reason


def test_class_reads_the_rules_of_the_workspace(tmp_path):
    import yaml
    from kamplan.workspace import Workspace, default_config_text
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        key_name = ws.config.classes["key"].name.get(ws.config.language)
    root = str(tmp_path / "ws")
    assert KAM_CLASS(["big", "profit"], [1, 10], "name", root) == key_name
    cfg = tmp_path / "ws" / "kamplan.yaml"
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data.setdefault("segmentation", {})["rules"] = [{"id": "all-big-watched", "class": "watch", "when": ["big == 1"]}]
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    import os
    os.utime(cfg, (os.stat(cfg).st_atime, os.stat(cfg).st_mtime + 5))  # a changed config is reread
    assert KAM_CLASS(["big", "profit"], [1, 10], "rule", root) == "all-big-watched"
    assert KAM_CLASS(["big", "profit"], [1, 10], "class", root) == "watch"


@pytest.mark.parametrize("args, says", [
    ((["bigness"], [1]), "unknown metric 'bigness'"),
    ((["big", "profit"], [1]), "2 metric names but 1 values"),
    ((["profit"], ["lots"]), "profit holds text 'lots'"),
    ((["big"], [1], "colour"), "use class, name, rule or reason"),
    ((["big"], [1], "class", "/no/such/folder"), "is not a kamplan workspace"),
])
def test_class_bad_input(args, says):
    out = KAM_CLASS(*args)
    assert out.startswith("#KAM! KAM_CLASS: ") and says in out, out


# -- KAM_TARGET ----------------------------------------------------------------------------------------
def _two_collected(root):
    """A demo workspace (open) with two salespeople's workbooks collected."""
    from kamplan.demo.salesforce import fill_target_workbook
    from kamplan.stages.targets import collect_targets
    from support.workspaces import demo_workspace
    ws = demo_workspace(root / "cache", "en", root / "ws")
    for i, src in enumerate(sorted(ws.round_outbox(1).glob("*.xlsx"))[:2]):
        fill_target_workbook(src, ws.inbox / src.name, np.random.default_rng(i))
    collect_targets(ws, [ws.inbox])
    return ws


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """A demo workspace with two salespeople's workbooks collected."""
    ws = _two_collected(tmp_path_factory.mktemp("udf"))
    targets = ws.store.targets_frame(ws.config.plan_year, 1)
    ws.close()
    return ws.root, targets


def test_target_reads_the_store_by_account_product_and_quarter(collected):
    root, t = collected
    line = t[t["volume"] > 0].iloc[0]
    acc, prod, q = line["account_id"], line["product_id"], int(line["quarter"])
    assert KAM_TARGET(acc, prod, q, None, "volume", None, str(root)) == pytest.approx(line["volume"])
    assert KAM_TARGET(acc, prod, f"Q{q}", None, "revenue", None, str(root)) == pytest.approx(line["revenue"])
    year = t[(t["account_id"] == acc)]
    assert KAM_TARGET(acc, "", "year", None, "volume", None, str(root)) == pytest.approx(year["volume"].sum())
    assert KAM_TARGET(acc, "", 0, None, "price", None, str(root)) == pytest.approx(
        year["revenue"].sum() / year["volume"].sum())


def test_target_bad_input(collected, tmp_path, monkeypatch):
    root, t = collected
    acc = t.iloc[0]["account_id"]
    monkeypatch.delenv("KAMPLAN_WORKSPACE", raising=False)
    assert "no account 'NOPE'" in KAM_TARGET("NOPE", "", 1, None, "volume", None, str(root))
    assert "no product 'P9'" in KAM_TARGET(acc, "P9", 1, None, "volume", None, str(root))
    assert "quarter 'Q5'" in KAM_TARGET(acc, "", "Q5", None, "volume", None, str(root))
    assert "measure 'margin'" in KAM_TARGET(acc, "", 1, None, "margin", None, str(root))
    assert "no targets collected for 2001" in KAM_TARGET(acc, "", 1, None, "volume", 2001, str(root))
    assert "no workspace" in KAM_TARGET(acc, "", 1)


def test_target_finds_the_store_through_the_workspace_settings_and_never_writes(collected, tmp_path):
    import shutil
    root, t = collected
    ws = tmp_path / "ws"
    shutil.copytree(root, ws)
    shared = tmp_path / "shared"
    shared.mkdir()
    for f in ws.glob("kamplan.db*"):
        f.rename(shared / f.name)
    (ws / "workspace.yaml").write_text(f"store_url: sqlite:///{shared / 'kamplan.db'}\n", encoding="utf-8")
    line = t[t["volume"] > 0].iloc[0]
    before = {f.name: f.read_bytes() for f in shared.iterdir()}
    got = KAM_TARGET(line["account_id"], line["product_id"], int(line["quarter"]), None, "volume", None, str(ws))
    assert got == pytest.approx(line["volume"])
    assert not (ws / "kamplan.db").exists()  # no store made where the old code looked
    assert {f.name: f.read_bytes() for f in shared.iterdir() if f.name in before} == before


def test_every_udf_is_listed_and_documented():
    for name in udfs.UDF_NAMES:
        fn = getattr(udfs, name)
        assert fn.__doc__ and fn.__doc__.split("\n\n")[0].strip()


def test_kam_forecast_and_kam_risk_on_lists_and_bad_input():
    from kamplan.engine.forecast import forecast_series, risk_of_series
    from kamplan.xl.udfs import KAM_FORECAST, KAM_RISK
    history = [10.0, 20.0, 30.0, 40.0, 12.0, 24.0]
    col = KAM_FORECAST([[v] for v in history])
    assert col == [[x] for x in forecast_series(history)] and len(col) == 2
    assert col[0][0] == pytest.approx(36.0) and col[1][0] == pytest.approx(48.0)
    assert KAM_FORECAST([history]) == [forecast_series(history)]  # a row gives a row
    falling = [100.0] * 4 + [90.0, 80.0, 70.0, 60.0]
    assert KAM_RISK([[v] for v in falling]) is True
    assert KAM_RISK([[v] for v in falling], "reason") == "; ".join(risk_of_series(falling)[1])
    assert KAM_RISK([[100.0]] * 8) is False
    assert KAM_FORECAST([["abc"], [1.0]]).startswith("#KAM!")
    assert KAM_RISK([[1.0, 2.0], [3.0, 4.0]]).startswith("#KAM!")
    assert KAM_RISK([[1.0]], "maybe").startswith("#KAM!")


def test_target_by_plan_version_with_product_and_quarter_optional(tmp_path_factory):
    from kamplan.stages.plan import consolidate
    from kamplan.workspace import Workspace
    ws = _two_collected(tmp_path_factory.mktemp("udf-versions"))
    vid = consolidate(ws).version_id
    ws.close()
    with Workspace.open_readonly(ws.root) as w:
        _, lines = w.store.plan_version(vid)
    acc = lines.loc[lines["volume"] > 0, "account_id"].iloc[0]
    mine = lines[lines["account_id"] == acc]
    assert KAM_TARGET(acc, workspace=str(ws.root)) == pytest.approx(mine["volume"].sum())  # all products, year
    assert KAM_TARGET(acc, None, None, vid, workspace=str(ws.root)) == pytest.approx(mine["volume"].sum())
    assert KAM_TARGET(acc, "", 2, f"v{vid}", "revenue", workspace=str(ws.root)) == pytest.approx(
        mine.loc[mine["quarter"] == 2, "revenue"].sum())
    assert "not agreed yet" in KAM_TARGET(acc, version="agreed", workspace=str(ws.root))
    assert "there is no plan version 99" in KAM_TARGET(acc, version=99, workspace=str(ws.root))
    assert "version 'x1'" in KAM_TARGET(acc, version="x1", workspace=str(ws.root))
