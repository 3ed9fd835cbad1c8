"""The store: what is written comes back exactly, nothing is half written, nothing is lost."""
from __future__ import annotations

import datetime as dt
import sqlite3
import time

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
import sqlalchemy as sa

from kamplan.config import config_from_dict
from kamplan.model import (
    HISTORY_COLUMNS, REQUEST_COLUMNS, SERVICE_COLUMNS, TARGET_COLUMNS, TRAINING_COLUMNS, VISIT_COLUMNS,
    Submission, WorkbookIdentity,
)
from kamplan.problems import Severity, error, warning
from kamplan.store import Store, StoreError, SubmissionRecord
from kamplan.store import submissions as store_submissions
from kamplan.store import schema as store_schema

YEAR = 2025
T0 = dt.datetime(2024, 12, 10, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


# -- builders -----------------------------------------------------------------------------------------
def frame(columns: list[str], rows: list[tuple], **dtypes: str) -> pd.DataFrame:
    """A frame in the store's canonical dtypes: text and dates as objects, numbers float64."""
    data = {c: pd.Series([r[i] for r in rows], dtype=dtypes.get(c, "object")) for i, c in enumerate(columns)}
    return pd.DataFrame(data)


def make_submission(rep: str = "r1", round_no: int = 1, content_hash: str = "h" * 64, file_name: str = "r1.xlsx",
                    volume_shift: float = 0.0, workbook_id: str = "wb-r1") -> Submission:
    targets = []
    line = 14
    for account in ("A1", "A2"):
        for product in ("P1", "P2"):
            for q in (1, 2, 3, 4):
                comment = "new line" if (account, product, q) == ("A2", "P2", 4) else None
                # values that are not exact in decimal, to prove floats round-trip bit for bit
                targets.append((account, product, q, 10.1 * q + 0.3 + volume_shift, 1234.567 + 0.1 * q,
                                (10.1 * q + 0.3 + volume_shift) * (1234.567 + 0.1 * q), comment,
                                f"Targets!H{line}", None))
                line += 1
    targets.append(("A1", "P1", 1, float("nan"), float("nan"), float("nan"), "left empty", None, "counter"))
    num = {"volume": "float64", "price": "float64", "revenue": "float64", "quarter": "int64"}
    visits = [("A1", q, 3.0, 0.5 * (q % 2), f"Visits!C{q + 4}") for q in (1, 2, 3, 4)] + \
             [("A2", 1, 2.0, float("nan"), None)]
    trainings = [("A1", 2, "Product safety 产品安全", "Maintenance crew", "Trainings!B5"),
                 ("A2", 3, "New grade", None, "Trainings!B6")]
    services = [("A1", "Technical hotline 24/7", "response < 4 h", dt.date(2025, 3, 31), "Services!B5"),
                ("A2", "Quarterly review", None, None, None)]
    requests = [("A1", "executive", "defend against competitor", "visit CEO", 2.0, "visits",
                 dt.date(2025, 6, 30), "high", False, "Requests!B5"),
                ("A2", "technical", "trial of new grade", "run line trial", 3.5, "days",
                 None, None, True, "Requests!B6")]
    identity = WorkbookIdentity(kind="kamplan.targets", schema_version=1, year=YEAR, round=round_no, rep_id=rep,
                                generated_at=dt.datetime(2024, 12, 1, 8, 0, 0, 123456), workbook_id=workbook_id,
                                layout_hash="layout-1")
    return Submission(
        identity=identity, file_name=file_name, content_hash=content_hash,
        targets=frame(TARGET_COLUMNS, targets, **num),
        visits=frame(VISIT_COLUMNS, visits, quarter="int64", rep_visits="float64", exec_visits="float64"),
        trainings=frame(TRAINING_COLUMNS, trainings, quarter="int64"),
        services=frame(SERVICE_COLUMNS, services),
        requests=frame(REQUEST_COLUMNS, requests, amount="float64", divisible="bool"),
        warnings=[warning("price-below-list", "price 700 is 43% under list 1,234", "check the price",
                          file=file_name, sheet="Targets", cell="I20"),
                  warning("growth", "A2 grows 80% over last year", "confirm or lower the volume")],
    )


def config(accounts: list[dict] | None = None, rep_name: str = "Li Lei"):
    names = lambda en: {"en": en, "zh-CN": en + "中"}  # noqa: E731
    if accounts is None:
        accounts = [{"id": "A1", "name": names("Acme"), "region": "east", "rep": "r1", "class": "key"},
                    {"id": "A2", "name": names("Bolt"), "region": "east", "rep": "r1", "class": "develop"},
                    {"id": "A3", "name": names("Crane"), "region": "west", "rep": "r2", "class": "watch"}]
    rule = {"name": names("rule"), "visits_per_quarter": 3}
    return config_from_dict({
        "company": {"name": names("Co")}, "plan_year": YEAR,
        "products": [{"id": "P1", "name": names("PE"), "list_price": 1234.5, "standard_margin": 0.2},
                     {"id": "P2", "name": names("PP"), "list_price": 999.0, "standard_margin": 0.15}],
        "regions": [{"id": "east", "name": names("East")}, {"id": "west", "name": names("West")}],
        "staff": [{"id": "r1", "name": names(rep_name), "region": "east", "email": "r1@example.com"},
                  {"id": "r2", "name": names("Han Mei"), "region": "west", "email": "r2@example.com"}],
        "accounts": accounts,
        "classes": {c: rule for c in ("key", "develop", "watch", "drop")},
    })


def history_frame(rows: list[tuple]) -> pd.DataFrame:
    return frame(HISTORY_COLUMNS, rows, year="int64", quarter="int64", volume="float64", price="float64",
                 revenue="float64", gross_margin="float64", cost_to_serve="float64", visits="float64")


def row_counts(path) -> dict[str, int]:
    with sqlite3.connect(path) as con:
        names = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
        return {n: con.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names}


def assert_same_submission(got: Submission, want: Submission) -> None:
    assert got.identity == want.identity
    assert (got.file_name, got.content_hash) == (want.file_name, want.content_hash)
    for name in ("targets", "visits", "trainings", "services", "requests"):
        pdt.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True, obj=name)
    assert got.warnings == want.warnings


