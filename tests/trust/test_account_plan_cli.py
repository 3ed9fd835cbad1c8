"""``kamplan accounts plan issue | collect | status`` and ``accounts forget-contact``: valid, language-neutral
JSON, exit codes, and lines saying where the files went."""
from __future__ import annotations

import json

from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.stages.account_plan import plan_inbox
from support.account_plan import fill, plan_workspace


def _run(root, *args, lang="en"):
    result = CliRunner().invoke(cli, ["-w", str(root), "--lang", lang, *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_the_plan_commands_speak_json_and_say_where_things_went(tmp_path):
    root = tmp_path / "ws"
    plan_workspace(root).close()
    code, out = _run(root, "accounts", "plan", "issue")
    assert code == 0 and "outbox/account-plans" in out and "4" in out
    code, out = _run(root, "accounts", "plan", "issue", "--rep", "nobody", "--json")
    assert code == 2 and [p["code"] for p in json.loads(out)["problems"]] == ["unknown-salesperson"]
    issued = root / "outbox" / "account-plans" / "r1_account_plan_2026.xlsx"
    inbox = root / "inbox" / "account-plans"
    inbox.mkdir(parents=True)
    fill(issued, inbox / issued.name, {"contacts": {(0, "account"): "A1", (0, "name"): "Wang Fang",
                                                    (0, "personal_note"): "note-xyz", (1, "account"): "A1",
                                                    (1, "name"): "Li", (1, "influence"): 7}})
    code, out = _run(root, "accounts", "plan", "collect", "--json")
    data = json.loads(out)
    assert code == 1 and data["rejected"] == 1
    [problem] = data["files"][0]["problems"]
    assert (problem["code"], problem["cell"]) == ("out-of-range", "G7")  # Contacts › influence of the second row
    code_zh, out_zh = _run(root, "accounts", "plan", "collect", "--json", lang="zh-CN")
    zh = json.loads(out_zh)["files"][0]["problems"][0]
    assert (zh["code"], zh["id"], zh["fields"]) == (problem["code"], problem["id"], problem["fields"])
    fill(issued, inbox / issued.name, {"contacts": {(0, "account"): "A1", (0, "name"): "Wang Fang",
                                                    (0, "personal_note"): "note-xyz"}})
    code, out = _run(root, "accounts", "plan", "collect")
    assert code == 0 and "stored" in out and "1 added" in out
    code, out = _run(root, "accounts", "plan", "status", "--json")
    rows = {r["rep_id"]: r for r in json.loads(out)["salespeople"]}
    assert code == 0 and rows["r1"]["version"] == 1 and rows["r2"]["version"] is None and "note-xyz" not in out
    code, out = _run(root, "accounts", "plan", "status")
    assert code == 0 and "r1" in out
    code, out = _run(root, "accounts", "forget-contact", "A1", "Wang Fang", "--reason", "asked", "--json")
    assert code == 0 and json.loads(out)["versions"] == 1 and "note-xyz" not in out
    code, out = _run(root, "accounts", "forget-contact", "A1", "Nobody", "--json")
    assert code == 2 and json.loads(out)["problems"][0]["code"] == "no-such-contact"
