"""Round 2: a top-down proposal workbook is answered like a person would and read back by the same rules."""
from __future__ import annotations

import math

import numpy as np
import openpyxl
import pytest

from kamplan.demo.salesforce import (
    LockedCellError, fill_target_workbook, layout_of, make_mistake, respond_to_proposal,
)
from kamplan.stages.targets import collect_targets
from kamplan.workbooks.kit.i18n import t
from kamplan.workbooks.kit.identity import IDENTITY_SHEET
from kamplan.workbooks.targets.reader import ReadContext, read_target_workbook
from support.proposals import collect_round_one, proposal_from, write_proposal
from support.workspaces import demo_workspace


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("ws-cache")


@pytest.fixture(scope="module", params=["en", "zh-CN"])
def round_one(request, tmp_path_factory, cache_root):
    """A workspace whose first two salespeople returned round 1; yields (ws, reps)."""
    ws = demo_workspace(cache_root, request.param, tmp_path_factory.mktemp("r1") / "ws")
    with ws:
        yield ws, collect_round_one(ws)


def _issue(ws, rep, tmp_path, **kw):
    sub = ws.store.current_submission(rep, ws.config.plan_year, 1)
    proposal = proposal_from(sub)
    path = write_proposal(ws, rep, tmp_path / "out", proposal, sub, **kw)
    return path, proposal, sub


def _read(ws, path):
    return read_target_workbook(path, ReadContext(ws.config))


def _line(proposal, acc, prod, q):
    row = proposal[(proposal.account_id == acc) & (proposal.product_id == prod) & (proposal.quarter == q)]
    return float(row.volume.iloc[0]), float(row.price.iloc[0])


def _row_index(lay, acc, prod):
    return lay.targets.row_keys.index((acc, prod))


def test_accepting_everything_gives_the_proposal_and_brings_the_last_submission_back(round_one, tmp_path):
    ws, reps = round_one
    for rep in reps:
        path, proposal, before = _issue(ws, rep, tmp_path / rep)
        answered = respond_to_proposal(path, tmp_path / rep / "back.xlsx", 1, counter_share=0.0)
        sub, problems = _read(ws, tmp_path / rep / "back.xlsx")
        assert sub is not None, [str(p) for p in problems]
        assert [p for p in problems if p.code.startswith("counter")] == []
        got = sub.targets.set_index(["account_id", "product_id", "quarter"])
        assert set(got.response) == {"accept"}
        for r in proposal.itertuples(index=False):
            line = got.loc[(r.account_id, r.product_id, r.quarter)]
            assert (line.volume, line.price) == (r.volume, r.price)
        assert answered.counters == {} and len(answered.accepted) == len(proposal) // 4
        # visits, trainings, service commitments, support requests and comments come back exactly
        for key in ("visits", "trainings", "services", "requests"):
            a, b = getattr(before, key).drop(columns=["src"]), getattr(sub, key).drop(columns=["src"])
            assert a.to_dict("records") == b.to_dict("records"), key
        assert len(before.trainings) and len(before.requests), "round 1 had nothing to carry over"
        comments = lambda s: {(r.account_id, r.product_id, r.quarter): r.comment  # noqa: E731
                              for r in s.targets.itertuples() if isinstance(r.comment, str)}
        assert comments(before) and comments(before) == comments(sub)


def test_counters_are_stored_with_their_figure_and_reason(round_one, tmp_path):
    ws, reps = round_one
    path, proposal, _ = _issue(ws, reps[0], tmp_path)
    answered = respond_to_proposal(path, tmp_path / "back.xlsx", np.random.default_rng(2), counter_share=0.3)
    assert len(answered.counters) >= 3
    sub, problems = _read(ws, tmp_path / "back.xlsx")
    assert sub is not None, [str(p) for p in problems]
    assert [p for p in problems if p.code.startswith("counter")] == []
    got = sub.targets.set_index(["account_id", "product_id", "quarter"])
    for (acc, prod, q), (vol, price) in answered.lines.items():
        line = got.loc[(acc, prod, q)]
        assert (line.volume, line.price) == (vol, price)
        if (acc, prod) in answered.counters:
            assert line.response == "counter" and line.comment == answered.counters[(acc, prod)]
            assert (vol, price) != _line(proposal, acc, prod, q) or vol == 0
        else:
            assert line.response == "accept" and (vol, price) == _line(proposal, acc, prod, q)
    countered = {(a, p) for a, p, _ in got[got.response == "counter"].index}
    assert countered == set(answered.counters)


