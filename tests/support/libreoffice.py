"""Headless LibreOffice Calc as the test suite's spreadsheet client.

Usage (pytest's Python; UNO itself runs in a helper process under /usr/bin/python3)::

    with LibreOffice() as lo:
        result = lo.recalculate(Path("plan.xlsx"), save_as=Path("plan.recalc.xlsx"))
        assert not result.errors(), result.errors()
        assert result.value("Plan", "H14") == 1250.0
        lo.render_png(Path("plan.xlsx"), "Plan", Path("plan.png"))

One ``soffice --headless`` runs per ``LibreOffice`` instance, with a private user profile in
a temporary directory (recalculation forced on load, see SPREADSHEET_TESTING.md). A
long-lived ``lo_worker.py`` process talks UNO to it and answers JSON-line requests.
If soffice or the worker dies, the next call starts both again.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

UNO_PYTHON = "/usr/bin/python3"
MIN_MAJOR_VERSION = 24
WORKER = Path(__file__).with_name("lo_worker.py")

# LibreOffice FormulaError codes (formula/errorcodes.hxx) -> the error text Excel shows.
# The mapping follows LibreOffice's own xlsx export (XclTools::GetXclErrorCode); codes
# not listed keep LibreOffice's display text "Err:NNN" (its xlsx export writes #N/A).
ERROR_TEXT: dict[int, str] = {
    502: "#VALUE!",  # IllegalArgument
    503: "#NUM!",  # IllegalFPOperation
    504: "#VALUE!",  # IllegalParameter
    508: "#VALUE!",  # PairExpected
    509: "#VALUE!",  # OperatorExpected
    510: "#VALUE!",  # VariableExpected
    511: "#VALUE!",  # ParameterExpected
    519: "#VALUE!",  # NoValue
    521: "#NULL!",  # NoCode
    522: "#VALUE!",  # CircularReference
    524: "#REF!",  # NoRef
    525: "#NAME?",  # NoName
    530: "#NAME?",  # NoAddin
    531: "#NAME?",  # NoMacro
    532: "#DIV/0!",  # DivisionByZero
    32767: "#N/A",  # NotAvailable
}

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


class LibreOfficeError(RuntimeError):
    """soffice or the UNO worker failed; the message carries their stderr."""


class _ProcessLost(LibreOfficeError):
    """soffice or the worker died during a call (the call is retried once after a restart)."""


def error_text(code: int, display: str | None = None) -> str:
    """Excel error text for a LibreOffice error code (``525`` -> ``"#NAME?"``)."""
    if code in ERROR_TEXT:
        return ERROR_TEXT[code]
    return display or f"Err:{code}"


def normalize_ref(ref: str) -> str:
    """``"$h$14"`` -> ``"H14"``."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(f"not an A1 cell reference: {ref!r}")
    return f"{m.group(1).upper()}{int(m.group(2))}"


# ---------------------------------------------------------------------------- results
@dataclass
class CellResult:
    sheet: str
    ref: str  # plain A1, e.g. "H14"
    formula: str  # as LibreOffice's API reports it (English names, ";" separators)
    value: float | str | None  # None when the result is an error
    error: str | None  # Excel text ("#NAME?", "#DIV/0!", ...) or None
    error_code: int | None = None  # LibreOffice's FormulaError code (525, 532, ...)

    def __str__(self) -> str:
        shown = self.error if self.error else repr(self.value)
        return f"'{self.sheet}'!{self.ref} {self.formula} -> {shown}"


@dataclass
class Recalc:
    cells: dict[tuple[str, str], CellResult]  # (sheet, "A1") -> result, every formula cell
    sheets: list[str] = field(default_factory=list)  # all sheets in workbook order
    hidden_sheets: list[str] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict)  # seconds spent inside LibreOffice

    def errors(self) -> list[CellResult]:
        """Formula cells whose recalculated result is an error."""
        return [c for c in self.cells.values() if c.error is not None]

    def cell(self, sheet: str, ref: str) -> CellResult:
        key = (sheet, normalize_ref(ref))
        try:
            return self.cells[key]
        except KeyError:
            if sheet not in self.sheets:
                raise KeyError(f"no sheet {sheet!r}; sheets: {self.sheets}") from None
            raise KeyError(f"'{sheet}'!{key[1]} is not a formula cell") from None

    def value(self, sheet: str, ref: str) -> float | str | None:
        """Recalculated value of a formula cell; raises ``ValueError`` if it is an error."""
        c = self.cell(sheet, ref)
        if c.error is not None:
            raise ValueError(f"formula cell has an error: {c}")
        return c.value

    def formulas(self, sheet: str) -> dict[str, CellResult]:
        return {ref: c for (s, ref), c in self.cells.items() if s == sheet}


