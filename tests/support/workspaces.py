"""Building demo workspaces for tests (cached per language: issuing is the slow part)."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from kamplan.config import config_from_dict
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.stages.targets import issue_targets
from kamplan.workspace import Workspace

_CACHE: dict[str, Path] = {}


def demo_workspace(tmp_root: Path, language: str, dest: Path) -> Workspace:
    """A demo workspace with history loaded and round 1 issued, copied to ``dest``."""
    if language not in _CACHE:
        src = tmp_root / f"demo-{language}"
        data = demo_config_dict(language=language)
        with Workspace.init(src, yaml.safe_dump(data, allow_unicode=True, sort_keys=False)) as ws:
            ws.store.replace_history(demo_history(config_from_dict(data)), source="test")
            issue_targets(ws, round_no=1)
        _CACHE[language] = src
    shutil.copytree(_CACHE[language], dest)
    return Workspace.open(dest)
