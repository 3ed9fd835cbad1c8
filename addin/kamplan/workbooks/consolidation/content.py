"""What the consolidation workbook shows; ``stages.plan`` builds it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from kamplan.config.schema import PlanConfig
from kamplan.engine.topdown import TopDownSpec
from kamplan.problems import Problem

LINE_COLUMNS = ("rep_id", "region_id", "cls", "account_id", "product_id", "quarter", "volume", "price", "revenue",
                "ly_volume", "ly_revenue", "own_volume", "own_revenue", "basis")


@dataclass
class ConsolidationContent:
    """Everything the consolidation workbook shows; the stage builds it."""
    config: PlanConfig
    year: int
    generated_at: dt.datetime
    version: dict  # id, kind ("bottom-up"/"top-down"/"undo"/"agreed"), created_at, by, description (and round,
    # instruction, summary: what the zh-CN workbook says the version is from, messages/versions.py)
    lines: pd.DataFrame  # one row per rep x account x product x quarter of the version shown (LINE_COLUMNS)
    status: pd.DataFrame  # rep_id, state ("submitted"/"missing"/"rejected"), file_name, at, reasons, last_good_file
    warnings: list[Problem]
    versions: pd.DataFrame  # id, kind, created_at, by, description, volume, revenue (and round, instruction, summary)
    instruction: TopDownSpec | None = None  # pre-fills the Top-down sheet

    @property
    def language(self) -> str:
        return self.config.language