def _accepted_row(ws, path, tmp_path, with_comment=False):
    """An answered copy (all accepted) and a row with a proposed volume (with or without a comment)."""
    back = tmp_path / "back.xlsx"
    respond_to_proposal(path, back, 1, counter_share=0.0)
    wb = openpyxl.load_workbook(back)
    lay = layout_of(wb)
    tg, sheet = lay.targets, wb[lay.targets.sheet]
    for i in range(tg.n_rows):
        r = tg.first_row + i
        has_comment = bool(sheet[tg.ref(r, "comment")].value)
        if (sheet[tg.ref(r, "volume_q2")].value or 0) > 0 and has_comment == with_comment:
            return back, lay, i
    raise AssertionError("no suitable row")


def test_a_changed_figure_without_counter_is_an_error_that_says_what_to_do(round_one, tmp_path):
    ws, reps = round_one
    path, proposal, _ = _issue(ws, reps[0], tmp_path)
    back, lay, i = _accepted_row(ws, path, tmp_path)
    acc, prod = lay.targets.row_keys[i]
    proposed, _ = _line(proposal, acc, prod, 2)
    ref = make_mistake(back, "targets", "volume_q2", proposed + 7, row_index=i)
    sub, problems = _read(ws, back)
    assert sub is None
    [p] = [p for p in problems if p.is_error]
    assert (p.code, p.sheet, p.cell) == ("changed-without-counter", lay.targets.sheet, ref)
    counter = t("response.counter", lay.language)
    assert counter in p.message and counter in p.fix
    assert f"{proposed:,.10g}" in p.fix  # the value to restore
    assert lay.targets.ref(lay.targets.first_row + i, "response") in p.fix


def test_a_counter_without_a_reason_is_an_error_at_the_comment(round_one, tmp_path):
    ws, reps = round_one
    path, proposal, _ = _issue(ws, reps[0], tmp_path)
    back, lay, i = _accepted_row(ws, path, tmp_path, with_comment=False)
    acc, prod = lay.targets.row_keys[i]
    make_mistake(back, "targets", "volume_q2", _line(proposal, acc, prod, 2)[0] + 3, row_index=i)
    make_mistake(back, "targets", "response", t("response.counter", lay.language), row_index=i)
    sub, problems = _read(ws, back)
    assert sub is None
    [p] = [p for p in problems if p.is_error]
    assert p.code == "counter-without-reason"
    assert p.cell == lay.targets.ref(lay.targets.first_row + i, "comment")


def test_a_counter_with_the_proposals_figures_is_kept_with_a_warning(round_one, tmp_path):
    ws, reps = round_one
    path, _, _ = _issue(ws, reps[0], tmp_path)
    back, lay, i = _accepted_row(ws, path, tmp_path)
    make_mistake(back, "targets", "response", "counter", row_index=i)  # the id is accepted too
    make_mistake(back, "targets", "comment", "Let us talk about it", row_index=i)
    sub, problems = _read(ws, back)
    assert sub is not None, [str(p) for p in problems]
    [w] = [p for p in problems if p.code == "counter-unchanged"]
    assert not w.is_error and w.cell == lay.targets.ref(lay.targets.first_row + i, "response")
    acc, prod = lay.targets.row_keys[i]
    line = sub.targets[(sub.targets.account_id == acc) & (sub.targets.product_id == prod)]
    assert set(line.response) == {"counter"} and set(line.comment) == {"Let us talk about it"}


