"""A planning workspace: one company's config, store and in/out folders.

    DIR/kamplan.yaml     the planning config
    DIR/kamplan.db       the store (SQLite), unless ``store_url`` is set in DIR/workspace.yaml
    DIR/workspace.yaml   optional settings: ``store_url`` (any SQLAlchemy URL) for a shared store
    DIR/outbox/          workbooks that go out to people (one folder per round)
    DIR/inbox/           workbooks that come back (collect reads it by default)
    DIR/reports/         workbooks and exports for the VP and management

Three ways to open one:

* ``Workspace.open(root)``: for a command that changes the plan; the store's master data is
  made to match the config first (``Store.sync_master_data``).
* ``Workspace.open(root, sync=False)``: for a command that only reads or reports; nothing is
  written on opening (the store is still created or migrated if it must be, on first use).
* ``Workspace.open_readonly(root)``: for worksheet functions and anything that must never change
  the store: no master-data sync and a read-only store (``Store.open(..., readonly=True)``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kamplan.messages import Message

if TYPE_CHECKING:
    from kamplan.config import PlanConfig
    from kamplan.store import Store

# The store, SQLAlchemy, pydantic and YAML are imported when a workspace is opened, not when this module
# is: the command line imports it for CONFIG_NAME, and `kamplan --help` should not wait for them.
CONFIG_NAME = "kamplan.yaml"
STORE_NAME = "kamplan.db"  # kamplan.store.DEFAULT_FILE_NAME (tests/frontends/test_startup.py checks they agree)
SETTINGS_NAME = "workspace.yaml"


class WorkspaceError(Exception):
    pass


ROLES = ("vp", "regional_manager", "management")


def workspace_settings(root: Path) -> dict:
    """DIR/workspace.yaml as a mapping ({} when there is none); a file that cannot be read is a
    WorkspaceError naming it (and never a password in it)."""
    settings = root / SETTINGS_NAME
    if not settings.exists():
        return {}
    import yaml
    try:
        data = yaml.safe_load(settings.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise WorkspaceError(Message("workspace.settings-unreadable", settings=str(settings),
                                     reason=_masked(str(exc)))) from None
    if not isinstance(data, dict):
        raise WorkspaceError(Message("workspace.settings-shape", settings=str(settings), kind=type(data).__name__))
    return data


def workspace_role(root: Path, config: PlanConfig) -> tuple[str, str | None]:
    """(role, region) of the workspace: ``role:`` of workspace.yaml (default vp) and, for a regional
    manager, ``region:`` (a region id of the config)."""
    data, settings = workspace_settings(root), root / SETTINGS_NAME
    role = str(data.get("role") or "vp")
    if role not in ROLES:
        raise WorkspaceError(Message("workspace.role", settings=str(settings), role=repr(role), roles=", ".join(ROLES)))
    region = data.get("region")
    if role == "regional_manager":
        regions = [r.id for r in config.regions]
        if region not in regions:
            raise WorkspaceError(Message("workspace.region", settings=str(settings), region=repr(region),
                                         regions=", ".join(regions)))
        return role, str(region)
    if region is not None:
        raise WorkspaceError(Message("workspace.region-not-manager", settings=str(settings), role=role))
    return role, None


def store_target(root: Path) -> str | Path:
    """Where the store of the workspace ``root`` is: ``store_url`` of DIR/workspace.yaml, else DIR/kamplan.db.

    A workspace.yaml that cannot be read, or a ``store_url`` that is not a database URL, is a
    WorkspaceError naming the file and the key (and never the password)."""
    import sqlalchemy as sa
    settings = root / SETTINGS_NAME
    data = workspace_settings(root)
    url = data.get("store_url")
    if not url:
        return root / STORE_NAME
    if not isinstance(url, str) or "://" not in url:
        # the value is not shown: it is not a URL, so where a password in it would be cannot be told
        raise WorkspaceError(Message("workspace.url-not-text", settings=str(settings)))
    try:
        sa.make_url(url).port  # noqa: B018 -- a bad port fails here, with the key path
    except ValueError:
        raise WorkspaceError(Message("workspace.url-port", settings=str(settings), url=repr(_masked(url)))) from None
    except sa.exc.ArgumentError as exc:
        raise WorkspaceError(Message("workspace.url-invalid", settings=str(settings), kind=type(exc).__name__)) from None
    return url


def store_label(root: Path) -> str:
    """How to show the workspace's store to people: the file path, or the URL without its password."""
    target = store_target(root)
    return _masked(target) if isinstance(target, str) else str(target)


