"""No command prints the team store's password, and every problem with the server is a message that
names workspace.yaml / store_url, the host, the port and the likely fix, never a traceback.

The sweep runs every command of the CLI on a workspace whose store_url holds a password: against a
server that is not there (everywhere), and against a real PostgreSQL after the whole demo cycle ran on
it (with KAMPLAN_TEST_POSTGRES_URL).  A new command must be added to the sweep (a test checks it).
"""
from __future__ import annotations

import logging
import uuid
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.workspace import Workspace
from support.postgres import require_server

PASSWORD = f"Pw{uuid.uuid4().hex[:12]}Secret"

# Commands that never open a store (they build files from the default config or manage Excel).
NO_STORE = {"templates build", "addin build", "addin xlsm", "addin actions", "addin install", "addin uninstall",
            "addin status"}


def leaf_commands(group: click.Group = cli, prefix: str = "") -> set[str]:
    out = set()
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out |= leaf_commands(cmd, f"{prefix}{name} ")
        else:
            out.add(f"{prefix}{name}")
    return out


def sweep(ws: Path, erp: Path | None = None) -> list[tuple[str, list[str]]]:
    """(command, arguments) for every command that opens the store, text and --json where it has one."""
    erp_files = sorted(erp.glob("*.csv")) if erp else []
    invoices = next((str(p) for p in erp_files if "activit" not in p.name), str(ws / "kamplan.yaml"))
    activities = next((str(p) for p in erp_files if "activit" in p.name), str(ws / "kamplan.yaml"))
    w = ["-w", str(ws)]
    history = ws.parent / "history.csv"
    history.write_text("year,quarter,account_id,product_id,volume,price,revenue\n", encoding="utf-8")
    quotas = ws.parent / "quotas.csv"
    quotas.write_text("salesperson,period,amount\nnobody,Q1,1000\n", encoding="utf-8")
    return [
        ("init", ["init", str(ws.parent / "second"), "--config", str(ws / "kamplan.yaml")]),  # same company
        ("check", [*w, "check"]),
        ("status", [*w, "status"]), ("status", [*w, "status", "--json"]),
        ("targets status", [*w, "targets", "status"]), ("targets status", [*w, "targets", "status", "--json"]),
        ("targets collect", [*w, "targets", "collect"]), ("targets collect", [*w, "targets", "collect", "--json"]),
        ("targets consolidate", [*w, "targets", "consolidate", "--json"]),
        ("targets versions", [*w, "targets", "versions"]), ("targets versions", [*w, "targets", "versions", "--json"]),
        ("targets compare", [*w, "targets", "compare", "1", "2", "--json"]),
        ("targets reopen", [*w, "targets", "reopen", "--reason", "secrets test"]),
        ("targets spread", [*w, "targets", "spread", "250000000"]),
        ("targets undo", [*w, "targets", "undo", "--to", "1"]),
        ("targets quotas import", [*w, "targets", "quotas", "import", str(quotas)]),
        ("targets quotas import", [*w, "targets", "quotas", "import", str(quotas), "--json"]),
        ("targets agree", [*w, "targets", "agree"]),
        ("accounts plan issue", [*w, "accounts", "plan", "issue"]),
        ("accounts plan issue", [*w, "accounts", "plan", "issue", "--force", "--json"]),
        ("accounts plan collect", [*w, "accounts", "plan", "collect"]),
        ("accounts plan collect", [*w, "accounts", "plan", "collect", "--json"]),
        ("accounts plan status", [*w, "accounts", "plan", "status"]),
        ("accounts plan status", [*w, "accounts", "plan", "status", "--json"]),
        ("accounts review-month", [*w, "accounts", "review-month"]),
        ("accounts review-month", [*w, "accounts", "review-month", "--json"]),
        ("accounts forget-contact", [*w, "accounts", "forget-contact", "C001", "Nobody", "--reason", "a test"]),
        ("accounts forget-contact", [*w, "accounts", "forget-contact", "C001", "Nobody", "--reason", "a test",
                                     "--json"]),
        ("targets issue", [*w, "targets", "issue"]),
        ("history import", [*w, "history", "import", str(history)]),
        ("actuals import", [*w, "actuals", "import", invoices]),
        ("actuals import", [*w, "actuals", "import", invoices, "--json"]),
        ("actuals activities", [*w, "actuals", "activities", activities]),
        ("actuals activities", [*w, "actuals", "activities", activities, "--json"]),
        ("accounts segment", [*w, "accounts", "segment"]),
        ("accounts collect", [*w, "accounts", "collect", str(ws / "kamplan.yaml")]),
        ("resources allocate", [*w, "resources", "allocate", "--json"]),
        ("evaluate annual", [*w, "evaluate", "annual"]),
        ("evaluate collect", [*w, "evaluate", "collect", str(ws / "kamplan.yaml")]),
        ("warnings", [*w, "warnings"]),
        ("store setup-team", [*w, "store", "setup-team", "--manager", "east=kamplan_east", "--dry-run"]),
        ("demo", ["demo", "--out", str(ws.parent / "demo-refused"), "--lang", "en", "--store-url",
                  _store_url_of(ws)]),
    ]


