"""The fast formula path (kit/formulas.py) writes exactly what XlsxWriter's own formula handling writes:
the same formula text for every formula kamplan writes, and byte-identical sheets for every workbook
kind; formulas it does not know go through XlsxWriter's code."""
from __future__ import annotations

import re
import zipfile

import pytest
from xlsxwriter.worksheet import Worksheet

import kamplan.workbooks.kit.styles as kit_styles
from kamplan.workbooks.kit.formulas import PLAIN_FUNCTIONS, FastFormulaWorksheet, needs_expansion
from support.golden import _masked, write_workbooks


def _stock(formula: str, future: bool) -> str:
    ws = Worksheet()
    return ws._prepare_formula(formula, future)


def _fast(formula: str, future: bool) -> str:
    return FastFormulaWorksheet()._prepare_formula(formula, future)


SAMPLES = [
    "=SUM(D10:D49)", "=IF(E10=\"\",\"\",ROUND(E10*F10,0))", "{=SUM(A1:A3*B1:B3)}",
    "=SUMIFS('Targets'!$H$10:$H$200,'Targets'!$B$10:$B$200,$A5)", "=IFERROR(INDEX(L!A1:A9,MATCH(B2,L!B1:B9,0)),0)",
    "=(A1+B1)*2", "=A1&\" t\"", "=N(A1)+ABS(-1)",
    # not kamplan's vocabulary: XlsxWriter's own code must decide
    "=IFS(A1>1,1,TRUE,0)", "=XLOOKUP(A1,B:B,C:C)", "=_xlfn.IFS(A1,1)", "=sum(A1:A2)", "=A.SORT(B1)",
    "=FILTER(A1:A9,B1:B9)", "=\"SORT(\"&A1", "=xINGLE(A1)", "=CONCAT(A1,B1)", "=SUM(SORT(A1:A3))",
    "=中SORT(A1)", "=SEQUENCE(3)",
]


@pytest.mark.parametrize("formula", SAMPLES)
@pytest.mark.parametrize("future", [False, True])
def test_every_formula_is_prepared_as_xlsxwriter_prepares_it(formula, future):
    assert _fast(formula, future) == _stock(formula, future)


def test_names_outside_the_evaluated_vocabulary_take_xlsxwriters_path():
    assert {"SUM", "SUMIFS", "IF", "IFERROR", "INDEX", "MATCH", "ROUND"} <= PLAIN_FUNCTIONS
    assert not PLAIN_FUNCTIONS & {"IFS", "XLOOKUP", "FILTER", "SORT", "CONCAT", "SEQUENCE", "SINGLE"}
    for formula in ("=IFS(A1,1)", "=sum(A1)", "=_xlfn.IFS(A1,1)", "=A.SORT(B1)", '="SORT("', "=中SUM(A1)"):
        assert needs_expansion(formula), formula
    for formula in ("=SUM(A1:A3)", "=(A1)", "=A1*2", '=IF(A1="x",1,0)'):
        assert not needs_expansion(formula), formula


_VALUE = re.compile(r"<v>[^<]*</v>")


def _sheet_parts(path) -> dict[str, bytes]:
    """Every sheet's XML with ids, timestamps and cell values masked: a few figures (a sum's last
    digit, a run time, the time written) differ from one run to the next whatever the worksheet class."""
    with zipfile.ZipFile(path) as zf:
        return {n: _VALUE.sub("<v/>", _masked(zf.read(n).decode("utf-8"))).encode() for n in zf.namelist()
                if n.startswith("xl/worksheets/sheet")}


def test_every_workbook_kind_is_written_byte_for_byte_as_with_xlsxwriters_own_worksheet(tmp_path, monkeypatch):
    fast = write_workbooks(tmp_path / "fast", languages=("en",))
    monkeypatch.setattr(kit_styles, "FastFormulaWorksheet", Worksheet)
    stock = write_workbooks(tmp_path / "stock", languages=("en",))
    assert sorted(fast) == sorted(stock) and len(fast) >= 8
    formulas = validations = 0
    for name in fast:
        a, b = _sheet_parts(fast[name]), _sheet_parts(stock[name])
        assert sorted(a) == sorted(b), name
        for part in a:
            assert a[part] == b[part], f"{name} {part}"
            formulas += len(re.findall(rb"<f>", a[part]))
            validations += len(re.findall(rb"<formula1>", a[part]))
    assert formulas > 1000  # the comparison covered the formulas of real workbooks
    assert validations > 10  # ... and the data validations (whose formulas XlsxWriter prepares too)
