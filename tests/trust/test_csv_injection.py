"""Issue 18 item 7: every CSV kamplan writes neutralises cells starting with = + - @ tab or CR."""
from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import polars as pl

import kamplan
from kamplan.csvcells import safe_frame, safe_text
from kamplan.stages.actuals import import_actuals
from kamplan.workspace import Workspace, default_config_text

EVIL = "=cmd|' /C calc'!A0"


def test_an_erp_value_in_the_unmatched_report_is_not_a_formula(tmp_path):
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        f = tmp_path / "erp.csv"
        f.write_text(f'date,customer,product,quantity,amount\n2027-01-05,"{EVIL}",CCR,1,100\n'
                     "2027-01-06,@SUM(A1),CCR,-2,-50\n2027-01-07,C001,CCR,1,100\n", encoding="utf-8")
        res = import_actuals(ws, [f])
        text = res.unmatched_path.read_text(encoding="utf-8-sig")
        assert "'" + EVIL in text and "'@SUM(A1)" in text
        rows = pd.read_csv(res.unmatched_path, encoding="utf-8-sig")
        assert not rows["customer"].str.match(r"^[=+\-@\t\r]").any()
        assert rows["quantity"].tolist() == [1.0, -2.0]  # numbers stay numbers


def test_safe_frame_touches_only_text_cells():
    assert [safe_text(v) for v in ("=1+1", "+86 21", "-x", "@a", "\tx", "\rx", "ok", -5)] == \
        ["'=1+1", "'+86 21", "'-x", "'@a", "'\tx", "'\rx", "ok", -5]
    frame = pl.DataFrame({"t": ["=A1", "plain", None], "n": [-1.0, 2.0, 3.0]})
    assert safe_frame(frame).to_dict(as_series=False) == {"t": ["'=A1", "plain", None], "n": [-1.0, 2.0, 3.0]}
    assert safe_frame(pd.DataFrame({"t": ["-1", "a"], "n": [-1, 2]})).to_dict("list") == {"t": ["'-1", "a"],
                                                                                          "n": [-1, 2]}


def test_every_csv_writer_in_kamplan_goes_through_safe_frame():
    """A new CSV writer that forgets the helper fails here."""
    root = Path(kamplan.__file__).parent
    writers = []
    for f in root.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("write_csv", "to_csv"):
                target = node.func.value
                writers.append((f.relative_to(root), node.lineno,
                                isinstance(target, ast.Call) and getattr(target.func, "id", None) == "safe_frame"))
    assert writers and all(ok for *_, ok in writers), [w for w in writers if not w[2]]
