"""Every workbook kind keeps the layout of its committed golden (sheets, labels, validations, locked cells,
protection, names, print setup, charts), so a layout drift is caught without LibreOffice.

A failure lists where the layout changed.  If the change is intended, regenerate the goldens with
``PYTHONPATH=addin python tests/support/golden.py --update`` and commit them with the change.
"""
from __future__ import annotations

import pytest

from support.golden import GOLDEN, LANGUAGES, differences, structure, write_workbooks

KINDS = ("targets_round1", "targets_round2_proposal", "account_review", "consolidation", "resource_plan",
         "evaluation_rep", "evaluation_vp", "agreed_targets", "management_summary")
NAMES = [f"{kind}_{lang}.xlsx" for kind in KINDS for lang in LANGUAGES]
REGENERATE = "PYTHONPATH=addin python tests/support/golden.py --update"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return write_workbooks(tmp_path_factory.mktemp("golden"))


def test_every_kind_has_a_golden_and_nothing_else_is_there(written):
    assert sorted(written) == sorted(NAMES)
    committed = sorted(p.name for p in GOLDEN.glob("*.xlsx"))
    assert committed == sorted(NAMES), f"golden workbooks differ from the kinds written; run {REGENERATE}"


@pytest.mark.parametrize("name", NAMES)
def test_the_layout_matches_the_golden(written, name):
    golden = GOLDEN / name
    assert golden.exists(), f"{golden} is missing; run {REGENERATE}"
    diff = differences(structure(golden), structure(written[name]))
    assert not diff, (f"{name}: the layout differs from its golden:\n  " + "\n  ".join(diff)
                      + f"\nIf the change is intended: {REGENERATE}")


def test_the_comparison_sees_a_changed_label_a_lock_and_a_validation(written, tmp_path):
    import openpyxl
    from openpyxl.styles import Protection

    src = written["targets_round1_en.xlsx"]
    wb = openpyxl.load_workbook(src)
    ws = wb["Targets"]
    ws["A5"] = "Renamed header"
    ws["A6"].protection = Protection(locked=False)
    ws.data_validations.dataValidation.pop(0)
    wb.save(tmp_path / "changed.xlsx")
    diff = "\n".join(differences(structure(src), structure(tmp_path / "changed.xlsx")))
    assert "Targets!A5:" in diff and "Renamed header" in diff
    assert "Targets: unlocked gained A6" in diff
    assert "Targets: validations lost" in diff