@pytest.mark.parametrize("key", ["prop_volume_q3", "prop_price_q1", "own_revenue", "proposal_revenue"])
def test_an_edited_proposal_cell_is_caught(round_one, tmp_path, key):
    ws, reps = round_one
    path, _, _ = _issue(ws, reps[0], tmp_path)
    back, lay, i = _accepted_row(ws, path, tmp_path)
    with pytest.raises(LockedCellError):
        make_mistake(back, "targets", key, 1.0, row_index=i)
    wb = openpyxl.load_workbook(back)
    sheet = wb[lay.targets.sheet]
    sheet.protection.sheet = False  # a user who removed the protection
    cell = sheet[lay.targets.ref(lay.targets.first_row + i, key)]
    cell.value = (cell.value or 0) + 1
    wb.save(back)
    sub, problems = _read(ws, back)
    assert sub is None
    assert [p.code for p in problems if p.is_error] == ["proposal-changed"]


def test_a_proposal_workbook_cannot_pass_for_a_round_one_workbook(round_one, tmp_path):
    ws, reps = round_one
    path, _, _ = _issue(ws, reps[0], tmp_path)
    wb = openpyxl.load_workbook(path)
    ident = wb[IDENTITY_SHEET]
    for row in ident.iter_rows(max_col=2):
        if row[0].value == "variant":
            row[1].value = "bottom-up"
    wb.save(tmp_path / "relabelled.xlsx")
    sub, problems = _read(ws, tmp_path / "relabelled.xlsx")
    assert sub is None and [p.code for p in problems] == ["layout-changed"]
    r1 = sorted(ws.round_outbox(1).glob(f"{reps[0]}_*.xlsx"))[0]
    r1_hash = {r[0].value: r[1].value for r in openpyxl.load_workbook(r1)[IDENTITY_SHEET].iter_rows(max_col=2)}
    assert r1_hash["layout_hash"] != {r[0].value: r[1].value for r in ident.iter_rows(max_col=2)}["layout_hash"]


def test_only_inputs_are_unlocked_and_the_response_has_a_dropdown(round_one, tmp_path):
    ws, reps = round_one
    path, _, _ = _issue(ws, reps[0], tmp_path)
    wb = openpyxl.load_workbook(path)
    lay = layout_of(wb)
    assert lay.proposal
    inputs = {(tb.sheet, tb.ref(r, c.key)) for tb in lay.tables for c in tb.input_columns()
              for r in range(tb.first_row, tb.last_row + 1)}
    unlocked = {(s.title, c.coordinate) for s in wb.worksheets if s.title != lay.sheet_names["cover"]
                for row in s.iter_rows() for c in row if c.protection.locked is False and
                (c.value is not None or c.has_style)}
    assert unlocked == inputs
    assert all(s.protection.sheet for s in wb.worksheets)
    sheet = wb[lay.targets.sheet]
    resp = lay.targets.letter("response")
    [dv] = [dv for dv in sheet.data_validations.dataValidation if str(dv.sqref).startswith(resp)]
    assert dv.type == "list" and dv.showErrorMessage and dv.formula1 == "kp_responses"
    names = wb.defined_names["kp_responses"]
    lists = wb[lay.sheet_names["lists"]]
    col = names.attr_text.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
    assert [lists[f"{col}{r}"].value for r in (2, 3)] == [t("response.accept", lay.language),
                                                          t("response.counter", lay.language)]


def test_the_same_proposal_gives_the_same_bytes(round_one, tmp_path):
    ws, reps = round_one
    a, _, _ = _issue(ws, reps[1], tmp_path / "a", workbook_id="fixed")
    b, _, _ = _issue(ws, reps[1], tmp_path / "b", workbook_id="fixed")
    assert a.read_bytes() == b.read_bytes()