@pytest.fixture
def path(tmp_path):
    return tmp_path / "plan.db"


@pytest.fixture
def store(path):
    with Store.open(path) as st:
        yield st


# -- submissions --------------------------------------------------------------------------------------
def test_submission_round_trip_every_frame_field_by_field(store):
    sub = make_submission()
    rec = store.record_submission(sub, collected_at=T0)
    assert isinstance(rec, SubmissionRecord)
    assert rec.outcome == "stored" and rec.superseded_id is None and rec.collected_at == T0

    got = store.current_submission("r1", YEAR, 1)
    assert_same_submission(got, sub)
    # the details the engine relies on
    assert got.targets["src"].iloc[0] == "Targets!H14" and got.targets["src"].iloc[-1] is None
    assert got.targets["comment"].iloc[0] is None
    assert got.services["due"].iloc[0] == dt.date(2025, 3, 31) and type(got.services["due"].iloc[0]) is dt.date
    assert got.requests["divisible"].dtype == bool
    assert got.identity.generated_at.microsecond == 123456
    assert got.warnings[0].severity is Severity.WARNING and got.warnings[0].cell == "I20"
    assert store.submission(rec.id).targets.equals(sub.targets)
    assert store.current_submission("r1", YEAR, 2) is None
    assert store.current_submission("nobody", YEAR, 1) is None


