"""Opening without writing: a read-only store and a workspace that does not sync its master data."""
from __future__ import annotations

import sqlite3

import pytest
import yaml

from kamplan.store import Store, StoreError
from kamplan.store import schema as store_schema
from kamplan.workspace import Workspace, default_config_text


def _counts(path) -> dict[str, int]:
    with sqlite3.connect(path) as con:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in ("master_changes", "events", "accounts")}


def test_a_readonly_store_reads_but_refuses_every_write(tmp_path):
    path = tmp_path / "plan.db"
    with Store.open(path) as st:
        st.log_event("collect", {"files": 1})
    with Store.open(path, readonly=True) as st:
        assert st.readonly and "read-only" in repr(st)
        assert st.events()["kind"].tolist() == ["collect"]
        with pytest.raises(StoreError, match="read-only"):
            st.log_event("collect", {"files": 2})
        with pytest.raises(StoreError, match="read-only"), st.writing():
            pass
    with Store.open(path) as st:
        assert len(st.events()) == 1


def test_a_readonly_store_never_creates_or_migrates_a_file(tmp_path, monkeypatch):
    missing = tmp_path / "none.db"
    with pytest.raises(StoreError, match="no plan database"):
        Store.open(missing, readonly=True)
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(StoreError, match="no kamplan plan yet"):
        Store.open(empty, readonly=True)
    with sqlite3.connect(empty) as con:
        assert con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    old = tmp_path / "old.db"
    monkeypatch.setattr(store_schema, "MIGRATIONS", store_schema.MIGRATIONS[:-1])
    Store.open(old).close()
    monkeypatch.undo()
    with pytest.raises(StoreError, match="older kamplan"):
        Store.open(old, readonly=True)
    with Store.open(old) as st:  # an ordinary open still migrates it
        assert st.schema_version() == store_schema.schema_version()


def test_workspace_open_without_sync_writes_nothing(tmp_path):
    root = tmp_path / "ws"
    Workspace.init(root, default_config_text()).close()
    db = root / "kamplan.db"
    before = _counts(db)
    cfg = root / "kamplan.yaml"
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["accounts"] = data["accounts"][1:]  # a changed config: a sync would inactivate one account
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with Workspace.open(root, sync=False) as ws:
        assert len(ws.store.master("accounts")) == before["accounts"]
    assert _counts(db) == before
    with Workspace.open_readonly(root) as ws:
        assert ws.store.readonly and len(ws.store.master("accounts")) == before["accounts"]
        with pytest.raises(StoreError, match="read-only"):
            ws.store.sync_master_data(ws.config)
    assert _counts(db) == before
    with Workspace.open(root) as ws:  # the default still syncs
        assert len(ws.store.master("accounts")) == before["accounts"] - 1
    assert _counts(db)["master_changes"] == before["master_changes"] + 1


def test_workspace_readonly_finds_its_store_through_store_url(tmp_path):
    root = tmp_path / "ws"
    Workspace.init(root, default_config_text()).close()
    shared = tmp_path / "shared.db"
    (root / "workspace.yaml").write_text(f"store_url: sqlite:///{shared}\n", encoding="utf-8")
    with pytest.raises(StoreError, match="no kamplan plan yet"):
        Workspace.open_readonly(root).store  # noqa: B018 - opening the store is the point
    with pytest.raises(StoreError, match="is empty: it holds no kamplan plan.*kamplan init"):
        Workspace.open(root)  # only init creates a store (issue 18 item 9)
    vp = tmp_path / "vp"  # the team's way: workspace.yaml first, then kamplan init creates the store
    vp.mkdir()
    (vp / "workspace.yaml").write_text(f"store_url: sqlite:///{shared}\n", encoding="utf-8")
    with Workspace.init(vp, default_config_text()) as ws:
        accounts = len(ws.store.master("accounts"))
    with Workspace.open_readonly(root) as ws:
        assert ws.store.where.endswith("shared.db") and len(ws.store.master("accounts")) == accounts
