"""A planning workspace: one company's config, store and in/out folders.

    DIR/kamplan.yaml     the planning config
    DIR/kamplan.db       the store (SQLite), unless ``store_url`` is set in DIR/workspace.yaml
    DIR/outbox/          workbooks that go out to people (one folder per round)
    DIR/inbox/           workbooks that come back (collect reads it by default)
    DIR/reports/         workbooks and exports for the VP and management
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from kamplan.config import PlanConfig, load_config
from kamplan.store import Store

CONFIG_NAME = "kamplan.yaml"
STORE_NAME = "kamplan.db"
SETTINGS_NAME = "workspace.yaml"


class WorkspaceError(Exception):
    pass


def default_config_text() -> str:
    return resources.files("kamplan").joinpath("data/default.yaml").read_text(encoding="utf-8")


@dataclass
class Workspace:
    root: Path
    config: PlanConfig
    _store: Store | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def round_outbox(self, round_no: int) -> Path:
        return self.outbox / f"round-{round_no}"

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.store_target())
        return self._store

    def store_target(self) -> str | Path:
        settings = self.root / SETTINGS_NAME
        if settings.exists():
            data = yaml.safe_load(settings.read_text(encoding="utf-8")) or {}
            if data.get("store_url"):
                return str(data["store_url"])
        return self.root / STORE_NAME

    def close(self):
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @classmethod
    def open(cls, root: str | Path) -> "Workspace":
        root = Path(root).resolve()
        if not (root / CONFIG_NAME).exists():
            raise WorkspaceError(f"{root} is not a kamplan workspace (no {CONFIG_NAME}); "
                                 f"create one with `kamplan init {root}` or pass --workspace DIR")
        ws = cls(root, load_config(root / CONFIG_NAME))
        ws.store.sync_master_data(ws.config)
        return ws

    @classmethod
    def init(cls, root: str | Path, config_text: str | None = None) -> "Workspace":
        """Create the folders, the config (default unless given) and the store; never overwrites a config."""
        root = Path(root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        cfg = root / CONFIG_NAME
        if cfg.exists():
            raise WorkspaceError(f"{cfg} already exists; this folder is already a workspace "
                                 "(nothing was changed)")
        for sub in ("outbox", "inbox", "reports"):
            (root / sub).mkdir(exist_ok=True)
        cfg.write_text(config_text if config_text is not None else default_config_text(), encoding="utf-8")
        return cls.open(root)
