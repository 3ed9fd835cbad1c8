"""The command line as a VP uses it: init, issue, collect (exit codes, JSON), status, demo; its language,
console habits (80 columns, options after the subcommand, the workspace found from a subfolder), valid
JSON, and the feedback files of a rejected workbook."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.demo.salesforce import fill_target_workbook, make_mistake


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "demo"
    res = run("demo", "--out", out, "--lang", "en")
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def round1_dir(tmp_path_factory):
    """The demo company in December: round 1 issued; everyone but zhouting has returned a workbook."""
    from support.workspaces import demo_workspace
    from kamplan.stages.targets import collect_targets
    root = tmp_path_factory.mktemp("round1")
    with demo_workspace(root, "en", root / "ws") as ws:
        rng = np.random.default_rng(4)
        for p in sorted(ws.round_outbox(1).glob("*.xlsx")):
            if not p.name.startswith("zhouting"):
                fill_target_workbook(p, ws.inbox / p.name, rng)
        collect_targets(ws, [ws.inbox])
    return root / "ws"


def test_demo_summary_says_what_it_wrote_where(demo_dir):
    res = run("-w", demo_dir, "targets", "status", "--json")
    status = {r["rep_id"]: r["state"] for r in json.loads(res.output)}
    assert list(status.values()).count("submitted") == 7 and list(status.values()).count("missing") == 1
    assert len(list((demo_dir / "outbox" / "round-1").glob("*.xlsx"))) == 8
    assert (demo_dir / "kamplan.db").exists()


def test_demo_runs_the_vps_loop_to_an_agreed_plan(demo_dir):
    res = run("-w", demo_dir, "targets", "versions", "--json")
    data = json.loads(res.output)
    assert [v["kind"] for v in data["versions"]] == ["bottom-up", "top-down", "bottom-up"]
    assert data["agreed_version"] == 3
    top_down = data["versions"][1]
    assert top_down["revenue"] == pytest.approx(round(data["versions"][0]["revenue"] * 1.06, -4), abs=0.005)
    reports = demo_dir / "reports"
    assert sorted(p.name for p in reports.glob("consolidation_*.xlsx")) == ["consolidation_2027_v1.xlsx",
                                                                            "consolidation_2027_v3.xlsx"]
    agreed = reports / "agreed-2027-v3"
    assert len(list(agreed.glob("*_2027_targets.xlsx"))) == 8 and (agreed / "management_2027.xlsx").exists()
    assert len(list(reports.glob("resource_plan_2027_*.xlsx"))) == 1
    assert len(list((demo_dir / "outbox" / "round-2").glob("*.xlsx"))) == 8
    # the year: four evaluated quarters, the annual evaluation, and the drifting accounts warned about
    assert sorted(p.name for p in reports.glob("evaluation_2027_Q*_VP.xlsx")) == [
        f"evaluation_2027_Q{q}_VP.xlsx" for q in (1, 2, 3, 4)]
    assert (reports / "evaluation_2027_annual_summary.xlsx").exists()
    res = run("-w", demo_dir, "warnings", "--json")
    flagged = json.loads(res.output)["warnings"]
    worst = max(flagged, key=lambda w: len(w["flags"]))
    assert {"below-plan", "open-complaints"} <= set(worst["flags"])


def test_demo_output_names_paths_and_rejection(tmp_path):
    res = run("demo", "--out", tmp_path / "d", "--lang", "zh-CN")
    assert res.exit_code == 0
    assert str(tmp_path / "d") in res.output.replace("\n", "")
    assert "is not a number" in res.output
    again = run("demo", "--out", tmp_path / "d", "--lang", "zh-CN")  # an earlier demo is replaced
    assert again.exit_code == 0


def test_demo_never_touches_a_users_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("precious")
    res = run("demo", "--out", tmp_path)
    assert res.exit_code == 2 and "nothing was touched" in res.output
    assert (tmp_path / "mine.txt").read_text() == "precious"


def test_init_issue_collect_with_exit_codes_and_json(tmp_path, round1_dir):
    ws = tmp_path / "ws"
    shutil.copytree(round1_dir, ws)
    assert run("init", ws).exit_code == 2  # already a workspace: refused, nothing changed
    res = run("-w", ws, "targets", "issue")
    assert res.exit_code == 0 and "kept existing" in res.output  # never overwrites without --force
    issued = sorted((ws / "outbox" / "round-1").glob("*.xlsx"))
    late = [p for p in issued if p.name.startswith("zhouting")][0]
    fill_target_workbook(late, ws / "inbox" / late.name, np.random.default_rng(9))
    res = run("-w", ws, "targets", "collect", "--json")
    data = json.loads(res.output)
    assert res.exit_code == 0
    outcome = {f["file"].split("/")[-1]: f["outcome"] for f in data["files"]}
    assert outcome[late.name] == "stored" and list(outcome.values()).count("unchanged") == 7
    make_mistake(ws / "inbox" / late.name, "targets", "price_q1", "n/a", row_index=2)
    res = run("-w", ws, "targets", "collect", ws / "inbox" / late.name)
    assert res.exit_code == 1
    assert f"{late.name} › Targets ›" in res.output and '"n/a" is not a number' in res.output


def test_fresh_init_uses_the_commented_default(tmp_path):
    res = run("init", tmp_path / "new")
    assert res.exit_code == 0
    assert (tmp_path / "new" / "kamplan.yaml").read_text(encoding="utf-8").startswith("# ====")
    res = run("-w", tmp_path / "new", "targets", "issue", "--lang", "en")
    assert res.exit_code == 0 and "wrote 2 workbooks" in res.output  # plural forms from the catalogue


def test_bad_config_gives_key_path_not_traceback(tmp_path):
    run("init", tmp_path / "w")
    cfg = tmp_path / "w" / "kamplan.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("language: zh-CN", "language: fr"), encoding="utf-8")
    res = run("-w", tmp_path / "w", "targets", "status")
    assert res.exit_code == 2
    assert "language" in res.output and "zh-CN" in res.output and "Traceback" not in res.output


def test_not_a_workspace(tmp_path):
    res = run("-w", tmp_path, "targets", "status")
    assert res.exit_code == 2 and "kamplan init" in res.output


def test_history_import_reports_bad_rows_and_imports_good_files(tmp_path):
    run("init", tmp_path / "w")
    bad = tmp_path / "hist.csv"
    bad.write_text("year,quarter,account_id,product_id,volume,price\n2026,1,C001,CCR,12.5,16000\n"
                   "2026,5,C001,CCR,abc,16000\n", encoding="utf-8")
    res = run("-w", tmp_path / "w", "history", "import", bad)
    assert res.exit_code == 1
    assert "row 3 › quarter: quarter 5 is not 1-4" in res.output and '"abc" is not a number' in res.output
    good = tmp_path / "good.csv"
    good.write_text("year,quarter,account_id,product_id,volume,price\n2026,1,C001,CCR,12.5,16000\n", encoding="utf-8")
    res = run("-w", tmp_path / "w", "history", "import", good)
    assert res.exit_code == 0 and "Imported 1 history line " in res.output
    assert run("-w", tmp_path / "w", "check").exit_code == 0


def test_issuing_a_closed_round_is_refused(tmp_path, round1_dir):
    ws = tmp_path / "ws"
    shutil.copytree(round1_dir, ws)
    res = run("-w", ws, "targets", "issue", "--round", "2")
    assert res.exit_code == 2 and "no 2027 plan to propose yet" in res.output  # round 2 proposes a plan
    from kamplan.workspace import Workspace
    with Workspace.open(ws) as w:  # as if the VP had run round 2
        w.store.open_round(w.config.plan_year, 2, "top-down")
    res = run("-w", ws, "targets", "issue", "--round", "1")
    assert res.exit_code == 2 and "round 1 is closed" in res.output


def test_history_import_counts_lines_as_the_file_does(tmp_path):
    run("init", tmp_path / "w")
    f = tmp_path / "h.csv"
    f.write_text("year,quarter,account_id,product_id,volume,price\n2026,1,C001,CCR,12.5,16000\n\n"
                 "2026,2,C001,CCR,x,16000\n2026,3,C001,CCR,10,\n", encoding="utf-8")
    res = run("-w", tmp_path / "w", "history", "import", f)
    assert res.exit_code == 1
    out = res.output.replace("\n", " ")
    assert "row 4 › volume" in out and "volume is empty" not in out
    assert "row 5 › revenue: volume 10 has neither a price nor a revenue" in out


# -- issue 14: the console's language and habits ---------------------------------------------------------
@pytest.fixture
def zh_workspace(tmp_path, monkeypatch):
    """A fresh workspace with the default config (language: zh-CN), and no KAMPLAN_LANG to override it."""
    monkeypatch.delenv("KAMPLAN_LANG", raising=False)
    assert run("init", tmp_path / "w").exit_code == 0
    return tmp_path / "w"


def test_the_console_speaks_the_workspaces_language_unless_told_otherwise(zh_workspace, monkeypatch):
    res = run("-w", zh_workspace, "check")
    assert res.exit_code == 0 and "正常 — 计划年度 2027" in res.output.replace("\n", "")
    assert "OK — plan year 2027" in run("check", "-w", zh_workspace, "--lang", "en").output  # after the subcommand
    monkeypatch.setenv("KAMPLAN_LANG", "en")
    assert "OK — plan year 2027" in run("-w", zh_workspace, "check").output
    assert "正常" in run("-w", zh_workspace, "--lang", "zh-CN", "check").output.replace("\n", "")  # beats KAMPLAN_LANG


def test_help_is_in_the_workspaces_language(zh_workspace):
    res = run("-w", zh_workspace, "--help")
    assert res.exit_code == 0
    assert "用法:" in res.output and "选项" in res.output and "检查工作区的配置并说明其内容。" in res.output
    res = run("-w", zh_workspace, "targets", "issue", "--help")
    assert "为每位销售人员在 outbox/round-N 中写一份目标工作簿。" in res.output and "显示本帮助并退出。" in res.output
    res = run("--lang", "en", "-w", zh_workspace, "targets", "issue", "--help")
    assert "Write one target workbook per salesperson" in res.output and "Show this message and exit." in res.output


def test_a_problem_reaches_the_console_in_the_workspaces_language(zh_workspace, tmp_path):
    bad = tmp_path / "hist.csv"
    bad.write_text("year,quarter,account_id,product_id,volume,price\n2026,1,C001,CCR,abc,16000\n", encoding="utf-8")
    res = run("-w", zh_workspace, "history", "import", bad)
    assert res.exit_code == 1 and '"abc" 不是数字' in res.output and "错误" in res.output


def test_the_workspace_is_found_from_a_subfolder_and_options_follow_the_subcommand(zh_workspace, monkeypatch):
    deep = zh_workspace / "reports" / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    res = run("check", "--lang", "en")
    assert res.exit_code == 0 and str(zh_workspace / "kamplan.yaml") in res.output.replace("\n", "")
    res = run("targets", "status", "--json", "-w", zh_workspace)
    assert res.exit_code == 0 and [r["state"] for r in json.loads(res.output)] == ["missing", "missing"]
    # targets issue has its own --lang (the workbooks'): it stays with the subcommand
    res = run("targets", "issue", "--lang", "en", "-w", zh_workspace)
    assert res.exit_code == 0 and "已向" in res.output  # console in the workspace's language, workbooks English
    assert (zh_workspace / "outbox" / "round-1").is_dir()


def test_init_ends_with_the_real_next_steps_and_its_sample_history_imports(tmp_path):
    res = run("init", tmp_path / "w")
    out = res.output
    steps = [out.index(s) for s in ("check", "history import sample_history.csv", "accounts segment",
                                     "accounts collect", "targets issue")]
    assert steps == sorted(steps) and "Next steps:" in out
    assert run("status", "-w", tmp_path / "w").output.rstrip().endswith("Next: kamplan history import FILE.csv")
    res = run("-w", tmp_path / "w", "history", "import", tmp_path / "w" / "sample_history.csv")
    assert res.exit_code == 0, res.output
    lines = (tmp_path / "w" / "sample_history.csv").read_text(encoding="utf-8").splitlines()
    assert f"Imported {len(lines) - 1} history lines" in res.output  # every sample line goes in
    res = run("status", "--json", "-w", tmp_path / "w")
    data = json.loads(res.output)
    assert data["next"] == "kamplan accounts segment"
    assert data["steps"][0] == {"step": "history", "done": True, "rows": len(lines) - 1, "imports": 1}


def test_status_says_where_the_cycle_stands(round1_dir):
    res = run("-w", round1_dir, "status")
    assert res.exit_code == 0
    assert "returned: 7 of 8 submitted, 1 missing, 0 rejected" in res.output
    assert "Next: kamplan targets collect" in res.output  # the review was skipped: shown, not nagged about
    assert "account review: not run yet" in res.output


def test_json_is_valid_without_nan_or_infinity_and_says_where_a_number_was_infinite(capsys):
    import pandas as pd
    from kamplan.cli.output import print_json
    print_json({"gap": float("inf"), "missing": float("nan"), "n": np.int64(3),
                "rows": pd.DataFrame({"x": [1.0, float("-inf")], "y": [float("nan"), 2.0]})})
    text = capsys.readouterr().out

    def refuse(name):
        raise AssertionError(f"{name} in JSON")
    data = json.loads(text, parse_constant=refuse)
    assert data["gap"] is None and data["missing"] is None and data["n"] == 3
    assert data["rows"] == [{"x": 1.0, "y": None}, {"x": None, "y": 2.0}]
    assert [(p["code"], p["fields"]["field"]) for p in data["json_problems"]] == [
        ("not-a-finite-number", "$.gap"), ("not-a-finite-number", "$.rows[1].x")]


def test_tables_at_80_columns_cut_no_path_or_figure(round1_dir, tmp_path, monkeypatch):
    import pandas as pd
    from kamplan.cli import output
    monkeypatch.setattr(output.console, "_width", 80)  # restored to None (the terminal decides) afterwards
    ws = tmp_path / "ws"
    shutil.copytree(round1_dir, ws)
    res = run("-w", ws, "targets", "status")  # 8 columns do not fit: one block per salesperson
    assert res.exit_code == 0 and "…" not in res.output
    lines = res.output.splitlines()
    for name in sorted(p.name for p in (ws / "inbox").glob("*.xlsx")):
        assert any(line.split() == ["file_name", name] for line in lines), name
    long_path = str(ws / "inbox" / "a_very_long_file_name_for_the_salesperson_huangtao_2027_r1.xlsx")
    frame = pd.DataFrame({"file": [long_path], "revenue": [33375123.45], "volume": [1234567.0]})
    with output.console.capture() as cap:
        output.console.print(output.frame_table(frame))
    text = cap.get()
    assert "…" not in text and "33,375,123.45" in text and "1,234,567.00" in text
    rows = [line.split("│")[1:-1] for line in text.splitlines() if line.count("│") > 2]
    assert len(rows) > 1 and "".join(r[0].strip() for r in rows) == long_path  # folded, whole


def test_a_rejected_workbook_gets_its_feedback_in_the_salespersons_language(tmp_path, round1_dir):
    import hashlib
    import openpyxl
    ws = tmp_path / "ws"
    shutil.copytree(round1_dir, ws)
    late = sorted((ws / "outbox" / "round-1").glob("zhouting*.xlsx"))[0]
    sent = ws / "inbox" / late.name
    fill_target_workbook(late, sent, np.random.default_rng(9))
    ref = make_mistake(sent, "targets", "price_q1", "n/a", row_index=2)
    before = hashlib.sha256(sent.read_bytes()).hexdigest()
    res = run("-w", ws, "targets", "collect", sent)
    assert res.exit_code == 1
    letter = ws / "inbox" / "feedback" / f"{late.stem}_problems.txt"
    marked = ws / "inbox" / "feedback" / f"{late.stem}_problems.xlsx"
    assert str(letter.relative_to(ws)) in res.output.replace("\n", "")
    text = letter.read_text(encoding="utf-8")
    assert f"{late.name}: what must change" in text and f"Targets › {ref}" in text
    assert 'What is wrong: "n/a" is not a number' in text and "What to do:" in text
    assert hashlib.sha256(sent.read_bytes()).hexdigest() == before  # the original is only read
    cell = openpyxl.load_workbook(marked)["Targets"][ref]
    assert cell.fill.start_color.rgb == "FFFF9999" and '"n/a" is not a number' in cell.comment.text
    # the feedback folder is never collected as a returned workbook
    again = json.loads(run("-w", ws, "targets", "collect", "--json").output)
    assert not [f for f in again["files"] if "feedback" in f["file"]]