def _masked(text: str) -> str:
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def default_config_text() -> str:
    from importlib import resources
    return resources.files("kamplan").joinpath("data/default.yaml").read_text(encoding="utf-8")


@dataclass
class Workspace:
    root: Path
    config: PlanConfig
    readonly: bool = False  # the store is opened read-only (see open_readonly)
    create_store: bool = False  # only ``init`` creates a store: otherwise a missing one is an error
    role: str = "vp"  # workspace.yaml role: vp, regional_manager (with region) or management
    region: str | None = None
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
            from kamplan.store import Store
            target = self.store_target()
            source = f"store_url in {self.root / SETTINGS_NAME}" if isinstance(target, str) else None
            store = Store.open(target, readonly=self.readonly, create=self.create_store, source=source)
            try:
                store.check_company(self.config)
            except BaseException:
                store.close()
                raise
            self._store = store
        return self._store

    def store_target(self) -> str | Path:
        """Where the store is (a path, or a URL that may hold a password: show ``store_label()``)."""
        return store_target(self.root)

    def require_vp(self, what: str) -> None:
        """Refuse ``what`` (e.g. "agree the company plan") in a regional manager's or management's workspace."""
        if self.role != "vp":
            who = (Message("workspace.who-manager", region=self.region) if self.region
                   else Message("workspace.who-management"))
            raise WorkspaceError(Message("workspace.not-vp", who=who, role=self.role,
                                         settings=str(self.root / SETTINGS_NAME), what=what))

    def reps_in_scope(self) -> set[str] | None:
        """The salespeople this workspace acts for: those of its region, or None for all."""
        if self.region is None:
            return None
        return {s.id for s in self.config.staff if s.region == self.region}

    def store_label(self) -> str:
        """The store for people to read: its path, or its URL without the password."""
        return store_label(self.root)

    def close(self):
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @classmethod
    def open(cls, root: str | Path, *, sync: bool = True, create_store: bool = False) -> "Workspace":
        """The workspace in ``root`` with its config loaded.

        ``sync`` (the default, for commands that change the plan): make the store's master data
        match the config now.  ``sync=False``: write nothing on opening -- for commands that only
        read, so that a read-only command neither waits for nor takes the store's write lock.
        """
        root = _checked_root(root)
        config = _config(root)
        role, region = workspace_role(root, config)
        ws = cls(root, config, readonly=role == "management", create_store=create_store, role=role, region=region)
        # Only the VP's workspace makes the store's master data match its config: a regional manager's
        # sees (and on PostgreSQL may see) only its region, and management only reads.
        if sync and role == "vp":
            try:
                ws.store.sync_master_data(ws.config)
            except BaseException:
                ws.close()
                raise
        return ws

    @classmethod
    def open_readonly(cls, root: str | Path) -> "Workspace":
        """The workspace in ``root`` for reading only: no master-data sync, and its store (found
        through the workspace's settings like any command's) opens read-only, so ``writing()`` is
        refused and a missing or older store is a StoreError instead of being created or migrated."""
        root = _checked_root(root)
        config = _config(root)
        role, region = workspace_role(root, config)
        return cls(root, config, readonly=True, role=role, region=region)

    @classmethod
    def init(cls, root: str | Path, config_text: str | None = None) -> "Workspace":
        """Create the folders, the config (default unless given) and the store; never overwrites a config."""
        root = Path(root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        cfg = root / CONFIG_NAME
        if cfg.exists():
            raise WorkspaceError(Message("workspace.exists", config=str(cfg)))
        for sub in ("outbox", "inbox", "reports"):
            (root / sub).mkdir(exist_ok=True)
        cfg.write_text(config_text if config_text is not None else default_config_text(), encoding="utf-8")
        return cls.open(root, create_store=True)


def _config(root: Path) -> PlanConfig:
    from kamplan.config.load import load_config
    return load_config(root / CONFIG_NAME)


def _checked_root(root: str | Path) -> Path:
    root = Path(root).resolve()
    if not (root / CONFIG_NAME).exists():
        raise WorkspaceError(Message("workspace.not-a-workspace", root=str(root), config=CONFIG_NAME))
    return root
