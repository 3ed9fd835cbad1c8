#!/usr/bin/python3
"""UNO worker for the LibreOffice test harness (runs under the *system* python3).

Started once per test session by ``support.libreoffice.LibreOffice``::

    /usr/bin/python3 lo_worker.py --pipe NAME [--soffice-pgid PGID] [--connect-timeout 30]

It connects to a headless soffice listening on ``--accept=pipe,name=NAME;urp;``, then
speaks JSON lines: one request per line on stdin, one reply per line on stdout.

Requests ``{"id": 1, "op": "recalc", "path": "/abs/in.xlsx", "save_as": null}``,
``{"id": 2, "op": "pdf", "path": ..., "sheet": "Plan", "pdf": "/abs/out.pdf"}``,
``{"id": 3, "op": "ping"}`` and ``{"id": 4, "op": "quit"}``.
Replies ``{"id": 1, "ok": true, "result": {...}}`` or
``{"id": 1, "ok": false, "error": "...", "traceback": "..."}``.
The first line written is a handshake: ``{"ready": true, "version": "25.2"}`` or
``{"ready": false, "error": "..."}``.

Only this module imports ``uno``; keep it free of third-party imports.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

# Everything printed by UNO, LibreOffice or stray print() goes to stderr; only
# the JSON protocol uses the real stdout (a private duplicate of fd 1).
_PROTOCOL_OUT = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

import uno  # noqa: E402  (system python3 with python3-uno only)
from com.sun.star.beans import PropertyValue  # noqa: E402
from com.sun.star.connection import NoConnectException  # noqa: E402
from com.sun.star.lang import DisposedException  # noqa: E402

CELLFLAG_FORMULA = 16  # com.sun.star.sheet.CellFlags.FORMULA
FORMULA_RESULT_ERROR = 4  # com.sun.star.sheet.FormulaResult.ERROR
XLSX_FILTER = "Calc Office Open XML"
PDF_FILTER = "calc_pdf_Export"
# Bounding box of all formula cells of a sheet is fetched in one getFormulaArray /
# getDataArray call unless it is much larger than the formula ranges themselves.
MAX_BOX_CELLS = 400_000


def send(obj: dict) -> None:
    _PROTOCOL_OUT.write(json.dumps(obj, ensure_ascii=False) + "\n")
    _PROTOCOL_OUT.flush()


def props(**kwargs) -> tuple:
    out = []
    for name, value in kwargs.items():
        pv = PropertyValue()
        pv.Name = name
        pv.Value = value
        out.append(pv)
    return tuple(out)


def col_letters(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def lock_file(path: Path) -> Path:
    return path.with_name(f".~lock.{path.name}#")


def remove_lock(path: Path) -> None:
    try:
        lock_file(path).unlink()
    except FileNotFoundError:
        pass


class Worker:
    def __init__(self, pipe: str, connect_timeout: float) -> None:
        self.pipe = pipe
        self.connect_timeout = connect_timeout
        self.ctx = None
        self.desktop = None

    # ------------------------------------------------------------------ connection
    def connect(self) -> None:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + self.connect_timeout
        last: Exception | None = None
        while True:
            try:
                self.ctx = resolver.resolve(url)
                smgr = self.ctx.ServiceManager
                self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
                if self.desktop is None:
                    raise RuntimeError("com.sun.star.frame.Desktop could not be created")
                return
            except NoConnectException as exc:  # soffice not listening yet
                last = exc
            except Exception as exc:  # bridge disposed during first start, etc.
                last = exc
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"could not connect to soffice on pipe {self.pipe!r} within "
                    f"{self.connect_timeout:.0f} s: {type(last).__name__}: {getattr(last, 'Message', last)}"
                )
            time.sleep(0.1)

    def version(self) -> str:
        try:
            cp = self.ctx.ServiceManager.createInstanceWithContext(
                "com.sun.star.configuration.ConfigurationProvider", self.ctx
            )
            node = cp.createInstanceWithArguments(
                "com.sun.star.configuration.ConfigurationAccess",
                props(nodepath="/org.openoffice.Setup/Product"),
            )
            return str(node.getByName("ooSetupVersionAboutBox"))
        except Exception:
            return "unknown"

    # ------------------------------------------------------------------ documents
    def load(self, path: Path):
        if not path.is_file():
            raise FileNotFoundError(f"no such workbook: {path}")
        # A stale lock file makes loadComponentFromURL return None silently.
        remove_lock(path)
        args = dict(Hidden=True, ReadOnly=False, MacroExecutionMode=0, UpdateDocMode=0)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            args["FilterName"] = XLSX_FILTER
        doc = self.desktop.loadComponentFromURL(path.resolve().as_uri(), "_blank", 0, props(**args))
        if doc is None:
            raise RuntimeError(f"LibreOffice could not load {path} (loadComponentFromURL returned None)")
        if not hasattr(doc, "getSheets"):
            self.close(doc, path)
            raise RuntimeError(f"{path} did not open as a spreadsheet")
        return doc

    def close(self, doc, path: Path) -> None:
        try:
            doc.close(True)
        except Exception:
            try:
                doc.dispose()
            except Exception:
                pass
        remove_lock(path)

    # ------------------------------------------------------------------ operations
    def op_ping(self, req: dict) -> dict:
        return {"version": self.version()}

    def op_recalc(self, req: dict) -> dict:
        path = Path(req["path"])
        t0 = time.perf_counter()
        doc = self.load(path)
        try:
            t1 = time.perf_counter()
            doc.calculateAll()
            t2 = time.perf_counter()
            sheets, cells = self.collect(doc)
            t3 = time.perf_counter()
            if req.get("save_as"):
                out = Path(req["save_as"])
                out.parent.mkdir(parents=True, exist_ok=True)
                doc.storeToURL(out.resolve().as_uri(), props(FilterName=XLSX_FILTER, Overwrite=True))
                remove_lock(out)
            t4 = time.perf_counter()
        finally:
            self.close(doc, path)
        timing = {"load": t1 - t0, "calc": t2 - t1, "collect": t3 - t2, "store": t4 - t3}
        return {"sheets": sheets, "cells": cells, "timing": timing}

    def op_edit(self, req: dict) -> dict:
        """Type values into cells as a user would (``edits``: [sheet, ref, kind, value], kind text / number /
        formula), recalculate and store as xlsx under ``save_as``: a workbook filled by LibreOffice itself."""
        path, out = Path(req["path"]), Path(req["save_as"])
        doc = self.load(path)
        try:
            sheets = doc.getSheets()
            for sheet_name, ref, kind, value in req["edits"]:
                cell = sheets.getByName(sheet_name).getCellRangeByName(ref)
                if kind == "number":
                    cell.setValue(float(value))
                elif kind == "formula":
                    cell.setFormula(str(value))
                else:
                    cell.setString(str(value))
            doc.calculateAll()
            out.parent.mkdir(parents=True, exist_ok=True)
            doc.storeToURL(out.resolve().as_uri(), props(FilterName=XLSX_FILTER, Overwrite=True))
            remove_lock(out)
        finally:
            self.close(doc, path)
        return {"edited": len(req["edits"])}

    def op_pdf(self, req: dict) -> dict:
        path = Path(req["path"])
        sheet_name = req["sheet"]
        doc = self.load(path)
        try:
            sheets = doc.getSheets()
            if not sheets.hasByName(sheet_name):
                raise KeyError(f"no sheet {sheet_name!r} in {path}; sheets: {list(sheets.getElementNames())}")
            target = sheets.getByName(sheet_name)
            doc.calculateAll()  # never print stale cached results (e.g. XlsxWriter's 0)
            # Hidden sheets are not printed: show the target first (a workbook must
            # keep one visible sheet), then hide every other sheet.
            target.IsVisible = True
            for name in sheets.getElementNames():
                if name != sheet_name:
                    sheets.getByName(name).IsVisible = False
            try:
                controller = doc.getCurrentController()
                if controller is not None:
                    controller.setActiveSheet(target)
            except Exception:
                pass
            if req.get("fit_to_page"):
                style = doc.getStyleFamilies().getByName("PageStyles").getByName(target.PageStyle)
                style.ScaleToPagesX = 1
                style.ScaleToPagesY = 1
            out = Path(req["pdf"])
            out.parent.mkdir(parents=True, exist_ok=True)
            doc.storeToURL(out.resolve().as_uri(), props(FilterName=PDF_FILTER, Overwrite=True))
        finally:
            self.close(doc, path)
        return {"pdf": str(out)}

    # ------------------------------------------------------------------ collection
    def collect(self, doc) -> tuple[list[list], list[list]]:
        """Every formula cell of every sheet as [sheet, ref, formula, value, err_code, err_text]."""
        sheets_out: list[list] = []
        cells: list[list] = []
        sheets = doc.getSheets()
        for index in range(sheets.getCount()):
            sheet = sheets.getByIndex(index)
            name = sheet.getName()
            sheets_out.append([name, bool(sheet.IsVisible)])
            addrs = sheet.queryContentCells(CELLFLAG_FORMULA).getRangeAddresses()
            if not addrs:
                continue
            errors: dict[tuple[int, int], tuple[int, str]] = {}
            for a in sheet.queryFormulaCells(FORMULA_RESULT_ERROR).getRangeAddresses():
                for r in range(a.StartRow, a.EndRow + 1):
                    for c in range(a.StartColumn, a.EndColumn + 1):
                        cell = sheet.getCellByPosition(c, r)
                        errors[(r, c)] = (int(cell.getError()), cell.getString())

            c0 = min(a.StartColumn for a in addrs)
            c1 = max(a.EndColumn for a in addrs)
            r0 = min(a.StartRow for a in addrs)
            r1 = max(a.EndRow for a in addrs)
            if (c1 - c0 + 1) * (r1 - r0 + 1) <= MAX_BOX_CELLS:
                blocks = [(c0, r0, c1, r1)]
            else:
                blocks = [(a.StartColumn, a.StartRow, a.EndColumn, a.EndRow) for a in addrs]
            arrays = []
            for bc0, br0, bc1, br1 in blocks:
                rng = sheet.getCellRangeByPosition(bc0, br0, bc1, br1)
                arrays.append((bc0, br0, bc1, br1, rng.getFormulaArray(), rng.getDataArray()))

            def lookup(r: int, c: int):
                for bc0, br0, bc1, br1, formulas, data in arrays:
                    if br0 <= r <= br1 and bc0 <= c <= bc1:
                        return formulas[r - br0][c - bc0], data[r - br0][c - bc0]
                raise LookupError((r, c))

            for a in addrs:
                for r in range(a.StartRow, a.EndRow + 1):
                    for c in range(a.StartColumn, a.EndColumn + 1):
                        formula, value = lookup(r, c)
                        err = errors.get((r, c))
                        if err is not None:
                            value = None
                        elif not isinstance(value, (int, float, str)):
                            value = None
                        cells.append(
                            [name, f"{col_letters(c)}{r + 1}", formula, value,
                             err[0] if err else None, err[1] if err else None]
                        )
        return sheets_out, cells


def _terminate_soffice(worker: Worker, pgid: int | None) -> None:
    try:
        if worker.desktop is not None:
            worker.desktop.terminate()
    except Exception:
        pass
    if pgid:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipe", required=True)
    parser.add_argument("--soffice-pgid", type=int, default=None,
                        help="process group of soffice; killed when stdin closes (parent died)")
    parser.add_argument("--connect-timeout", type=float, default=30.0)
    parser.add_argument("--cleanup-dir", default=None,
                        help="temporary directory (profile) removed when stdin closes (parent died)")
    args = parser.parse_args()

    worker = Worker(args.pipe, args.connect_timeout)
    try:
        worker.connect()
    except Exception as exc:
        send({"ready": False, "error": str(exc), "traceback": traceback.format_exc()})
        return 2
    send({"ready": True, "version": worker.version()})

    ops = {"recalc": worker.op_recalc, "pdf": worker.op_pdf, "ping": worker.op_ping, "edit": worker.op_edit}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
        except ValueError as exc:
            send({"id": None, "ok": False, "error": f"bad request: {exc}", "traceback": ""})
            continue
        op = req.get("op")
        if op == "quit":
            send({"id": req.get("id"), "ok": True, "result": {}})
            _terminate_soffice(worker, None)
            return 0
        handler = ops.get(op)
        if handler is None:
            send({"id": req.get("id"), "ok": False, "error": f"unknown op {op!r}", "traceback": ""})
            continue
        try:
            result = handler(req)
        except Exception as exc:  # pyuno exceptions derive from Exception
            msg = getattr(exc, "Message", "") or str(exc)
            # A disposed bridge means soffice is gone: tell the parent, which
            # restarts soffice and this worker, and stop.
            fatal = isinstance(exc, DisposedException)
            send({"id": req.get("id"), "ok": False, "fatal": fatal,
                  "error": f"{type(exc).__name__}: {msg}", "traceback": traceback.format_exc()})
            if fatal:
                return 3
        else:
            send({"id": req.get("id"), "ok": True, "result": result})
    # stdin closed without "quit": the parent is gone, do not leave soffice behind.
    _terminate_soffice(worker, args.soffice_pgid)
    if args.cleanup_dir:
        shutil.rmtree(args.cleanup_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
