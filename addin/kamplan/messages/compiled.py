"""The compiled catalogue of a language, kept between runs.

Reading the ``.po`` files with Babel and compiling them takes about 0.4 s, longer than all of
``kamplan --help`` may take; reading a compiled ``.mo`` takes about a millisecond.  So the compiled
catalogue is kept in the user's cache folder (``KAMPLAN_CACHE_DIR``, else ``%LOCALAPPDATA%\\kamplan`` or
``$XDG_CACHE_HOME/kamplan``, ``~/.cache/kamplan``), named by the hash of every ``.po`` file it was made
from: a changed, added or removed file makes a new name, so a stale copy is never read.  The cache is never
a source of truth: a copy that cannot be read or written is ignored and the catalogue compiled in memory.
"""
from __future__ import annotations

import gettext
import hashlib
import io
import os
from pathlib import Path


def cache_folder() -> Path:
    """Where kamplan keeps what it can rebuild (the compiled catalogues, nothing else here)."""
    given = os.environ.get("KAMPLAN_CACHE_DIR")
    if given:
        return Path(given)
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "kamplan" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kamplan"


def load(folder: str, files: list[Path], domain: str) -> gettext.GNUTranslations:
    """The catalogue made of ``files`` (later files add to and override earlier ones), from the cache when
    a copy made of exactly these files is there, else compiled and stored there."""
    sources = [(path.name, path.read_bytes()) for path in files]
    digest = hashlib.sha256()
    for name, data in sources:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    kept = cache_folder() / "catalogue" / f"{folder}-{digest.hexdigest()[:32]}.mo"
    try:
        return gettext.GNUTranslations(io.BytesIO(kept.read_bytes()))
    except (OSError, ValueError, UnicodeDecodeError):  # none yet, unreadable, or damaged: compile it again
        pass
    compiled = _compile(folder, sources, domain)
    _keep(kept, compiled)
    return gettext.GNUTranslations(io.BytesIO(compiled))


def _compile(folder: str, sources: list[tuple[str, bytes]], domain: str) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    po = None
    for _name, data in sources:
        part = read_po(io.BytesIO(data), locale=folder, domain=domain)
        if po is None:
            po = part
            continue
        for message in part:
            if message.id:
                po[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, po, use_fuzzy=False)
    return buffer.getvalue()


def _keep(path: Path, data: bytes) -> None:
    """Keep the compiled catalogue; the copies made of earlier .po files go."""
    if write_atomically(path, data):
        for older in path.parent.glob(path.name.split("-")[0] + "-*.mo"):
            if older != path:
                older.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file renamed over it (a reader never sees half a file);
    False when the folder cannot be written: for a cache that only costs the next run the work again."""
    import tempfile
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True