def _store_url_of(ws: Path) -> str:
    return yaml.safe_load((ws / "workspace.yaml").read_text(encoding="utf-8"))["store_url"]


def run_sweep(ws: Path, caplog, erp: Path | None = None) -> dict[str, int]:
    """Run the sweep and assert no output holds the password; returns each command's last exit status."""
    runner = CliRunner()
    codes = {}
    with caplog.at_level(logging.DEBUG):
        for name, args in sweep(ws, erp):
            res = runner.invoke(cli, args)
            shown = res.output + (res.stderr if res.stderr_bytes is not None else "")
            assert PASSWORD not in shown, (name, shown)
            assert res.exception is None or isinstance(res.exception, SystemExit), (name, repr(res.exception))
            codes[name] = res.exit_code
    assert PASSWORD not in caplog.text
    return codes


def test_the_sweep_covers_every_command(tmp_path):
    names = {name for name, _ in sweep(_workspace_on(tmp_path, "postgresql+psycopg2://planner@localhost/x"))}
    assert leaf_commands() - NO_STORE - names == set(), "add the new command to the sweep"


def _workspace_on(tmp_path: Path, url: str) -> Path:
    """A workspace folder whose store_url is ``url`` (its config copied from the default)."""
    from kamplan.workspace import default_config_text
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "workspace.yaml").write_text(yaml.safe_dump({"store_url": url}), encoding="utf-8")
    (ws / "kamplan.yaml").write_text(default_config_text(), encoding="utf-8")
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "workspace.yaml").write_text(yaml.safe_dump({"store_url": url}), encoding="utf-8")
    return ws


def test_no_command_prints_the_password_when_the_server_is_not_there(tmp_path, caplog):
    ws = _workspace_on(tmp_path, f"postgresql+psycopg2://planner:{PASSWORD}@127.0.0.1:1/kamplan")
    run_sweep(ws, caplog)
    res = CliRunner().invoke(cli, ["-w", str(ws), "targets", "status"])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "127.0.0.1" in text and "port 1" in text and "workspace.yaml" in text and "store_url" in text
    assert "is the PostgreSQL server running" in text and "planner:***@" in text


@pytest.mark.parametrize("url, what", [
    ("postgresql+psycopg2://planner:{pw}@localhost:fivefour/kamplan", "port is not a number"),
    ("not a url {pw}", "is not a database URL"),
])
def test_a_bad_store_url_is_a_config_problem_with_its_key(tmp_path, url, what):
    ws = _workspace_on(tmp_path, url.format(pw=PASSWORD))
    res = CliRunner().invoke(cli, ["-w", str(ws), "targets", "status", "--json"])
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and PASSWORD not in res.output and "Traceback" not in res.output
    assert "workspace.yaml" in text and "store_url:" in text and what in text and "int()" not in text


