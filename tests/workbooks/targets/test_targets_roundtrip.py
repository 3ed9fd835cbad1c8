"""Issue → fill like a person → collect gives exactly the numbers typed, in both languages."""
from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from kamplan.demo.salesforce import LockedCellError, fill_target_workbook, make_mistake
from kamplan.stages.targets import collect_targets
from support.workspaces import demo_workspace


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("ws-cache")


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_round_trip_gives_exactly_what_was_typed(language, cache_root, tmp_path):
    ws = demo_workspace(cache_root, language, tmp_path / "ws")
    with ws:
        issued = sorted(ws.round_outbox(1).glob("*.xlsx"))
        assert len(issued) == 8
        filled = {}
        rng = np.random.default_rng(7)
        for path in issued:
            filled[path.name] = fill_target_workbook(path, ws.inbox / path.name, rng)
        res = collect_targets(ws, [ws.inbox])
        assert [f.outcome for f in res.files] == ["stored"] * 8, [str(p) for f in res.files for p in f.errors]
        for path in issued:
            rep = path.name.split("_")[0]
            sub = ws.store.current_submission(rep, ws.config.plan_year, 1)
            typed = filled[path.name]
            t = sub.targets.set_index(["account_id", "product_id", "quarter"])
            nonzero = t[t.volume > 0]
            assert {k: v for k, v in nonzero.volume.items()} == typed.volumes
            for key, price in typed.prices.items():
                assert t.loc[key, "price"] == price
            assert (t.revenue == t.volume * t.price).all()
            v = sub.visits.set_index(["account_id", "quarter"])
            assert {k: (int(r.rep_visits), int(r.exec_visits)) for k, r in v.iterrows()} == typed.visits
            got_requests = sub.requests.drop(columns=["src", "unit"]).to_dict("records")
            assert got_requests == typed.requests
            assert sub.trainings.drop(columns=["src"]).to_dict("records") == typed.trainings
            assert sub.services.drop(columns=["src"]).to_dict("records") == typed.services
        assert set(res.status.state) == {"submitted"}


def test_simulated_person_writes_only_unlocked_cells(cache_root, tmp_path):
    ws = demo_workspace(cache_root, "en", tmp_path / "ws")
    with ws:
        src = sorted(ws.round_outbox(1).glob("*.xlsx"))[0]
        dst = tmp_path / "filled.xlsx"
        typed = fill_target_workbook(src, dst, np.random.default_rng(3))
        assert typed.volumes, "the simulated person typed nothing"
        before, after = openpyxl.load_workbook(src), openpyxl.load_workbook(dst)
        changed = []
        for ws_before in before.worksheets:
            ws_after = after[ws_before.title]
            for row in ws_after.iter_rows():
                for cell in row:
                    old = ws_before[cell.coordinate]
                    if old.value != cell.value:
                        changed.append(cell)
                        assert old.protection.locked is False, f"{ws_before.title}!{cell.coordinate} was locked"
        assert {(c.parent.title, c.coordinate) for c in changed} <= typed.cells
        with pytest.raises(LockedCellError):
            make_mistake(dst, "targets", "ly_volume", 1.0)


def test_collecting_the_same_file_twice_changes_nothing(cache_root, tmp_path):
    ws = demo_workspace(cache_root, "en", tmp_path / "ws")
    with ws:
        src = sorted(ws.round_outbox(1).glob("*.xlsx"))[0]
        fill_target_workbook(src, ws.inbox / src.name, np.random.default_rng(1))
        first = collect_targets(ws, [ws.inbox])
        subs_before = ws.store.submissions(ws.config.plan_year, include_superseded=True)
        second = collect_targets(ws, [ws.inbox])
        subs_after = ws.store.submissions(ws.config.plan_year, include_superseded=True)
        assert first.files[0].outcome == "stored"
        assert second.files[0].outcome == "unchanged"
        assert len(subs_before) == len(subs_after) == 1
