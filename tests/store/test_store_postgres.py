"""The same planning cycle on PostgreSQL gives exactly what it gives on the SQLite file.

Runs when KAMPLAN_TEST_POSTGRES_URL points at a server where it may create databases
(.ci/run starts one); in CI a missing server is a failure, not a skip.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kamplan.config import config_from_dict
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages.review import segment_accounts
from kamplan.stages.targets import collect_targets, issue_targets
from kamplan.workspace import Workspace

SERVER = os.environ.get("KAMPLAN_TEST_POSTGRES_URL")


@pytest.fixture
def pg_url():
    if not SERVER:
        if os.environ.get("CI") in ("true", "1"):
            pytest.fail("KAMPLAN_TEST_POSTGRES_URL is not set: .ci/run should have started PostgreSQL")
        pytest.skip("set KAMPLAN_TEST_POSTGRES_URL=postgresql+psycopg2://user:pw@host/postgres to run")
    import sqlalchemy as sa
    name = f"kamplan_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(SERVER).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _cycle(root: Path, url: str | None):
    data = demo_config_dict(language="en")
    root.mkdir()
    if url:
        (root / "workspace.yaml").write_text(f"store_url: '{url}'\n", encoding="utf-8")
    with Workspace.init(root, yaml.safe_dump(data, allow_unicode=True)) as ws:
        ws.store.replace_history(demo_history(config_from_dict(data)), source="demo")
        counts = segment_accounts(ws, now=dt.datetime(2026, 12, 1, 9)).segmentation.counts()
        issued = issue_targets(ws, round_no=1, now=dt.datetime(2026, 12, 1, 10))
        rng = np.random.default_rng(3)
        for p in issued.written[:3]:
            fill_target_workbook(p, ws.inbox / p.name, rng)
        first = [f.outcome for f in collect_targets(ws, [ws.inbox], now=dt.datetime(2026, 12, 15, 10)).files]
        again = [f.outcome for f in collect_targets(ws, [ws.inbox], now=dt.datetime(2026, 12, 15, 11)).files]
        targets = ws.store.targets_frame(2027, 1).sort_values(
            ["rep_id", "account_id", "product_id", "quarter"]).reset_index(drop=True)
        sub = ws.store.current_submission(issued.written[0].name.split("_")[0], 2027, 1)
        status = ws.store.status(2027, 1, [s.id for s in ws.config.staff])
        return first, again, counts, targets, sub, status


def test_postgres_store_matches_sqlite(pg_url, tmp_path):
    lite = _cycle(tmp_path / "sqlite", None)
    pg = _cycle(tmp_path / "pg", pg_url)
    assert lite[0] == pg[0] == ["stored"] * 3 and lite[1] == pg[1] == ["unchanged"] * 3
    assert lite[2] == pg[2]
    pd.testing.assert_frame_equal(lite[3], pg[3])
    for name in ("targets", "visits", "trainings", "services", "requests"):
        pd.testing.assert_frame_equal(getattr(lite[4], name), getattr(pg[4], name))
    pd.testing.assert_frame_equal(lite[5].drop(columns=["at", "current_content"]),  # each workbook has its own id
                                  pg[5].drop(columns=["at", "current_content"]))
