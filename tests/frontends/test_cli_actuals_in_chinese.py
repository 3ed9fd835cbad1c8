"""Issue 14 (wave 2): ``kamplan actuals import`` says its lines and the imports' problems in the run's language."""
from __future__ import annotations

from click.testing import CliRunner

from kamplan.cli.main import cli


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "200"})


def test_an_actuals_dry_run_in_chinese_and_in_english(tmp_path):
    _run("init", tmp_path / "w")
    erp = tmp_path / "erp.csv"
    erp.write_text("date,customer,product,quantity,amount\n2026-03-02,C001,CCR,1,16000\n2026-03-05,NOPE,CCR,2,100\n",
                   encoding="utf-8")
    zh = _run("-w", tmp_path / "w", "--lang", "zh-CN", "actuals", "import", "--dry-run", erp).output
    assert "已读取 erp.csv  2 行:1 行已匹配,1 行不在计划中" in zh
    assert "客户不在计划中 'NOPE':1 行,从第 3 行起" in zh and "合计" in zh and "待保存" in zh
    assert "试运行:将替换 2026 第1季度;未保存任何内容。" in zh
    en = _run("-w", tmp_path / "w", "--lang", "en", "actuals", "import", "--dry-run", erp).output
    assert "read erp.csv  2 lines: 1 matched, 1 not in the plan" in en
    assert "customer not in the plan 'NOPE': 1 line(s) from row 3, 2.00 in file units, 100 CNY — if it is one" in en
    assert "Dry run: 2026 Q1 would be replaced; nothing was stored." in en


def test_a_bad_number_is_refused_in_chinese(tmp_path):
    _run("init", tmp_path / "w")
    erp = tmp_path / "erp.csv"
    erp.write_text("date,customer,product,quantity,amount\n2026-03-06,C001,CCR,x,5\n", encoding="utf-8")
    res = _run("-w", tmp_path / "w", "--lang", "zh-CN", "actuals", "import", erp)
    assert res.exit_code == 1
    assert "erp.csv › 第 2 行 › quantity: “quantity”= 'x' 不是数字 — 请填写普通数字" in res.output
    assert "1 个文件被拒收" in res.output and "未保存任何内容。" in res.output


def test_volumes_in_different_units_are_not_added_on_the_console_or_in_json(tmp_path):
    import json

    import yaml
    _run("init", tmp_path / "w")
    cfg = tmp_path / "w" / "kamplan.yaml"
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["products"][1]["unit"] = "pcs"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    ccr, sgr = data["products"][0]["id"], data["products"][1]["id"]
    erp = tmp_path / "erp.csv"
    erp.write_text(f"date,customer,product,quantity,amount\n2026-03-02,C001,{ccr},2.5,16000\n"
                   f"2026-03-05,C002,{sgr},40,400\n", encoding="utf-8")
    out = _run("-w", tmp_path / "w", "--lang", "en", "actuals", "import", "--dry-run", erp).output
    assert "40.00 pcs; 2.50 t" in out and "42.50" not in out, out  # 2.5 t and 40 pcs are not 42.5 of anything
    doc = json.loads(_run("-w", tmp_path / "w", "actuals", "import", "--dry-run", "--json", erp).output)
    assert doc["volume_stored_by_unit"] == {"pcs": 40.0, "t": 2.5}
