"""Issue 14 (wave 2): a stored problem keeps its catalogue key and fields (column problems.words), so a refused
file's reasons can be said in Chinese later; rows stored before keep their text."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from kamplan.messages import render
from kamplan.problems import error, problem
from kamplan.store import Store
from kamplan.store import schema as store_schema
from kamplan.workbooks.kit import cells

CJK = re.compile(r"[\u4e00-\u9fff]")
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


def test_a_refused_files_reasons_are_said_in_english_as_before_and_in_chinese(tmp_path):
    bad = problem("layout.row-inserted", count=2, row=7, file="huangtao.xlsx", sheet="Targets", cell="A7")
    cell = problem("history.cell", why=cells.parse_number("abc")[1], file="h.csv", sheet="row 4", cell="volume")
    with Store.open(tmp_path / "plan.db") as store:
        assert store.record_rejection("huangtao.xlsx", "b" * 64, 2027, 1, "huangtao", [bad, cell], T0)
        assert store.record_rejection("wang.xlsx", "w" * 64, 2027, 1, "wang", [error("old", "an old text", "fix it")],
                                      T0)
        status = store.status(2027, 1, ["huangtao", "wang"]).set_index("rep_id")
        [stored] = store.rejections(2027, 1).query("rep_id == 'huangtao'")["problems"].tolist()
    reasons = status.loc["huangtao", "reasons"]
    assert str(reasons) == "Targets!A7: 2 row(s) were inserted at row 7; row 4!volume: \"abc\" is not a number"
    zh = render(reasons, "zh-CN")
    assert "在第 7 行插入了 2 行" in zh and "不是数字" in zh and "inserted" not in zh
    assert [p.render("en") for p in stored] == [str(bad), str(cell)]
    assert stored[0].id == "layout.row-inserted" and stored[0].fields == {"count": 2, "row": 7}
    assert CJK.search(stored[1].render("zh-CN")) and stored[1].code == "history-value"
    assert status.loc["wang", "reasons"] == "an old text" and render(status.loc["wang", "reasons"], "zh-CN") == "an old text"


def test_rows_stored_before_the_words_column_keep_their_text(tmp_path):
    with Store.open(tmp_path / "plan.db") as store:
        store.record_rejection("a.xlsx", "a" * 64, 2027, 1, "a", [problem("file.empty", file="a.xlsx")], T0)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    with engine.begin() as conn:  # as kamplan's schema 10 stored it: text only, no words column
        conn.execute(sa.update(store_schema.problems).values(message="the file is empty (old words)"))
        conn.exec_driver_sql("ALTER TABLE problems DROP COLUMN words")
        conn.execute(store_schema.meta.update().where(store_schema.meta.c.key == "schema_version").values(value="10"))
    engine.dispose()
    with Store.open(tmp_path / "plan.db") as store:
        assert store.schema_version() == store_schema.schema_version()
        [p] = store.rejections(2027, 1)["problems"].tolist()[0]
    assert p.render("zh-CN") == p.render("en") and "the file is empty (old words)" in p.render("zh-CN")
    assert p.id is None
