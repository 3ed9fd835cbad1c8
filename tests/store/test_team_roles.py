"""Roles for a team: a regional manager's workspace acts on its region only and cannot agree the company
plan; on PostgreSQL its database role cannot even read another region's rows (row-level security set
up by `kamplan store setup-team`)."""
from __future__ import annotations

import uuid

import numpy as np
import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages import plan
from kamplan.stages.targets import collect_targets
from kamplan.store.team import scoped_tables, setup_sql, TeamRole
from kamplan.workspace import Workspace, WorkspaceError
from support.postgres import fresh_database
from support.regions import vp_workspace

PASSWORD = f"rm{uuid.uuid4().hex[:10]}"


def manager_workspace(root, vp_root, url, region="east"):
    root.mkdir()
    settings = {"role": "regional_manager", "region": region, **({"store_url": url} if url else {})}
    (root / "workspace.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    (root / "kamplan.yaml").write_text((vp_root / "kamplan.yaml").read_text("utf-8"), encoding="utf-8")
    if not url:  # on SQLite the manager's workspace shares the VP's file
        (root / "workspace.yaml").write_text(yaml.safe_dump({**settings, "store_url": f"sqlite:///{vp_root / 'kamplan.db'}"}))
    return root


def test_a_regional_managers_workspace_acts_on_its_region_only(tmp_path):
    vp = vp_workspace(tmp_path / "vp", None)
    vp.close()
    east = manager_workspace(tmp_path / "east", tmp_path / "vp", None)
    with Workspace.open(east) as ws:
        mine = ws.reps_in_scope()
        assert ws.role == "regional_manager" and mine == {s.id for s in ws.config.staff if s.region == "east"}
        for attempt in (lambda: plan.agree(ws), lambda: plan.agree_and_export(ws),
                        lambda: plan.reopen(ws, "x"), lambda: plan.undo(ws, 1)):
            with pytest.raises(WorkspaceError, match="regional manager's workspace of east.*only the VP's"):
                attempt()
        # consolidating there stores no version: it writes the region's view of the current one
        versions = len(ws.store.plan_versions(ws.config.plan_year))
        view = plan.consolidate(ws)
        assert not view.new_version and len(ws.store.plan_versions(ws.config.plan_year)) == versions
        assert view.workbook.name.endswith("_east.xlsx") and set(view.bottom_up.submissions) <= mine
        other = next(p for p in sorted((tmp_path / "vp" / "outbox" / "round-1").glob("*.xlsx"))
                     if p.name.split("_")[0] not in mine)
        fill_target_workbook(other, tmp_path / other.name, np.random.default_rng(99))  # a new content
        out = collect_targets(ws, [tmp_path / other.name])
        assert [f.outcome for f in out.files] == ["rejected"] and out.files[0].problems[-1].code == "other-region"
    res = CliRunner().invoke(cli, ["-w", str(east), "targets", "status", "--json"])
    assert res.exit_code == 0 and {r["rep_id"] for r in yaml.safe_load(res.output)} == mine
    res = CliRunner().invoke(cli, ["-w", str(east), "targets", "agree"])
    assert res.exit_code == 2 and "only the VP's workspace can agree" in " ".join(res.output.split())


def test_a_bad_role_or_region_is_a_workspace_yaml_problem(tmp_path):
    vp_workspace(tmp_path / "vp", None).close()
    east = manager_workspace(tmp_path / "east", tmp_path / "vp", None, region="atlantis")
    with pytest.raises(WorkspaceError, match="workspace.yaml: region: 'atlantis'.*north"):
        Workspace.open(east)


def test_setup_sql_covers_every_table_with_region_data():
    names = {t.name for t in scoped_tables()}
    assert {"accounts", "staff", "submissions", "submission_targets", "plan_lines", "history_rows",
            "attempts"} <= names and "events" not in names
    sql = setup_sql([TeamRole("kamplan_east", "regional_manager", "east")], "kamplan", "vp")
    assert "CREATE POLICY kamplan_kamplan_east ON accounts TO kamplan_east USING (region_id = 'east')" in sql


@pytest.fixture
def team_server():
    """A fresh database (the VP's role owns it) and a login role for a regional manager."""
    from support.postgres import require_server
    admin = sa.create_engine(require_server(), isolation_level="AUTOCOMMIT")
    role = f"kamplan_rm_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        c.exec_driver_sql(f"GRANT {role} TO CURRENT_USER")  # so that dropping the database may end its sessions
    try:
        with fresh_database("kamplan_roles") as url:
            yield url, role
            # the manager's sessions end as that role (a role may always end its own sessions)
            mine = sa.create_engine(sa.engine.make_url(url).set(username=role, password=PASSWORD),
                                    isolation_level="AUTOCOMMIT")
            with mine.connect() as c:
                c.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE usename = current_user AND pid <> pg_backend_pid()")
            mine.dispose()
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


def test_a_regional_managers_database_role_cannot_read_another_regions_rows(team_server, tmp_path):
    url, role = team_server
    vp = vp_workspace(tmp_path / "vp", url)
    res = CliRunner().invoke(cli, ["-w", str(vp.root), "store", "setup-team", "--manager", f"east={role}"])
    assert res.exit_code == 0, res.output
    assert "ENABLE ROW LEVEL SECURITY" in res.output and f"TO {role} USING (region_id = 'east')" in res.output
    east_reps = {s.id for s in vp.config.staff if s.region == "east"}
    east_accounts = {a.id for a in vp.config.accounts if a.region == "east"}
    vp.close()
    manager = sa.engine.make_url(url).set(username=role, password=PASSWORD)
    engine = sa.create_engine(manager)
    with engine.connect() as c:
        def ids(sql):
            return {r[0] for r in c.exec_driver_sql(sql)}
        assert ids("SELECT id FROM accounts") == east_accounts
        assert ids("SELECT id FROM staff") == east_reps
        assert ids("SELECT rep_id FROM submissions") == east_reps
        assert ids("SELECT DISTINCT account_id FROM submission_targets") <= east_accounts
        assert ids("SELECT DISTINCT rep_id FROM plan_lines") == east_reps
        assert ids("SELECT DISTINCT account_id FROM history_rows") <= east_accounts
    engine.dispose()
    # ... while the VP's connection sees every region
    with sa.create_engine(url).connect() as c:
        assert len({r[0] for r in c.exec_driver_sql("SELECT DISTINCT rep_id FROM plan_lines")}) > len(east_reps)
    # and the manager's workspace works on its region through that role
    east = manager_workspace(tmp_path / "east", tmp_path / "vp",
                             manager.render_as_string(hide_password=False))
    with Workspace.open(east) as ws:
        assert set(ws.store.submissions(2027)["rep_id"]) == east_reps
