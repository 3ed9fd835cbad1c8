"""Static checks of generated workbooks, as a spreadsheet program would meet them."""
from __future__ import annotations

import zipfile

import openpyxl
import pytest

from kamplan.demo.salesforce import layout_of
from kamplan.workbooks.kit.identity import IDENTITY_SHEET
from support.workspaces import demo_workspace


@pytest.fixture(scope="module", params=["en", "zh-CN"])
def issued(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    ws = demo_workspace(root, request.param, root / "ws")
    with ws:
        yield sorted(ws.round_outbox(1).glob("*.xlsx"))


def _input_cells(lay, planned_elsewhere=frozenset()):
    """Every input cell of the layout, but those of Targets rows another member of an account team plans."""
    out = set()
    for tb in lay.tables:
        for c in tb.input_columns():
            for r in range(tb.first_row, tb.last_row + 1):
                if tb.key == "targets" and tb.row_keys[r - tb.first_row] in planned_elsewhere:
                    continue
                out.add((tb.sheet, tb.ref(r, c.key)))
    return out


def _planned_elsewhere(path):
    """(account, product) rows of this salesperson's workbook that another member plans (the demo config's
    account teams decide)."""
    from kamplan.config import config_from_dict
    from kamplan.demo.company import demo_config_dict
    from kamplan.stages.targets import team_views
    rep = path.name.split("_")[0]
    view = team_views(config_from_dict(demo_config_dict())).get(rep)
    return frozenset(view.planned_by) if view else frozenset()


def test_only_input_cells_are_unlocked_and_every_sheet_is_protected(issued):
    for path in issued:
        wb = openpyxl.load_workbook(path)
        lay = layout_of(wb)
        unlocked = set()
        for ws in wb.worksheets:
            assert ws.protection.sheet, f"{path.name}: sheet {ws.title} is not protected"
            for row in ws.iter_rows():
                for cell in row:
                    if cell.protection.locked is False and cell.value is not None or (
                            cell.protection.locked is False and cell.has_style):
                        unlocked.add((ws.title, cell.coordinate))
        cover = lay.sheet_names["cover"]
        unlocked = {u for u in unlocked if u[0] != cover}  # the legend's sample yellow cell
        assert unlocked == _input_cells(lay, _planned_elsewhere(path))
        assert wb.security is not None and wb.security.lockStructure


def test_dropdowns_use_named_ranges_and_names_are_unique(issued):
    for path in issued:
        wb = openpyxl.load_workbook(path)
        names = list(wb.defined_names.keys())
        assert len(names) == len({n.lower() for n in names})
        n_lists = 0
        for ws in wb.worksheets:
            for dv in ws.data_validations.dataValidation:
                assert dv.showErrorMessage, f"{ws.title} {dv.sqref}: invalid input would be accepted"
                if dv.type == "list":
                    n_lists += 1
                    assert len(dv.formula1) <= 255
                    assert dv.formula1.lstrip("=") in names
        assert n_lists >= 5


def test_identity_sheet_is_very_hidden_and_layout_renders_without_hashes(issued):
    for path in issued:
        wb = openpyxl.load_workbook(path)
        assert wb[IDENTITY_SHEET].sheet_state == "veryHidden"
        lay = layout_of(wb)
        for tb in lay.tables:
            ws = wb[tb.sheet]
            for i, col in enumerate(tb.columns):
                letter = openpyxl.utils.get_column_letter(i + 1)
                width = ws.column_dimensions[letter].width
                assert width and width >= 6, f"{tb.sheet}!{letter} has no width"
                if col.num_format and col.dtype in ("number", "integer"):
                    # widest value we expect: 9 digits with separators and a decimal
                    assert width >= 8
            assert ws.freeze_panes is not None
            assert ws.print_title_rows


def test_text_cells_are_stored_as_text_never_as_formulas(issued, tmp_path):
    with zipfile.ZipFile(issued[0]) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    # every formula we write is one of ours: none contains a user's text
    import re
    formulas = re.findall(rb"<f>(.*?)</f>", xml)
    assert formulas and all(not f.startswith(b"HYPERLINK") for f in formulas)
