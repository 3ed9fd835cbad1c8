"""Evaluation by credit: goals and results per salesperson from account teams and the ERP's salesperson
column, reconciled to the cent against a Decimal computation over the same lines, written here."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal as D

import pandas as pd
import pytest
import yaml

from kamplan.engine.credit import largest_remainder_cents
from kamplan.model import (
    REQUEST_COLUMNS, SERVICE_COLUMNS, TARGET_COLUMNS, TRAINING_COLUMNS, VISIT_COLUMNS, Submission, WorkbookIdentity,
)
from kamplan.stages.actuals import import_actuals
from kamplan.stages.evaluation import evaluation_data
from kamplan.workspace import Workspace

from support.teams import YEAR, team_config_dict

# A1: owner r1, r2 30%, r4 overlay; A2: owner r2, r3 40% of P2; A3: owner r3.  Amounts with fractions of a
# cent: each line rounded to the cent before adding up would lose them.
ERP_LINES = [  # date, account, product, quantity, amount, salesperson
    ("2026-01-05", "A1", "P1", "10", "1000.004", "S-02"),
    ("2026-01-06", "A1", "P1", "3", "333.334", ""),
    ("2026-02-10", "A2", "P2", "5", "500.004", "r3"),
    ("2026-02-11", "A2", "P2", "1", "100.004", ""),
    ("2026-02-12", "A2", "P1", "2", "250.004", ""),
    ("2026-03-01", "A3", "P1", "2", "200.004", "Rep 3"),
    ("2026-03-02", "A3", "P2", "7", "700.004", ""),
]
PLAN = [  # owner, account, product, quarter, volume, revenue
    ("r1", "A1", "P1", 1, 12.0, 1200.006), ("r2", "A2", "P2", 1, 6.0, 600.006),
    ("r2", "A2", "P1", 1, 2.0, 240.006), ("r3", "A3", "P1", 1, 2.0, 210.006), ("r3", "A3", "P2", 1, 7.0, 690.006),
]
# the credit shares, by hand: (account, product) -> person -> share (the overlay r4 outside the 100%)
SHARES = {("A1", "P1"): {"r1": D("0.7"), "r2": D("0.3")}, ("A2", "P2"): {"r2": D("0.6"), "r3": D("0.4")},
          ("A2", "P1"): {"r2": D(1)}, ("A3", "P1"): {"r3": D(1)}, ("A3", "P2"): {"r3": D(1)}}
ERP_PEOPLE = {"S-02": "r2", "r3": "r3", "Rep 3": "r3"}


def submission(rep: str, rows: list[tuple]) -> Submission:
    t = pd.DataFrame([{"account_id": a, "product_id": p, "quarter": q, "volume": v, "price": r / v, "revenue": r,
                       "comment": None, "src": None, "response": None} for _, a, p, q, v, r in rows],
                     columns=TARGET_COLUMNS)
    ident = WorkbookIdentity("kamplan.targets", 1, YEAR, 1, rep, dt.datetime(YEAR - 1, 12, 1), f"wb-{rep}", "test")
    empty = {c: pd.DataFrame(columns=cols) for c, cols in (("v", VISIT_COLUMNS), ("t", TRAINING_COLUMNS),
                                                          ("s", SERVICE_COLUMNS), ("r", REQUEST_COLUMNS))}
    return Submission(ident, f"{rep}.xlsx", f"hash-{rep}", t, empty["v"], empty["t"], empty["s"], empty["r"])


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    root = tmp_path_factory.mktemp("credit")
    data = team_config_dict()
    data["actuals"] = {"aliases": {"salespeople": {"S-02": "r2"}}}
    erp = root / "erp.csv"
    erp.write_text("date,customer,product,quantity,amount,salesperson\n"
                   + "".join(",".join(line) + "\n" for line in ERP_LINES), encoding="utf-8")
    ws = Workspace.init(root / "ws", yaml.safe_dump(data, allow_unicode=True))
    ws.store.open_round(YEAR, 1, "bottom-up")
    for rep in ("r1", "r2", "r3"):
        ws.store.record_submission(submission(rep, [r for r in PLAN if r[0] == rep]), dt.datetime(YEAR - 1, 12, 20))
    res = import_actuals(ws, [erp], now=dt.datetime(YEAR, 4, 1))
    assert res.stored and not res.errors
    data = evaluation_data(ws, 1)
    yield ws, data
    ws.close()


def dec(x) -> D:
    return D(repr(float(x)))


def cents(x: D) -> int:
    return int((x * 100).quantize(D(1), ROUND_HALF_UP))


def expected_per_person() -> tuple[dict[str, D], dict[str, D]]:
    """Goal and result per person (overlay included), by hand in Decimal."""
    goal: dict[str, D] = {}
    result: dict[str, D] = {}
    for owner, a, p, q, v, r in PLAN:
        for person, share in SHARES[(a, p)].items():
            goal[person] = goal.get(person, D(0)) + D(str(r)) * share
        if a == "A1":
            goal["r4"] = goal.get("r4", D(0)) + D(str(r))
    for _, a, p, _, amount, sp in ERP_LINES:
        people = {ERP_PEOPLE[sp]: D(1)} if sp else SHARES[(a, p)]
        for person, share in people.items():
            result[person] = result.get(person, D(0)) + D(amount) * share
        if a == "A1":
            result["r4"] = result.get("r4", D(0)) + D(amount)
    return goal, result


def test_company_totals_equal_the_import_and_the_lines_to_the_cent(evaluated):
    ws, data = evaluated
    company = data.company.iloc[0]
    lines_total = sum(D(line[4]) for line in ERP_LINES)  # 3083.358
    assert cents(lines_total) == 308336
    # rounded per account x product x quarter first it would be 1333.34 + 600.01 + 250.00 + 200.00 + 700.00
    assert round(company["ytd_actual_revenue"] * 100) == cents(lines_total) != 308335
    stored = ws.store.actuals_imports().iloc[-1]
    assert round(stored["revenue_stored"] * 100) == round(company["ytd_actual_revenue"] * 100)
    plan_total = sum(D(str(r[5])) for r in PLAN)
    assert round(company["ytd_target_revenue"] * 100) == cents(plan_total)
    assert round(company["ytd_revenue_var"] * 100) == cents(lines_total) - cents(plan_total)
    parts = [round(company[f"ytd_{k}_effect"] * 100) for k in ("price", "volume", "mix")]
    assert sum(parts) == round(company["ytd_revenue_var"] * 100)


def test_each_persons_goal_and_result_follow_the_credit(evaluated):
    _, data = evaluated
    goal, result = expected_per_person()
    per_person = data.lines.groupby("rep_id")[["ytd_target_revenue", "ytd_actual_revenue"]].sum()
    assert set(per_person.index) == {"r1", "r2", "r3", "r4"}
    for person in per_person.index:
        assert cents(dec((per_person.at[person, "ytd_actual_revenue"]))) == cents(result[person]), person
        assert cents(dec((per_person.at[person, "ytd_target_revenue"]))) == cents(goal[person]), person
    numbers = data.numbers[data.numbers["goal"] == "revenue"].set_index("rep_id")
    assert cents(dec((numbers.at["r2", "result"]))) == cents(result["r2"])
    assert cents(dec((numbers.at["r4", "target"]))) == cents(goal["r4"])  # the overlay's own goal


def test_salespeople_without_full_credit_roles_add_up_to_the_company_to_the_cent(evaluated):
    _, data = evaluated
    counted = data.lines[~data.lines["full_credit"]]
    per_person = counted.groupby("rep_id")["ytd_actual_revenue"].sum()
    company = sum(D(line[4]) for line in ERP_LINES)
    shown = largest_remainder_cents(per_person.to_numpy(), total=float(data.company.iloc[0]["ytd_actual_revenue"]))
    assert int(shown.sum()) == cents(company)
    _, result = expected_per_person()
    assert sum(result[p] for p in ("r1", "r2", "r3")) == company  # the hand computation closes too
    overlay = data.lines[data.lines["full_credit"]]
    assert set(overlay["rep_id"]) == {"r4"}
    assert cents(dec((overlay["ytd_actual_revenue"].sum()))) == cents(D("1000.004") + D("333.334"))


def test_revenue_by_quarter_is_by_credit(evaluated):
    _, data = evaluated
    _, result = expected_per_person()
    q1 = data.quarters[data.quarters["quarter"] == 1].set_index("rep_id")
    shown = {p: round(q1.at[p, "actual_revenue"] * 100) for p in ("r1", "r2", "r3", "r4")}
    for person, got in shown.items():  # each within a cent of the exact credit ...
        assert abs(got - result[person] * 100) < 1, person
    counted = ("r1", "r2", "r3")  # ... and the salespeople's parts (r4 is the overlay) add up to the company's
    assert sum(shown[p] for p in counted) == cents(sum(result[p] for p in counted))


def test_a_team_members_account_row_shows_their_part_of_the_annual_target_and_forecast(evaluated):
    _, data = evaluated
    acc = data.accounts.set_index(["rep_id", "account_id"])
    owner, member, overlay = acc.loc[("r1", "A1")], acc.loc[("r2", "A1")], acc.loc[("r4", "A1")]
    assert cents(dec(member["annual_target"])) == cents(D("1200.006") * D("0.3"))
    assert cents(dec(owner["annual_target"])) == cents(D("1200.006") * D("0.7"))
    assert cents(dec(overlay["annual_target"])) == cents(D("1200.006"))
    assert member["forecast"] == pytest.approx(overlay["forecast"] * 0.3)
    assert owner["forecast"] + member["forecast"] == pytest.approx(overlay["forecast"])