# ---------------------------------------------------------------------------- discovery
def _soffice_candidates() -> list[str]:
    found = []
    for name in ("soffice", "libreoffice"):
        p = shutil.which(name)
        if p:
            found.append(p)
    found += ["/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"]
    found += sorted(str(p) for p in Path("/opt").glob("libreoffice*/program/soffice"))
    return list(dict.fromkeys(found))


def soffice_version(soffice: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([soffice, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"LibreOffice\s+(\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(g) for g in m.groups() if g is not None) if m else None


@functools.lru_cache(maxsize=1)
def find_soffice() -> str | None:
    """Path of soffice if LibreOffice >= 24 is installed and /usr/bin/python3 can ``import uno``."""
    try:
        ok = subprocess.run([UNO_PYTHON, "-c", "import uno"], env=_clean_env(),
                            capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    if not ok:
        return None
    for cand in _soffice_candidates():
        if os.access(cand, os.X_OK):
            version = soffice_version(cand)
            if version and version[0] >= MIN_MAJOR_VERSION:
                return cand
    return None


def _clean_env() -> dict[str, str]:
    """Environment for the system python3 / soffice: no pyenv/venv Python leaking in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH")}
    env.setdefault("LANG", "C.UTF-8")
    env["SAL_USE_VCLPLUGIN"] = "svp"
    return env


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return text[-limit:].strip()


# ---------------------------------------------------------------------------- profile
# (node path, property, value) written into the private profile; OOXMLRecalcMode /
# ODFRecalcMode 0 = "always recalculate" on load, even if the file carries cached results.
_PROFILE_SETTINGS = (
    ("/org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode", "0"),
    ("/org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode", "0"),
    ("/org.openoffice.Office.Recovery/AutoSave", "Enabled", "false"),
    ("/org.openoffice.Office.Recovery/RecoveryInfo", "Enabled", "false"),
)
_RECALC_ITEMS = "".join(
    f'<item oor:path="{node}"><prop oor:name="{prop}" oor:op="fuse"><value>{value}</value></prop></item>\n'
    for node, prop, value in _PROFILE_SETTINGS
)
_XCU_SKELETON = """\
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
</oor:items>
"""


def _force_recalc_in_profile(profile: Path) -> None:
    """Always recalculate xlsx/ods on load (default: trust cached values)."""
    xcu = profile / "user" / "registrymodifications.xcu"
    xcu.parent.mkdir(parents=True, exist_ok=True)
    text = xcu.read_text(encoding="utf-8") if xcu.exists() else _XCU_SKELETON
    # idempotent: drop our own items from an earlier start before adding them again
    text = re.sub(r'<item oor:path="/org\.openoffice\.Office\.(?:Calc/Formula/Load|Recovery/AutoSave|'
                  r'Recovery/RecoveryInfo)"><prop oor:name="(?:OOXMLRecalcMode|ODFRecalcMode|Enabled)"'
                  r'.*?</item>\n?', "", text)
    if "</oor:items>" not in text:
        raise LibreOfficeError(f"unexpected registrymodifications.xcu in {profile}")
    text = text.replace("</oor:items>", _RECALC_ITEMS + "</oor:items>")
    xcu.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------- harness
class LibreOffice:
    """One long-lived headless soffice plus a UNO worker; use as a context manager."""

    def __init__(self, soffice: str | None = None, *, timeout: float = 120.0,
                 connect_timeout: float = 30.0) -> None:
        self.soffice = soffice or find_soffice()
        if self.soffice is None:
            raise LibreOfficeError("LibreOffice >= 24 with python3-uno not found "
                                   "(run .ci/install-libreoffice.sh)")
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.version: str | None = None
        self.startup_seconds: float | None = None
        self._tmp: Path | None = None
        self._soffice: subprocess.Popen | None = None
        self._worker: subprocess.Popen | None = None
        self._replies: queue.Queue | None = None
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._starts = 0

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LibreOffice:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def tmpdir(self) -> Path:
        if self._tmp is None:
            raise LibreOfficeError("LibreOffice is not started")
        return self._tmp

    @property
    def profile_dir(self) -> Path:
        return self.tmpdir / "profile"

    @property
    def soffice_pid(self) -> int | None:
        return self._soffice.pid if self._soffice else None

    def alive(self) -> bool:
        return (self._soffice is not None and self._soffice.poll() is None
                and self._worker is not None and self._worker.poll() is None)

    def start(self) -> None:
        with self._lock:
            if self.alive():
                return
            self._stop_processes()
            t0 = time.perf_counter()
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix="kamplan-lo-"))
            try:
                self._init_profile()
                self._start_soffice()
                self._start_worker()
            except BaseException:
                self.close()
                raise
            self._starts += 1
            self.startup_seconds = time.perf_counter() - t0

    def close(self) -> None:
        """Terminate soffice and the worker (even after errors) and delete the profile."""
        with self._lock:
            if self._worker is not None and self._worker.poll() is None:
                try:
                    self._send({"id": 0, "op": "quit"})
                    self._worker.wait(timeout=10)
                    if self._soffice is not None:
                        self._soffice.wait(timeout=10)  # desktop.terminate() lets it exit cleanly
                except (OSError, subprocess.TimeoutExpired, ValueError):
                    pass
            self._stop_processes()
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None

    def _stop_processes(self) -> None:
        for attr in ("_worker", "_soffice"):
            proc: subprocess.Popen | None = getattr(self, attr)
            if proc is None:
                continue
            _kill_group(proc, grace=5.0 if attr == "_soffice" else 2.0)
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass
            setattr(self, attr, None)

    def _soffice_args(self, *extra: str) -> list[str]:
        return [self.soffice, f"-env:UserInstallation={self.profile_dir.as_uri()}",
                "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                "--nolockcheck", *extra]

    def _init_profile(self) -> None:
        marker = self.profile_dir / "user" / "registrymodifications.xcu"
        if not marker.exists():
            log = self.tmpdir / "soffice-init.log"
            with open(log, "wb") as fh:
                try:
                    proc = subprocess.run(self._soffice_args("--terminate_after_init"),
                                          stdout=fh, stderr=subprocess.STDOUT, env=_clean_env(),
                                          timeout=120, start_new_session=True)
                except subprocess.TimeoutExpired:
                    raise LibreOfficeError(f"creating the profile timed out:\n{_tail(log)}") from None
            if proc.returncode != 0 or not marker.exists():
                raise LibreOfficeError(
                    f"creating the LibreOffice profile failed (exit {proc.returncode}):\n{_tail(log)}")
        _force_recalc_in_profile(self.profile_dir)

    def _start_soffice(self) -> None:
        self._pipe = f"kamplan_lo_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        self._soffice_log = self.tmpdir / "soffice.log"
        with open(self._soffice_log, "ab") as fh:
            self._soffice = subprocess.Popen(
                self._soffice_args(f"--accept=pipe,name={self._pipe};urp;"),
                stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                env=_clean_env(), start_new_session=True)

    def _start_worker(self) -> None:
        self._worker_log = self.tmpdir / "worker.log"
        with open(self._worker_log, "ab") as fh:
            self._worker = subprocess.Popen(
                [UNO_PYTHON, str(WORKER), "--pipe", self._pipe,
                 "--soffice-pgid", str(self._soffice.pid), "--cleanup-dir", str(self.tmpdir),
                 "--connect-timeout", str(self.connect_timeout)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=fh,
                env=_clean_env(), start_new_session=True, text=True, encoding="utf-8", bufsize=1)
        self._replies = queue.Queue()
        threading.Thread(target=_pump, args=(self._worker.stdout, self._replies),
                         daemon=True, name="lo-worker-reader").start()
        hello = self._receive(self.connect_timeout + 30, what="connecting to soffice")
        if not hello.get("ready"):
            raise LibreOfficeError(self._diagnose(f"UNO worker could not connect: {hello.get('error')}"))
        self.version = hello.get("version")

    # ------------------------------------------------------------------ protocol
    def _send(self, request: dict) -> None:
        assert self._worker is not None and self._worker.stdin is not None
        self._worker.stdin.write(json.dumps(request) + "\n")
        self._worker.stdin.flush()

    def _receive(self, timeout: float, what: str) -> dict:
        assert self._replies is not None
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._replies.get(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    msg = self._diagnose(f"timed out after {timeout:.0f} s {what}")
                    self._stop_processes()
                    raise LibreOfficeError(msg) from None
                if self._soffice is not None and self._soffice.poll() is not None:
                    msg = self._diagnose(f"soffice exited ({self._soffice.returncode}) while {what}")
                    self._stop_processes()
                    raise _ProcessLost(msg) from None
                continue
            if line is None:
                msg = self._diagnose(f"UNO worker exited while {what}")
                self._stop_processes()
                raise _ProcessLost(msg)
            try:
                return json.loads(line)
            except ValueError:
                continue  # not protocol output; the worker only writes JSON on this fd

    def _diagnose(self, message: str) -> str:
        parts = [message]
        for label, proc, log in (("soffice", self._soffice, getattr(self, "_soffice_log", None)),
                                 ("worker", self._worker, getattr(self, "_worker_log", None))):
            if proc is not None:
                state = "running" if proc.poll() is None else f"exit code {proc.returncode}"
                parts.append(f"--- {label} (pid {proc.pid}, {state}) output:")
                parts.append(_tail(log) if log else "")
        return "\n".join(parts)

    def _call(self, op: str, timeout: float | None = None, **payload) -> dict:
        """Send one request; if soffice or the worker died, restart both and retry once."""
        with self._lock:
            if self._tmp is None:
                raise LibreOfficeError("LibreOffice is not started (use it as a context manager)")
            for attempt in (1, 2):
                try:
                    return self._call_once(op, timeout or self.timeout, payload)
                except _ProcessLost:
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def _call_once(self, op: str, timeout: float, payload: dict) -> dict:
        if not self.alive():
            self.start()  # soffice or worker died earlier: start afresh
        request = {"id": next(self._ids), "op": op, **payload}
        what = f"running {op!r} on {payload.get('path', '')}"
        try:
            self._send(request)
        except (OSError, ValueError) as exc:
            msg = self._diagnose(f"could not send {op!r} to the UNO worker: {exc}")
            self._stop_processes()
            raise _ProcessLost(msg) from exc
        while True:
            reply = self._receive(timeout, what)
            if reply.get("id") == request["id"]:
                break
        if reply.get("ok"):
            return reply["result"]
        msg = f"LibreOffice {op!r} failed for {payload.get('path', '')}: {reply.get('error')}"
        if reply.get("fatal"):  # the UNO bridge is gone: soffice died
            msg = self._diagnose(msg)
            self._stop_processes()
            raise _ProcessLost(f"{msg}\n{reply.get('traceback', '')}".rstrip())
        raise LibreOfficeError(f"{msg}\n{reply.get('traceback', '')}".rstrip())

    # ------------------------------------------------------------------ API
    def ping(self) -> str:
        return self._call("ping", timeout=30)["version"]

    def recalculate(self, xlsx: Path, save_as: Path | None = None) -> Recalc:
        """Load hidden, ``calculateAll()``, collect every formula cell; optionally store as xlsx."""
        xlsx = Path(xlsx).resolve()
        if not xlsx.is_file():
            raise FileNotFoundError(xlsx)
        payload = {"path": str(xlsx), "save_as": str(Path(save_as).resolve()) if save_as else None}
        result = self._call("recalc", **payload)
        cells: dict[tuple[str, str], CellResult] = {}
        for sheet, ref, formula, value, code, display in result["cells"]:
            err = error_text(code, display) if code is not None else None
            cells[(sheet, ref)] = CellResult(sheet, ref, formula, None if err else value, err, code)
        sheets = [name for name, _visible in result["sheets"]]
        hidden = [name for name, visible in result["sheets"] if not visible]
        return Recalc(cells=cells, sheets=sheets, hidden_sheets=hidden, timing=result["timing"])

    def edit(self, xlsx: Path, edits: list[tuple[str, str, str, object]], save_as: Path) -> Path:
        """Open ``xlsx``, type ``edits`` ((sheet, ref, "text" | "number" | "formula", value)) into its cells,
        recalculate and save as ``save_as`` (xlsx): the file a LibreOffice user returns."""
        xlsx = Path(xlsx).resolve()
        if not xlsx.is_file():
            raise FileNotFoundError(xlsx)
        self._call("edit", path=str(xlsx), edits=[list(e) for e in edits], save_as=str(Path(save_as).resolve()))
        return Path(save_as)

    def export_pdf(self, xlsx: Path, sheet: str, out_pdf: Path, *, fit_to_page: bool = False) -> Path:
        """PDF of one sheet only (all other sheets hidden in the unsaved, loaded copy)."""
        xlsx = Path(xlsx).resolve()
        if not xlsx.is_file():
            raise FileNotFoundError(xlsx)
        out_pdf = Path(out_pdf).resolve()
        self._call("pdf", path=str(xlsx), sheet=sheet, pdf=str(out_pdf), fit_to_page=fit_to_page)
        if not out_pdf.is_file() or out_pdf.stat().st_size == 0:
            raise LibreOfficeError(f"PDF export of {xlsx} [{sheet}] produced no file")
        return out_pdf

    def render_png(self, xlsx: Path, sheet: str, out_png: Path, dpi: int = 80, *,
                   fit_to_page: bool = False) -> Path:
        """Render the first page of one sheet to a PNG (via PDF and ``pdftoppm``)."""
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm is None:
            raise LibreOfficeError("pdftoppm not found (apt-get install poppler-utils)")
        out_png = Path(out_png).resolve()
        out_png.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="render-", dir=self.tmpdir))
        try:
            pdf = self.export_pdf(xlsx, sheet, work / "sheet.pdf", fit_to_page=fit_to_page)
            prefix = work / "page"
            proc = subprocess.run([pdftoppm, "-png", "-r", str(dpi), "-singlefile", str(pdf), str(prefix)],
                                  capture_output=True, text=True, timeout=120)
            png = prefix.with_suffix(".png")
            if proc.returncode != 0 or not png.is_file():
                raise LibreOfficeError(f"pdftoppm failed ({proc.returncode}): {proc.stderr.strip()}")
            shutil.move(str(png), out_png)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return out_png


def _pump(stream, replies: queue.Queue) -> None:
    try:
        for line in stream:
            replies.put(line)
    except (OSError, ValueError):
        pass
    finally:
        replies.put(None)


def _kill_group(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM then SIGKILL the process group led by ``proc`` (started with a new session)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # soffice.bin is a grandchild (soffice script -> oosplash -> soffice.bin): make sure
    # nothing of the group survives even if the leader has already exited.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


# ---------------------------------------------------------------------------- what a file shows as it is
def convert_as_opened(paths: list[Path], out_dir: Path, fmt: str = "pdf", timeout: float = 900.0) -> dict[Path, Path]:
    """Convert ``paths`` with ``soffice --convert-to`` under a fresh *default* profile (no forced
    recalculation: LibreOffice shows each formula's saved result, as a person opening the file sees it).
    One soffice process for all files; the profile is private to this call, so parallel test processes
    do not share it.  Returns source -> converted file."""
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError("LibreOffice not found")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="lo-default-profile-"))
    try:
        base = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
        # a fresh profile restarts once on its first start: create it before converting
        subprocess.run(base + ["--terminate_after_init"], capture_output=True, timeout=120, env=_clean_env())
        proc = subprocess.run(base + ["--convert-to", fmt, "--outdir", str(out_dir), *map(str, paths)],
                              capture_output=True, text=True, timeout=timeout, env=_clean_env())
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = {Path(p): out_dir / (Path(p).stem + "." + fmt.split(":")[0]) for p in paths}
    missing = [str(p) for p, o in out.items() if not o.is_file()]
    if missing:
        raise LibreOfficeError(f"soffice --convert-to {fmt} made no file for {missing}: {proc.stderr[-2000:]}")
    return out


@dataclass
class PdfWord:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class PdfPage:
    number: int  # 1-based
    width: float
    height: float
    words: list[PdfWord]

    def body(self, margin: float = 40.0) -> list[PdfWord]:
        """Words inside the sheet area (not in the header and footer margins)."""
        return [w for w in self.words if w.y0 > margin and w.y1 < self.height - margin]

    def footer(self, margin: float = 50.0) -> str:
        """The line of text in the bottom margin (the page footer)."""
        # a chart's rotated axis title reaches into the margin too: its words are taller than wide
        low = [w for w in self.words if w.y0 >= self.height - margin and w.height < 16
               and (len(w.text) < 3 or (w.x1 - w.x0) >= 0.5 * w.height)]
        if not low:
            return ""
        # the footer is the fullest line there (a chart's label may reach below it)
        lines = [[w for w in low if abs(w.y1 - base.y1) < 4] for base in low]
        line = max(lines, key=len)
        return " ".join(w.text for w in sorted(line, key=lambda w: w.x0))

    def text(self) -> str:
        return " ".join(w.text for w in self.words)


_BBOX_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_BBOX_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pdf_pages(pdf: Path) -> list[PdfPage]:
    """The words of every page of ``pdf`` with their boxes (``pdftotext -bbox``, poppler-utils)."""
    import html
    tool = shutil.which("pdftotext")
    if tool is None:
        raise LibreOfficeError("pdftotext not found (apt-get install poppler-utils)")
    proc = subprocess.run([tool, "-bbox", str(pdf), "-"], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise LibreOfficeError(f"pdftotext failed: {proc.stderr}")
    pages = []
    for i, m in enumerate(_BBOX_PAGE.finditer(proc.stdout), start=1):
        words = [PdfWord(html.unescape(w[4]), *map(float, w[:4])) for w in _BBOX_WORD.findall(m.group(3))]
        pages.append(PdfPage(i, float(m.group(1)), float(m.group(2)), words))
    return pages
