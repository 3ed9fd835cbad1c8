"""A VP's workspace of the demo company (several regions) for the team-role tests: round 1 issued, filled,
collected and consolidated, on the workspace's own SQLite file or on the PostgreSQL database ``url``."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import yaml

from kamplan.config import config_from_dict
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages import plan
from kamplan.stages.targets import collect_targets, issue_targets
from kamplan.workspace import Workspace


def vp_workspace(root: Path, url: str | None) -> Workspace:
    data = demo_config_dict(language="en")
    root.mkdir()
    if url:
        (root / "workspace.yaml").write_text(yaml.safe_dump({"store_url": url}), encoding="utf-8")
    ws = Workspace.init(root, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    ws.store.replace_history(demo_history(config_from_dict(data)), source="test")
    files = issue_targets(ws, round_no=1, now=dt.datetime(2026, 12, 1, 10)).written
    rng = np.random.default_rng(4)
    for p in files:
        fill_target_workbook(p, ws.inbox / p.name, rng)
    collect_targets(ws, [ws.inbox], now=dt.datetime(2026, 12, 15, 10))
    plan.consolidate(ws, write_workbook=False)
    return ws
