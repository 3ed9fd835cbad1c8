"""The demo after round 1 (every salesperson but the last returned a filled workbook), built once per
test session and copied for each test: what the VP's loop (consolidate, spread, quotas) starts from."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages.targets import collect_targets
from kamplan.workspace import Workspace
from support.workspaces import demo_workspace

_BUILT: dict[str, Path] = {}


def collected_workspace(tmp_path_factory, dest: Path) -> Workspace:
    if "ws" not in _BUILT:
        root = tmp_path_factory.mktemp("collected")
        ws = demo_workspace(root, "en", root / "ws")
        files = sorted((ws.outbox / "round-1").glob("*.xlsx"))
        rng = np.random.default_rng(5)
        for p in files[:-1]:
            fill_target_workbook(p, ws.inbox / p.name, rng)
        collect_targets(ws, [ws.inbox])
        ws.close()
        _BUILT["ws"] = root / "ws"
    shutil.copytree(_BUILT["ws"], dest)
    return Workspace.open(dest)
