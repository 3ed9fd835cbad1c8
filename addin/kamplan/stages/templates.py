"""Blank workbook templates (workbook_templates/), rebuilt from the default config.

They show a new user what a salesperson receives.  A test rebuilds them and
fails when the committed files are stale.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from kamplan.config import config_from_dict
from kamplan.model import HISTORY_COLUMNS
from kamplan.workbooks.targets.content import target_content
from kamplan.workbooks.targets.writer import write_target_workbook
from kamplan.workspace import default_config_text

TEMPLATE_STAMP = dt.datetime(2000, 1, 1)


def build_templates(out: Path) -> list[Path]:
    import yaml
    config = config_from_dict(yaml.safe_load(default_config_text()))
    rep = next(s for s in config.staff if config.accounts_of(s.id))
    history = pd.DataFrame(columns=HISTORY_COLUMNS)
    out = Path(out)
    written = []
    for lang in ("en", "zh-CN"):
        content = target_content(config, history, rep.id, 1, generated_at=TEMPLATE_STAMP,
                                 workbook_id="template", language=lang)
        path = out / f"targets_{lang}.xlsx"
        write_target_workbook(path, content)
        written.append(path)
    return written