# -- on a real server ------------------------------------------------------------------------------------
@pytest.fixture
def secret_server():
    """A login role with a distinctive password and an empty database it owns; yields (url, admin engine)."""
    server = require_server()
    tag = uuid.uuid4().hex[:8]
    role, db = f"kamplan_pw_{tag}", f"kamplan_pw_{tag}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        c.exec_driver_sql(f"GRANT {role} TO CURRENT_USER")  # to make it the new database's owner
        c.exec_driver_sql(f'CREATE DATABASE "{db}" OWNER {role}')
    url = sa.engine.make_url(server).set(username=role, password=PASSWORD, database=db)
    yield url, admin
    _end_sessions(url)
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
    admin.dispose()


def _end_sessions(url: sa.URL) -> None:
    """End the role's other sessions as the role itself (a role may always end its own sessions)."""
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE usename = current_user AND pid <> pg_backend_pid()")
    engine.dispose()


def test_no_command_prints_the_password_on_a_real_server(secret_server, tmp_path, caplog):
    url, _ = secret_server
    full = url.render_as_string(hide_password=False)
    demo = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "ws"), "--lang", "en", "--store-url", full])
    assert demo.exit_code == 0, demo.output
    assert PASSWORD not in demo.output and "Store (system of record)" in demo.output
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "workspace.yaml").write_text(yaml.safe_dump({"store_url": full}), encoding="utf-8")
    codes = run_sweep(tmp_path / "ws", caplog, erp=tmp_path / "ws" / "erp")
    assert codes["targets status"] == 0 and codes["actuals import"] in (0, 1) and codes["init"] == 0
    engine = sa.create_engine(full)
    with engine.connect() as c:  # nor is it stored anywhere in the audit trail
        for table in ("events", "meta", "master_changes"):
            for row in c.exec_driver_sql(f"SELECT * FROM {table}"):
                assert PASSWORD not in " ".join(map(str, row)), (table, row)
    engine.dispose()


def test_the_password_may_come_from_the_environment(secret_server, tmp_path, monkeypatch):
    url, _ = secret_server
    bare = sa.URL.create(url.drivername, username=url.username, host=url.host, port=url.port,
                         database=url.database).render_as_string(hide_password=False)
    assert PASSWORD not in bare
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "workspace.yaml").write_text(yaml.safe_dump({"store_url": bare}), encoding="utf-8")
    from kamplan.workspace import default_config_text
    monkeypatch.delenv("KAMPLAN_STORE_PASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    with pytest.raises(Exception, match="password|authentication"):
        Workspace.init(tmp_path / "ws", default_config_text())
    (tmp_path / "ws" / "kamplan.yaml").unlink()
    monkeypatch.setenv("KAMPLAN_STORE_PASSWORD", PASSWORD)
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        assert len(ws.store.master("accounts")) == len(ws.config.accounts)
        assert PASSWORD not in ws.store.where and PASSWORD not in ws.store_label()


def test_a_server_lost_in_the_middle_of_a_command_rolls_back_and_says_so(secret_server, tmp_path):
    url, _ = secret_server
    from kamplan.store import Store, StoreError
    from kamplan.store.sql import insert_event
    with Store.open(url.render_as_string(hide_password=False)) as store:
        before = len(store.events())
        with pytest.raises(StoreError, match="connection to the team store .* was lost.*rolled back.*run the "
                                             "command again") as caught:
            with store.writing() as conn:
                insert_event(conn, "half-done", {"step": 1})
                pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                killer = sa.create_engine(url, isolation_level="AUTOCOMMIT")  # the server ends the session
                with killer.connect() as c:
                    c.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
                killer.dispose()
                insert_event(conn, "half-done", {"step": 2})
        assert PASSWORD not in str(caught.value)
        assert len(store.events()) == before  # nothing of the step was stored
