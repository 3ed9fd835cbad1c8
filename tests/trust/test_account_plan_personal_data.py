"""Personal notes (issue 15): kept in the salesperson's own account plan and the store, never in anything the
VP sees.  A whole year is run with a collected account plan holding a distinctive note; then the text of every
file kamplan wrote (every part of every workbook) and every ``--json`` output is scanned for it."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.stages.account_plan import collect_plans, issue_plans, plan_inbox, plan_outbox
from kamplan.stages.month_review import review_month
from kamplan.stages.plan import agree, export_agreed, write_consolidation
from kamplan.stages.review import segment_accounts
from kamplan.workspace import Workspace
from support.account_plan import fill
from support.golden import STAMP, _first_quarter, _up_to_round_two, small_company

NOTE = "PIPL-NOTE-5c1e 女儿在复旦读书 plays golf"
PIECES = ("PIPL-NOTE-5c1e", "女儿在复旦读书")


def _texts(path: Path) -> list[str]:
    """Every text inside a file: each part of a workbook (xlsx/xlsm are zip files), else the file itself."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    return [data.decode("utf-8", "replace")]


def _holding_the_note(files) -> list[str]:
    return sorted(str(f) for f in files if any(p in text for text in _texts(f) for p in PIECES))


@pytest.fixture(scope="module")
def year_with_a_plan(tmp_path_factory):
    root = tmp_path_factory.mktemp("pii") / "ws"
    data = small_company("zh-CN")
    ws = Workspace.init(root, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    rep = sorted({a.rep for a in ws.config.accounts})[0]
    issued = issue_plans(ws, reps=[rep]).written[0]
    plan_inbox(ws).mkdir(parents=True, exist_ok=True)
    account = next(a.id for a in ws.config.accounts if a.rep == rep)
    fill(issued, plan_inbox(ws) / issued.name, {"contacts": {
        (0, "account"): account, (0, "name"): "王芳", (0, "influence"): 5, (0, "personal_note"): NOTE}})
    assert collect_plans(ws).files[0].outcome == "stored"
    version = _up_to_round_two(ws, rep)
    segment_accounts(ws, now=STAMP)
    write_consolidation(ws, version, now=STAMP)
    agree(ws, by="test")
    export_agreed(ws)
    _first_quarter(ws, rep, "zh-CN")
    review_month(ws, ws.store.account_plan_versions()["collected_at"].map(lambda d: d.date()).max())  # the VP's
    own = issue_plans(ws, reps=[rep], force=True).written[0]  # the salesperson's own new workbook
    yield ws, rep, account, own
    ws.close()


def test_the_note_is_in_the_salespersons_own_workbook_and_the_store_only(year_with_a_plan):
    ws, rep, account, own = year_with_a_plan
    assert _holding_the_note([own]) == [str(own)]  # the scan finds the note where it must be
    stored = ws.store.account_plan_rows(ws.config.plan_year, "contacts", personal=True)
    assert NOTE in set(stored["personal_note"])
    own_plans = {plan_outbox(ws), plan_inbox(ws)}
    written = [f for f in ws.root.rglob("*") if f.is_file() and not f.name.startswith("kamplan.db")
               and not any(folder in f.parents for folder in own_plans)]
    vp_facing = [f for f in written if f.suffix in (".xlsx", ".xlsm", ".csv", ".txt", ".json", ".html", ".pdf")]
    names = {f.parent.name for f in vp_facing} | {f.name for f in vp_facing}
    assert any("consolidation" in n for n in names) and any("evaluation" in n for n in names)
    assert any("agreed" in str(f) for f in vp_facing) and any("account_review" in n for n in names)
    assert any(n == "month-review" for n in names)  # the monthly account-plan review (wallet15)
    assert _holding_the_note(written) == []


def test_no_json_output_holds_the_note(year_with_a_plan):
    ws, rep, account, own = year_with_a_plan
    commands = [["accounts", "plan", "status", "--json"], ["accounts", "plan", "collect", "--json"],
                ["accounts", "plan", "issue", "--json"], ["status", "--json"], ["targets", "status", "--json"],
                ["accounts", "review-month", "--json"], ["warnings", "--json"]]
    for args in commands:
        result = CliRunner().invoke(cli, ["-w", str(ws.root), *args], catch_exceptions=False)
        assert result.exit_code in (0, 1), (args, result.output)
        json.loads(result.stdout)  # valid JSON
        assert not any(p in result.stdout for p in PIECES), args
    # VP-facing reads of the store leave the note out
    frame = ws.store.account_plan_rows(ws.config.plan_year, "contacts")
    assert "personal_note" not in frame.columns
    changes = ws.store.account_plan_changes(year=ws.config.plan_year)
    assert "personal_note" not in set(changes["field"]) and not any(
        p in json.dumps(changes.astype(str).to_dict("records"), ensure_ascii=False) for p in PIECES)
