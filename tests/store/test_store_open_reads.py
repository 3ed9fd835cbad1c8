"""Opening a store that is at this kamplan's schema version only reads it: a read-only command neither waits
for nor takes the write lock another command holds (issue 16: workspace open)."""
from __future__ import annotations

import sqlite3

from kamplan.store import Store
from kamplan.store import schema as store_schema


def test_a_current_store_opens_and_reads_while_another_command_holds_the_write_lock(tmp_path):
    path = tmp_path / "plan.db"
    with Store.open(path) as st:
        st.log_event("collect", {"files": 1})
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another command writing, not yet committed
        writer.execute("INSERT INTO meta (key, value) VALUES ('other', 'uncommitted')")
        with Store.open(path, create=False) as st:  # what a read-only command does (Workspace.open(sync=False))
            assert st.events()["kind"].tolist() == ["collect"]
            assert st.schema_version() == store_schema.schema_version()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_an_older_store_is_still_migrated_on_an_ordinary_open(tmp_path, monkeypatch):
    old = tmp_path / "old.db"
    monkeypatch.setattr(store_schema, "MIGRATIONS", store_schema.MIGRATIONS[:-1])
    Store.open(old).close()
    monkeypatch.undo()
    with sqlite3.connect(old) as con:
        stored = int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    assert stored == store_schema.schema_version() - 1
    with Store.open(old, create=False) as st:
        assert st.schema_version() == store_schema.schema_version()
    with Store.open(old) as st:  # migrated once: the event is logged once
        assert st.events()["kind"].tolist().count("schema-migrated") == 1