def test_collect_stores_the_responses_of_round_two(round_one, tmp_path):
    ws, reps = round_one
    cfg = ws.config
    ws.store.open_round(cfg.plan_year, 2, "top-down")
    rep = reps[1]
    path, _, _ = _issue(ws, rep, tmp_path)
    content_id = {r[0].value: r[1].value for r in openpyxl.load_workbook(path)[IDENTITY_SHEET].iter_rows(max_col=2)}
    sub0, _ = _read(ws, path)
    ws.store.record_issued(sub0.identity, path.name)
    assert content_id["workbook_id"] == sub0.identity.workbook_id
    inbox = tmp_path / "inbox"
    answered = respond_to_proposal(path, inbox / path.name, 4, counter_share=0.25)
    res = collect_targets(ws, [inbox])
    assert [f.outcome for f in res.files] == ["stored"], [str(p) for f in res.files for p in f.errors]
    stored = ws.store.current_submission(rep, cfg.plan_year, 2)
    countered = {(r.account_id, r.product_id) for r in stored.targets.itertuples() if r.response == "counter"}
    assert countered == set(answered.counters)
    assert set(stored.targets.response) <= {"accept", "counter"}
    assert not math.isnan(stored.targets.volume.sum())


def test_the_simulated_salesperson_always_returns_a_collectable_answer(round_one, tmp_path):
    """Whatever the dice say, every counter it makes changes a figure and gives a reason."""
    ws, reps = round_one
    path, _, _ = _issue(ws, reps[0], tmp_path)
    for seed in range(6):
        back = tmp_path / f"back{seed}.xlsx"
        answered = respond_to_proposal(path, back, seed, counter_share=0.5)
        sub, problems = _read(ws, back)
        assert sub is not None, [str(p) for p in problems]
        assert [p.code for p in problems if p.code.startswith(("counter", "changed"))] == []
        got = {(r.account_id, r.product_id) for r in sub.targets.itertuples() if r.response == "counter"}
        assert got == set(answered.counters) and got


def test_the_loop_round_one_spread_round_two_with_counters(cache_root, tmp_path):
    """Round 1 → consolidate → spread +8 % → issue round 2 → answer (some counters) → collect round 2."""
    from kamplan.engine.topdown import TopDownSpec
    from kamplan.stages import plan as c
    from kamplan.stages.targets import issue_targets
    ws = demo_workspace(cache_root, "en", tmp_path / "ws")
    with ws:
        cfg = ws.config
        rng = np.random.default_rng(5)
        for p in sorted(ws.round_outbox(1).glob("*.xlsx")):
            fill_target_workbook(p, ws.inbox / "r1" / p.name, rng)
        collect_targets(ws, [ws.inbox / "r1"])
        c.consolidate(ws, write_workbook=False)
        _, base = c.enriched_lines(ws, 1)
        out = c.spread(ws, TopDownSpec("revenue", "company", {"*": round(float(base["revenue"].sum()) * 1.08, 2)}))
        issued = issue_targets(ws, round_no=2)
        assert len(issued.written) == 8
        answers = {}
        for i, path in enumerate(issued.written):
            assert layout_of(openpyxl.load_workbook(path)).proposal
            answers[path.name.split("_")[0]] = respond_to_proposal(path, ws.inbox / "r2" / path.name, i,
                                                                   counter_share=0.1)
        res = collect_targets(ws, [ws.inbox / "r2"])
        assert [f.outcome for f in res.files] == ["stored"] * 8, [str(p) for f in res.files for p in f.errors]
        _, version = ws.store.plan_version(out.version_id)
        key = ["account_id", "product_id", "quarter"]
        proposed = version.groupby(key)[["volume", "revenue"]].sum()
        for rep, answered in answers.items():
            sub = ws.store.current_submission(rep, cfg.plan_year, 2)
            countered = {(r.account_id, r.product_id) for r in sub.targets.itertuples() if r.response == "counter"}
            assert countered == set(answered.counters)
            for r in sub.targets.itertuples():
                if r.response == "accept" and (r.account_id, r.product_id, r.quarter) in proposed.index:
                    want = proposed.loc[(r.account_id, r.product_id, r.quarter)]
                    assert r.volume == pytest.approx(want.volume, abs=1e-9)
                    assert r.revenue == pytest.approx(want.revenue, abs=0.005)
        assert sum(len(a.counters) for a in answers.values()) > 0