def test_frames_in_pandas_default_dtypes_come_back_canonical(store):
    sub = make_submission()
    loose = Submission(
        identity=sub.identity, file_name=sub.file_name, content_hash=sub.content_hash,
        targets=pd.DataFrame(sub.targets.to_dict("list")).astype({"quarter": "int32"}),  # str dtype, NaN
        visits=pd.DataFrame(sub.visits.to_dict("list")),
        trainings=pd.DataFrame(sub.trainings.to_dict("list")),
        services=sub.services.assign(due=pd.to_datetime(sub.services["due"])),  # Timestamps / NaT
        requests=sub.requests.assign(deadline=pd.to_datetime(sub.requests["deadline"])),
        warnings=sub.warnings)
    assert loose.targets["account_id"].dtype != object  # pandas 3 infers its string dtype
    store.record_submission(loose, collected_at=T0)
    assert_same_submission(store.current_submission("r1", YEAR, 1), sub)


def test_same_file_twice_changes_nothing(store, path):
    first = store.record_submission(make_submission(), collected_at=T0)
    before = row_counts(path)
    again = store.record_submission(make_submission(), collected_at=T0 + dt.timedelta(hours=1))
    assert again.outcome == "unchanged"
    assert (again.id, again.collected_at, again.file_name) == (first.id, T0, "r1.xlsx")
    assert row_counts(path) == before
    assert before["submission_targets"] == 17 and before["problems"] == 2


def test_newer_file_supersedes_and_the_old_one_stays_readable(store):
    old = store.record_submission(make_submission(), collected_at=T0)
    newer_sub = make_submission(content_hash="n" * 64, file_name="r1 (2).xlsx", volume_shift=5.0)
    new = store.record_submission(newer_sub, collected_at=T0 + dt.timedelta(days=1))
    assert new.outcome == "superseded-previous" and new.superseded_id == old.id and new.id != old.id

    assert_same_submission(store.current_submission("r1", YEAR, 1), newer_sub)
    current = store.submissions(YEAR)
    assert current["id"].tolist() == [new.id]
    every = store.submissions(YEAR, round=1, include_superseded=True)
    assert list(every.columns) == ["id", "rep_id", "year", "round", "file_name", "content_hash", "generated_at",
                                   "collected_at", "workbook_id", "status", "superseded_by", "n_warnings"]
    by_id = every.set_index("id")
    assert by_id.loc[old.id, "status"] == "superseded" and by_id.loc[old.id, "superseded_by"] == new.id
    assert by_id.loc[new.id, "status"] == "current" and pd.isna(by_id.loc[new.id, "superseded_by"])
    assert by_id.loc[old.id, "file_name"] == "r1.xlsx" and by_id.loc[old.id, "n_warnings"] == 2
    assert by_id.loc[old.id, "collected_at"] == T0
    assert_same_submission(store.submission(old.id), make_submission())
    # collecting the old file again (still in the inbox) does not bring it back
    assert store.record_submission(make_submission(), collected_at=T0 + dt.timedelta(days=2)).outcome == "unchanged"
    assert store.current_submission("r1", YEAR, 1).file_name == "r1 (2).xlsx"
    # the consolidation frame holds the current lines only
    targets = store.targets_frame(YEAR, 1)
    assert list(targets.columns) == ["rep_id"] + TARGET_COLUMNS
    pdt.assert_frame_equal(targets.drop(columns="rep_id"), newer_sub.targets)


def test_targets_frame_spans_reps_and_rounds_stay_apart(store):
    store.record_submission(make_submission("r1"), collected_at=T0)
    store.record_submission(make_submission("r2", content_hash="x" * 64, file_name="r2.xlsx"), collected_at=T0)
    store.record_submission(make_submission("r1", round_no=2, content_hash="y" * 64), collected_at=T0)
    targets = store.targets_frame(YEAR, 1)
    assert targets["rep_id"].value_counts().to_dict() == {"r1": 17, "r2": 17}
    assert len(store.targets_frame(YEAR, 2)) == 17 and len(store.targets_frame(YEAR + 1, 1)) == 0
    assert len(store.lines_frame(YEAR, 1, "requests")) == 4
    with pytest.raises(StoreError, match="choose one of .*targets.*visits"):
        store.lines_frame(YEAR, 1, "lines")


