"""What a workbook shows before anything recalculates equals what LibreOffice computes.

Every formula cell is saved with its result (kit/results.py).  For every workbook kind in both
languages: the saved result of each formula cell (read with python-calamine, which reads saved
results and never computes) equals LibreOffice's recalculated value within a cent, and no formula
cell saves 0 (or nothing) where the recalculated figure is not 0.
"""
from __future__ import annotations

import pytest
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_cell_to_rowcol

from support.every_workbook import every_workbook
from support.golden import LANGUAGES

pytestmark = pytest.mark.libreoffice

KINDS = ("targets_round1", "targets_round2_proposal", "account_review", "consolidation", "resource_plan",
         "agreed_targets", "management_summary", "evaluation_vp", "evaluation_rep")
CENT = 0.005


def _saved_results(path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}
    finally:
        wb.close()


def _at(rows: list[list], ref: str):
    r, c = xl_cell_to_rowcol(ref)
    return rows[r][c] if r < len(rows) and c < len(rows[r]) else ""


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_saved_formula_result_equals_libreoffices_recalculated_value(libreoffice, kind, language):
    path = every_workbook()[f"{kind}_{language}.xlsx"]
    recalculated = libreoffice.recalculate(path)
    assert not recalculated.errors(), recalculated.errors()[:5]
    saved = _saved_results(path)
    wrong, zeros, figures = [], [], 0
    for (sheet, ref), cell in recalculated.cells.items():
        shown = _at(saved[sheet], ref)
        if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
            figures += cell.value != 0
            if not isinstance(shown, (int, float)) or abs(float(shown) - cell.value) > CENT:
                (zeros if cell.value != 0 and shown in (0, 0.0, "", None) else wrong).append(
                    f"'{sheet}'!{ref} {cell.formula}: saved {shown!r}, LibreOffice {cell.value!r}")
        elif (shown or "") != (cell.value or ""):
            wrong.append(f"'{sheet}'!{ref} {cell.formula}: saved {shown!r}, LibreOffice {cell.value!r}")
    assert not zeros, f"{len(zeros)} formula cells save 0 for a non-zero figure: {zeros[:5]}"
    assert not wrong, f"{len(wrong)} saved results differ from LibreOffice: {wrong[:5]}"
    assert figures > 0, "the workbook has no non-zero formula figure: the comparison proves nothing"
