"""Helpers for the account review workbook tests: a cached demo workspace, the VP's typing, the layout read back."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import yaml

from kamplan.config import config_from_dict
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.workbooks.kit.identity import IDENTITY_SHEET
from kamplan.workbooks.review.reader import read_review_identity
from kamplan.workspace import Workspace

_CACHE: dict[tuple, Path] = {}


def review_workspace(root: Path, dest: Path, language: str = "en", segmentation: dict | None = None) -> Workspace:
    """A demo workspace with history loaded (cached per language and segmentation settings)."""
    key = (language, json.dumps(segmentation, sort_keys=True))
    if key not in _CACHE:
        src = root / f"ws-{len(_CACHE)}"
        data = demo_config_dict(language=language)
        if segmentation:
            data["segmentation"] = segmentation
        with Workspace.init(src, yaml.safe_dump(data, allow_unicode=True, sort_keys=False)) as ws:
            ws.store.replace_history(demo_history(config_from_dict(data)), source="test")
        _CACHE[key] = src
    shutil.copytree(_CACHE[key], dest)
    return Workspace.open(dest)


class LockedCellError(Exception):
    pass


def fill_review(src: Path, dst: Path, *, reviewer: str | None = "Li Ming", overrides: dict | None = None,
                judgements: dict | None = None, raw: dict | None = None) -> dict[tuple[str, str], object]:
    """Type into the Review sheet like the VP: only unlocked cells. Returns {(account, column key): value}.

    ``overrides``: account -> (class label, reason); ``judgements``: (account, indicator) -> score;
    ``raw``: (account, column key) -> any value typed as is.
    """
    wb = openpyxl.load_workbook(src)
    lay = layout_of(src)
    tb = lay.review
    sh = wb[tb.sheet]
    rows = {a: tb.first_row + i for i, (a,) in enumerate(tb.row_keys)}
    typed = {}

    def put(ref, value):
        if sh[ref].protection.locked:
            raise LockedCellError(f"{tb.sheet}!{ref} is locked")
        sh[ref] = value

    if reviewer is not None:
        put(lay.reviewer_ref(), reviewer)
    for a, (label, reason) in (overrides or {}).items():
        put(tb.ref(rows[a], "override_class"), label)
        put(tb.ref(rows[a], "override_reason"), reason)
        typed[(a, "override_class")] = label
    for (a, ind), v in (judgements or {}).items():
        put(tb.ref(rows[a], f"j_{ind}"), v)
        typed[(a, ind)] = v
    for (a, key), v in (raw or {}).items():
        put(tb.ref(rows[a], key), v)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return typed


def layout_of(path: Path):
    """The layout the reader rebuilds from the identity block."""
    from kamplan.workbooks.review.layout import ReviewIndicator, ReviewLayout, ScoreRules
    from kamplan.workbooks.kit.xlsxio import read_sheets
    sheets, _ = read_sheets(path, [IDENTITY_SHEET])
    ident = read_review_identity(sheets[IDENTITY_SHEET])
    inds = [ReviewIndicator(i, h, g, s, float(w), hb == "1") for i, h, g, s, w, hb in ident["indicators"]]
    rules = ScoreRules(tuple((g, float(w)) for g, w in ident["group_weights"]), float(ident["min_coverage"]),
                       (int(ident["scale_min"]), int(ident["scale_max"])), ident["live_judgements"] == "1")
    return ReviewLayout(ident["language"], int(ident["plan_year"]), ident["accounts"], inds, rules,
                        currency=ident["currency"], unit=ident["unit"], allocation=ident["allocation"],
                        measure=ident["measure"])


JUDGED = ("capital", "network", "logistics", "relations", "people", "thinking", "management", "marketing")