def test_status_submitted_rejected_missing(store):
    store.record_submission(make_submission("r1"), collected_at=T0)
    store.record_submission(make_submission("r2", content_hash="x" * 64, file_name="r2.xlsx"), collected_at=T0)
    problems = [error("not-a-number", "'abc' is not a number", "type a number", file="r2 v2.xlsx",
                      sheet="Targets", cell="H14"),
                warning("growth", "grows 90%", "confirm")]
    assert store.record_rejection("r2 v2.xlsx", "bad" * 20, YEAR, 1, "r2", problems, T0 + dt.timedelta(hours=2))
    assert store.record_rejection("r3.xlsx", "r3" * 30, YEAR, 1, "r3", [error("no-id", "no identity", "re-issue")],
                                  T0)

    status = store.status(YEAR, 1, ["r1", "r2", "r3", "r4"]).set_index("rep_id")
    assert status["state"].to_dict() == {"r1": "submitted", "r2": "rejected", "r3": "rejected", "r4": "missing"}
    assert status.loc["r1", "file_name"] == "r1.xlsx" and status.loc["r1", "at"] == T0
    assert status.loc["r2", "file_name"] == "r2 v2.xlsx"
    assert status.loc["r2", "reasons"].startswith("Targets!H14: 'abc' is not a number")
    assert status.loc["r2", "last_good_file"] == "r2.xlsx"  # the earlier good file is still in force
    assert store.current_submission("r2", YEAR, 1).file_name == "r2.xlsx"
    assert status.loc["r3", "last_good_file"] is None and status.loc["r3", "reasons"] == "no identity"
    assert status.loc["r4", "file_name"] is None
    # the rejected attempts are kept, with their problems
    rejected = store.rejections(YEAR, 1)
    assert rejected["file_name"].tolist() == ["r2 v2.xlsx", "r3.xlsx"]
    assert rejected["problems"].iloc[0] == problems

    # a fixed file afterwards makes r2 submitted again
    store.record_submission(make_submission("r2", content_hash="z" * 64, file_name="r2 v3.xlsx"),
                            collected_at=T0 + dt.timedelta(hours=3))
    assert store.status(YEAR, 1, ["r2"])["state"].tolist() == ["submitted"]


def test_rejecting_the_same_file_again_changes_nothing(store, path):
    problems = [error("not-a-number", "'abc' is not a number", "type a number")]
    assert store.record_rejection("r2.xlsx", "bad" * 20, YEAR, 1, "r2", problems, T0) is True
    before = row_counts(path)
    assert store.record_rejection("r2.xlsx", "bad" * 20, YEAR, 1, "r2", problems, T0) is False
    assert store.record_rejection("junk.xlsx", None, None, None, None, problems, T0) is True
    assert store.record_rejection("junk.xlsx", None, None, None, None, problems, T0) is False
    assert row_counts(path)["attempts"] == before["attempts"] + 1
    # a file stored once, then refused on a later run (e.g. round closed), keeps its status
    store.record_submission(make_submission("r1"), collected_at=T0)
    assert store.record_rejection("r1.xlsx", "h" * 64, YEAR, 1, "r1", problems, T0) is False
    assert store.status(YEAR, 1, ["r1"])["state"].tolist() == ["submitted"]


