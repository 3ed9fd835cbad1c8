"""What ``load_config`` read, kept next to the config so that the next command need not read it again.

Parsing the YAML of a 40,000-account company takes seconds even with libyaml; the same data as JSON
loads in a few hundredths of a second.  So after a config was read and checked, the mapping it was checked
from (the YAML with the rows of ``accounts_file`` and ``account_team_file`` merged in) is written to
``DIR/.kamplan/config-cache.json`` with the SHA-256 of every file it was made from.  The next load uses it
only when every one of those files still has the same hash and the copy was written by the same kamplan
version; it is checked against the schema again like any config.

The cache is never a source of truth: one that is stale, damaged, unreadable or of another version is
ignored (and replaced), one that cannot be written is not written, and deleting ``.kamplan/`` loses
nothing.  It is written atomically (a temporary file renamed over it), so a reader never sees half of it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from kamplan import __version__
from kamplan.messages import Message
from kamplan.messages.compiled import write_atomically

FOLDER = ".kamplan"
NAME = "config-cache.json"
FORMAT = 2  # of the file below; a copy of another format is ignored
NAME_OF_CONFIG = ""  # the config file's own entry in "sources" (the others are named relative to its folder)
_TAG = "$kamplan"  # marks a value JSON has no type for: {"$kamplan": "date", "value": "2026-12-20"}


def cache_path(config_path: Path) -> Path:
    return Path(config_path).parent / FOLDER / NAME


def read(config_path: Path, config_bytes: bytes) -> dict | None:
    """The mapping kept for the config whose file holds ``config_bytes``, or None when there is no usable copy."""
    try:
        kept = _loaded(cache_path(config_path).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None
    if not isinstance(kept, dict) or kept.get("format") != FORMAT or kept.get("kamplan") != __version__:
        return None
    sources = kept.get("sources")
    if not isinstance(sources, dict) or sources.get(NAME_OF_CONFIG) != _digest(config_bytes):
        return None
    base = Path(config_path).parent
    for name, digest in sources.items():
        if name != NAME_OF_CONFIG and _file_digest(base / name) != digest:
            return None
    data = kept.get("data")
    return data if isinstance(data, dict) else None


def write(config_path: Path, config_bytes: bytes, data: dict, files: list[Path]) -> bool:
    """Keep ``data`` (read from the config and ``files``) for the next load; False when it could not be
    kept (a value JSON cannot hold exactly, or a folder that cannot be written): nothing is lost then."""
    base = Path(config_path).parent
    sources = {NAME_OF_CONFIG: _digest(config_bytes)}
    for path in files:
        try:
            sources[Path(path).relative_to(base).as_posix()] = _file_digest(path)
        except ValueError:  # a file outside the workspace folder: named by its full path
            sources[str(Path(path).resolve())] = _file_digest(path)
    tagged: list[list] = []
    try:
        text = json.dumps({"format": FORMAT, "kamplan": __version__, "sources": sources,
                           "data": _encoded(data, [], tagged), "tagged": tagged},
                          ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        if _loaded(text)["data"] != data:  # kept only if it comes back the same
            return False
    except (TypeError, ValueError, KeyError, IndexError):
        return False
    return write_atomically(cache_path(config_path), text.encode("utf-8"))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str | None:
    """The file's hash; None for a file that is not there (so that one appearing makes the copy stale)."""
    try:
        return _digest(Path(path).read_bytes())
    except OSError:
        return None


def _encoded(value, path: list, tagged: list):
    """``value`` in JSON's types; a date, a time stamp and a catalogue Message (a team row's file › row) become
    tagged mappings whose paths are noted in ``tagged`` (so that reading need not look at every mapping);
    any other type is a TypeError (the copy is then not written)."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            _refuse(value)
        return {k: _encoded(v, [*path, k], tagged) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encoded(v, [*path, i], tagged) for i, v in enumerate(value)]
    if isinstance(value, Message):
        tagged.append(path)
        return {_TAG: "message", "key": value.key, "fields": _encoded(value.fields, [], [])}
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        tagged.append(path)
        return {_TAG: "datetime" if isinstance(value, dt.datetime) else "date", "value": value.isoformat()}
    return _refuse(value)


def _refuse(value):
    raise TypeError(f"not kept in the config cache: {type(value).__name__}")


def _loaded(text: str) -> dict:
    """The cache file's mapping with its tagged values made dates and Messages again."""
    kept = json.loads(text)
    data = kept["data"]
    for path in kept["tagged"]:
        if not path:
            raise ValueError("a tagged value is the whole config")
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = _decoded(parent[path[-1]])
    return kept


def _decoded(obj: dict):
    tag = obj.get(_TAG)
    if tag == "date":
        return dt.date.fromisoformat(obj["value"])
    if tag == "datetime":
        return dt.datetime.fromisoformat(obj["value"])
    if tag == "message":
        return Message(obj["key"], **obj["fields"])
    raise ValueError(f"unknown tag {tag!r}")