def test_failure_in_the_middle_of_record_submission_leaves_nothing(store, path, monkeypatch):
    store.record_submission(make_submission(), collected_at=T0)
    before = row_counts(path)
    real_insert = store_submissions.insert_tuples
    calls = []

    def failing_insert(conn, table, names, tuples, extra):
        calls.append(table.name)
        if table.name == "submission_requests":
            raise RuntimeError("disk full (simulated)")
        real_insert(conn, table, names, tuples, extra)

    monkeypatch.setattr(store_submissions, "insert_tuples", failing_insert)
    newer = make_submission(content_hash="n" * 64, file_name="r1 (2).xlsx")
    with pytest.raises(RuntimeError, match="simulated"):
        store.record_submission(newer, collected_at=T0 + dt.timedelta(days=1))
    assert "submission_targets" in calls  # it really failed half way
    assert row_counts(path) == before
    assert store.current_submission("r1", YEAR, 1).file_name == "r1.xlsx"  # not superseded either


def test_bad_values_are_refused_naming_the_cell(store, path):
    sub = make_submission()
    sub.targets = sub.targets.astype({"volume": object})
    sub.targets.loc[3, "volume"] = "12,5 t"
    with pytest.raises(StoreError, match=r"targets, line 4 \(cell Targets!H17\): volume = '12,5 t' is not a number"):
        store.record_submission(sub, collected_at=T0)
    sub = make_submission()
    sub.visits = sub.visits.drop(columns="src")
    with pytest.raises(StoreError, match=r"visits lacks columns \['src'\]"):
        store.record_submission(sub, collected_at=T0)
    assert row_counts(path)["attempts"] == 0


def test_numpy_integers_are_accepted_where_ints_are_expected(store):
    year, one = np.int64(YEAR), np.int64(1)
    sub = make_submission()
    sub.identity = WorkbookIdentity(**{**sub.identity.__dict__, "year": year, "round": one})
    store.record_issued(sub.identity, "r1.xlsx")
    store.open_round(year, one, "bottom-up", None)
    assert store.record_submission(sub, collected_at=T0).outcome == "stored"
    store.record_rejection("x.xlsx", "x" * 64, year, one, "r2", [], T0)
    assert store.status(year, one, pd.Series(["r1", "r2"]))["state"].tolist() == ["submitted", "rejected"]
    assert len(store.targets_frame(year, one)) == 17 and store.current_round(year) == 1
    assert store.current_submission("r1", year, one).identity.year == YEAR


def test_storing_a_thousand_lines_takes_milliseconds(store):
    n = 1000
    sub = make_submission()
    sub.targets = frame(TARGET_COLUMNS, [(f"A{i // 8}", f"P{i % 2}", i % 4 + 1, float(i), 1000.0 + i, 1000.0 * i,
                                          None, f"Targets!H{14 + i}", None) for i in range(n)],
                        quarter="int64", volume="float64", price="float64", revenue="float64")
    start = time.perf_counter()
    store.record_submission(sub, collected_at=T0)
    stored = time.perf_counter() - start
    start = time.perf_counter()
    back = store.current_submission("r1", YEAR, 1)
    read = time.perf_counter() - start
    print(f"\n1,000-line submission: store {stored * 1000:.1f} ms, read {read * 1000:.1f} ms")
    pdt.assert_frame_equal(back.targets, sub.targets)
    assert stored < 1.0 and read < 1.0


# -- the file -----------------------------------------------------------------------------------------
def test_reopening_the_file_keeps_everything(path):
    with Store.open(path) as st:
        st.sync_master_data(config())
        st.replace_history(history_frame([(2024, 1, "A1", "P1", 10.0, 1200.0, 12000.0, 0.2, 300.0, 3.0)]), "h.csv")
        st.open_round(YEAR, 1, "bottom-up", dt.date(2024, 12, 20))
        ident = make_submission().identity
        st.record_issued(ident, "r1.xlsx")
        rec = st.record_submission(make_submission(), collected_at=T0)
        st.record_rejection("r2.xlsx", "b" * 64, YEAR, 1, "r2", [error("x", "bad", "fix")], T0)
        st.log_event("collect", {"files": 2, "when": T0})
    with Store.open(path) as st:
        assert_same_submission(st.current_submission("r1", YEAR, 1), make_submission())
        assert st.submissions(YEAR)["id"].tolist() == [rec.id]
        assert st.status(YEAR, 1, ["r2"])["state"].tolist() == ["rejected"]
        assert st.history()["volume"].tolist() == [10.0]
        assert st.current_round(YEAR) == 1
        assert st.issued(ident.workbook_id)["file_name"] == "r1.xlsx"
        assert st.master("accounts")["id"].tolist() == ["A1", "A2", "A3"]
        assert st.events(kind="collect")["detail"].tolist() == [{"files": 2, "when": T0.isoformat()}]
        assert st.schema_version() == store_schema.schema_version() == 1 + len(store_schema.MIGRATIONS)


def test_sqlite_runs_with_foreign_keys_and_wal(store, path):
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with store.writing() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(store_schema.LINE_TABLES["targets"].insert().values(
            submission_id=999, line_no=0, account_id="A1", product_id="P1", quarter=1))


def test_a_newer_schema_version_is_refused_clearly(path):
    Store.open(path).close()
    with sqlite3.connect(path) as con:
        con.execute("update meta set value = '99' where key = 'schema_version'")
    latest = store_schema.schema_version()
    with pytest.raises(StoreError, match=rf"newer kamplan \(schema version 99\).*understands schema version {latest}.*"
                                         r"Upgrade kamplan"):
        Store.open(path)
    with sqlite3.connect(path) as con:  # refused without touching it
        assert con.execute("select value from meta where key = 'schema_version'").fetchone() == ("99",)


def test_an_older_file_runs_the_migrations_in_order(path, monkeypatch):
    monkeypatch.setattr(store_schema, "MIGRATIONS", [])
    Store.open(path).close()  # a version-1 file
    ran = []

    def to_2(conn):
        ran.append(2)
        conn.exec_driver_sql("CREATE TABLE allocations (id INTEGER PRIMARY KEY)")

    def to_3(conn):
        ran.append(3)
        conn.exec_driver_sql("ALTER TABLE allocations ADD COLUMN amount FLOAT")

    monkeypatch.setattr(store_schema, "MIGRATIONS", [to_2, to_3])
    with Store.open(path) as st:
        assert ran == [2, 3] and st.schema_version() == 3
        assert st.events("schema-migrated")["detail"].tolist() == [{"from": 1, "to": 3, "by": "kamplan 0.1.0"}]
    with Store.open(path) as st:  # up to date: nothing runs again
        assert ran == [2, 3]


def test_a_failed_migration_leaves_the_file_as_it_was(path, monkeypatch):
    monkeypatch.setattr(store_schema, "MIGRATIONS", [])
    Store.open(path).close()

    def broken(conn):
        conn.exec_driver_sql("CREATE TABLE allocations (id INTEGER PRIMARY KEY)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(store_schema, "MIGRATIONS", [broken])
    with pytest.raises(RuntimeError, match="migration bug"):
        Store.open(path)
    with sqlite3.connect(path) as con:
        assert con.execute("select value from meta where key = 'schema_version'").fetchone() == ("1",)
        assert "allocations" not in {r[0] for r in con.execute("select name from sqlite_master")}


def test_opening_what_is_not_a_plan_is_refused(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "no-such-folder" / "plan.db")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as con:
        con.execute("create table invoices (id integer)")
    with pytest.raises(StoreError, match="not a kamplan plan"):
        Store.open(other)
    junk = tmp_path / "junk.db"
    junk.write_text("this is a text file, not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        Store.open(junk)


def test_a_folder_or_a_url_opens_too(tmp_path):
    with Store.open(tmp_path) as st:
        st.log_event("hello", {})
    assert (tmp_path / "kamplan.db").exists()
    with Store.open(f"sqlite:///{tmp_path / 'kamplan.db'}") as st:
        assert st.events()["kind"].tolist() == ["hello"]
    st.close()  # closing twice is fine
    with pytest.raises(StoreError, match="closed"):
        st.events()


# -- history, master data, rounds, issued, events -----------------------------------------------------
def test_history_replace_per_period_keeps_other_periods(store):
    first = history_frame([(2023, 4, "A1", "P1", 5.0, 1100.0, 5500.0, 0.1, 50.0, 2.0),
                           (2024, 1, "A1", "P1", 10.0, 1200.0, 12000.0, 0.2, 300.0, 3.0),
                           (2024, 1, "A2", "P2", 7.5, 990.0, 7425.0, float("nan"), float("nan"), 1.0),
                           (2024, 2, "A1", "P1", 11.0, 1210.0, 13310.0, 0.21, 310.0, 3.0)])
    assert store.replace_history(first, "erp-2024q2.csv") == 4
    pdt.assert_frame_equal(store.history(), first)

    fix_q1 = history_frame([(2024, 1, "A1", "P1", 12.0, 1200.0, 14400.0, 0.2, 300.0, 4.0)])
    assert store.replace_history(fix_q1, "erp-2024q1-corrected.csv") == 1
    got = store.history()
    assert list(got.columns) == HISTORY_COLUMNS
    assert list(zip(got["year"], got["quarter"], got["account_id"], got["volume"])) == [
        (2023, 4, "A1", 5.0), (2024, 1, "A1", 12.0), (2024, 2, "A1", 11.0)]
    assert store.history(years=[2023])["volume"].tolist() == [5.0]
    assert got["year"].dtype == "int64" and got["visits"].dtype == "float64"

    imports = store.history_imports()
    assert imports["source"].tolist() == ["erp-2024q2.csv", "erp-2024q1-corrected.csv"]
    assert imports["n_rows"].tolist() == [4, 1]
    assert imports["total_volume"].tolist() == [33.5, 12.0]
    assert imports["periods"].tolist()[1] == [(2024, 1)]

    with pytest.raises(StoreError, match="history from x.csv, line 1: quarter = 5 is not a quarter"):
        store.replace_history(history_frame([(2024, 5, "A1", "P1", 1.0, 1.0, 1.0, 0.0, 0.0, 0.0)]), "x.csv")


def test_sync_master_data_is_idempotent_and_never_drops_an_account(store):
    summary = store.sync_master_data(config())
    assert summary["accounts"]["added"] == 3 and summary["staff"]["added"] == 2
    snapshot = {e: store.master(e, include_inactive=True) for e in ("regions", "staff", "products", "accounts")}
    changes = len(store.master_changes())

    again = store.sync_master_data(config())
    assert all(n == 0 for counts in again.values() for n in counts.values())
    for entity, before in snapshot.items():
        pdt.assert_frame_equal(store.master(entity, include_inactive=True), before)
    assert len(store.master_changes()) == changes

    cfg = config()
    kept = [{"id": a.id, "name": {"en": a.name.en, "zh-CN": a.name.zh}, "region": a.region, "rep": a.rep,
             "class": "key" if a.id == "A2" else a.cls} for a in cfg.accounts if a.id != "A3"]
    summary = store.sync_master_data(config(kept, rep_name="Li Lei Jr"))
    assert summary["accounts"] == {"added": 0, "changed": 1, "reactivated": 0, "inactivated": 1}
    assert summary["staff"]["changed"] == 1
    assert store.master("accounts")["id"].tolist() == ["A1", "A2"]
    every = store.master("accounts", include_inactive=True).set_index("id")
    assert not every.loc["A3", "active"] and every.loc["A3", "name_en"] == "Crane" and every.loc["A3", "rep_id"] == "r2"
    assert every.loc["A2", "cls"] == "key"
    log = store.master_changes("accounts")
    assert log["change"].tolist() == ["added"] * 3 + ["changed", "inactivated"]
    assert log["data"].iloc[3]["cls"] == "key" and log["data"].iloc[3]["id"] == "A2"
    assert log["plan_year"].tolist() == [YEAR] * 5

    summary = store.sync_master_data(config())  # A3 comes back
    assert summary["accounts"]["reactivated"] == 1
    assert store.master("accounts")["id"].tolist() == ["A1", "A2", "A3"]


def test_rounds_open_in_order(store):
    assert store.current_round(YEAR) is None
    store.open_round(YEAR, 1, "bottom-up", dt.date(2024, 12, 20))
    store.open_round(YEAR, 1, "bottom-up", dt.date(2024, 12, 20))  # again: nothing
    with pytest.raises(StoreError, match="open round 2 next"):
        store.open_round(YEAR, 3, "top-down", None)
    store.open_round(YEAR, 2, "top-down", None)
    store.open_round(YEAR, 1, "bottom-up", dt.date(2024, 12, 27))  # deadline moved: logged
    assert store.current_round(YEAR) == 2 and store.current_round(YEAR + 1) is None
    rounds = store.rounds(YEAR)
    assert rounds[["round", "kind"]].values.tolist() == [[1, "bottom-up"], [2, "top-down"]]
    assert rounds["deadline"].tolist() == [dt.date(2024, 12, 27), None]
    assert store.events("round-changed")["detail"].iloc[0]["old"]["deadline"] == "2024-12-20"


def test_issued_workbooks_are_remembered(store):
    ident = make_submission().identity
    assert store.issued(ident.workbook_id) is None
    store.record_issued(ident, "2025 targets r1.xlsx")
    store.record_issued(ident, "2025 targets r1.xlsx")  # again: nothing
    got = store.issued(ident.workbook_id)
    assert {k: got[k] for k in ("rep_id", "year", "round", "generated_at", "layout_hash", "file_name")} == {
        "rep_id": "r1", "year": YEAR, "round": 1, "generated_at": ident.generated_at, "layout_hash": "layout-1",
        "file_name": "2025 targets r1.xlsx"}
    next_year = WorkbookIdentity(**{**ident.__dict__, "year": YEAR + 1, "workbook_id": "wb-next"})
    store.record_issued(next_year, "2026 targets r1.xlsx")
    assert list(store.issued_map(YEAR)) == [ident.workbook_id]
    assert store.issued_map()["wb-next"]["file_name"] == "2026 targets r1.xlsx"
    assert store.issued_map(YEAR)[ident.workbook_id] == got
    other = WorkbookIdentity(**{**ident.__dict__, "rep_id": "r2"})
    with pytest.raises(StoreError, match="already issued"):
        store.record_issued(other, "x.xlsx")


def test_events_are_an_append_only_log(store):
    store.log_event("collect", {"stored": 3, "files": ["a.xlsx", "b.xlsx"], "名": "李"})
    store.log_event("consolidate", {"round": 1})
    events = store.events()
    assert events["kind"].tolist() == ["collect", "consolidate"]
    assert events["detail"].iloc[0] == {"stored": 3, "files": ["a.xlsx", "b.xlsx"], "名": "李"}
    assert events["at"].iloc[0] <= events["at"].iloc[1]


def test_a_version_2_file_gets_the_response_column(path, monkeypatch):
    full = list(store_schema.MIGRATIONS)
    monkeypatch.setattr(store_schema, "MIGRATIONS", full[:1])  # as the segmentation release wrote it
    old_targets = store_schema.LINE_TABLES["targets"]
    with Store.open(path):
        pass
    with sqlite3.connect(path) as con:  # that release had no response column
        con.execute("ALTER TABLE submission_targets DROP COLUMN response")
    monkeypatch.setattr(store_schema, "MIGRATIONS", full)
    with Store.open(path) as st:
        assert st.schema_version() == store_schema.schema_version()
        with st.reading() as conn:
            names = {c["name"] for c in sa.inspect(conn).get_columns(old_targets.name)}
        assert "response" in names
