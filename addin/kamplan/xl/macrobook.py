"""Macro-enabled variants (.xlsm) of the VP workbooks, with buttons bound to the add-in's actions.

``make_macro_workbook(src)`` takes a workbook written by kamplan's normal writer (consolidation,
account review, resource plan: plain ``.xlsx``, no macros) and writes ``src`` as ``.xlsm`` with

* an **Actions** sheet (操作) right after the cover: one form button per action of that kind of
  workbook, each calling the generated ``Button_<id>`` wrapper (``build.button_wrappers``), with the
  button's help text next to it;
* a VBA project with the dispatcher (``KamplanMain``), xlwings' RunPython module, the button
  wrappers and one document module per sheet, so the workbook works without the add-in installed
  (it needs kamplan and xlwings in Python, as the add-in does).

The writers stay macro-free: the conversion is done on the finished package.  The Actions sheet is
made by XlsxWriter in a scratch workbook (inline strings and default styles only, so it does not
depend on the scratch workbook's shared strings or styles) and moved into the package; the sheet
indexes of defined names and the active tab are shifted for the inserted sheet.  Everything the
readers read stays where it was, so a VP workbook saved as .xlsm is read back like the .xlsx.
"""
from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

from kamplan.xl import build
from kamplan.xl.actions import get

# kind of workbook (its identity sheet's "kind") -> the buttons on its Actions sheet
BUTTONS: dict[str, tuple[str, ...]] = {
    "kamplan.consolidation": ("kam_spread", "kam_consolidate", "kam_agree", "kam_allocate", "kam_open_output"),
    "kamplan.review": ("kam_segment", "kam_consolidate", "kam_actuals", "kam_evaluate", "kam_open_output"),
    "kamplan.resources": ("kam_allocate", "kam_agree", "kam_open_output"),
}
SHEET_NAME = {"en": "Actions", "zh-CN": "操作"}
ACTIONS_CODENAME = "KamplanActionsSheet"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
SHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
TEXTS = {
    "en": ("kamplan: actions on this workbook",
           "Each button runs the same step as the kamplan command, through xlwings. It needs kamplan and xlwings "
           "installed in Python (pip install kamplan; kamplan addin install writes the settings).",
           "Excel asks to enable macros: allow them only for workbooks from your kamplan workspace (see "
           "docs/addin.md, Macro security)."),
    "zh-CN": ("kamplan:本工作簿的操作",
              "每个按钮通过 xlwings 运行与 kamplan 命令相同的步骤。需要在 Python 中安装 kamplan 和 xlwings"
              "(pip install kamplan;kamplan addin install 会写入设置)。",
              "Excel 会询问是否启用宏:仅对来自 kamplan 工作区的工作簿启用(见 docs/addin.md“宏安全”)。"),
}


def workbook_identity(path: Path) -> dict:
    """The key/value rows of a kamplan workbook's identity sheet (kind, language, ...), or {}."""
    from kamplan.workbooks.kit.identity import read_identity
    from kamplan.workbooks.kit.xlsxio import read_sheets
    sheets, _ = read_sheets(path, ["_kamplan"])
    sheet = sheets.get("_kamplan")
    return read_identity(sheet) if sheet is not None else {}


PREFIXES = {"kamplan.consolidation": "consolidation_", "kamplan.review": "account_review_",
            "kamplan.resources": "resource_plan_"}


def newest_vp_workbooks(reports: Path) -> list[Path]:
    """The newest .xlsx of each kind of VP workbook in ``reports`` (by file name prefix, then checked)."""
    out = []
    for kind, prefix in PREFIXES.items():
        books = [p for p in Path(reports).glob(f"{prefix}*.xlsx") if not p.name.startswith(("~$", "."))]
        for p in sorted(books, key=lambda p: (p.stat().st_mtime, p.name), reverse=True):
            if workbook_identity(p).get("kind") == kind:
                out.append(p)
                break
    return out


def macro_path(src: Path) -> Path:
    return Path(src).with_suffix(".xlsm")


def make_macro_workbook(src: Path, dst: Path | None = None, *, password: str = "",
                        replace: bool = False) -> Path:
    """Write ``src`` (a kamplan VP workbook, .xlsx) as a macro-enabled ``dst`` (default: same name, .xlsm)
    with an Actions sheet of buttons.  An existing ``dst`` is kept unless ``replace`` (the VP may have
    typed into it)."""
    src = Path(src)
    dst = Path(dst) if dst is not None else macro_path(src)
    if dst.suffix.lower() != ".xlsm":
        raise build.BuildError(f"{dst.name}: a macro-enabled workbook must be an .xlsm file")
    if dst.exists() and not replace:
        raise build.BuildError(f"{dst} exists and may hold the VP's entries: give another name or replace it")
    ident = workbook_identity(src)
    kind = ident.get("kind")
    if kind not in BUTTONS:
        raise build.BuildError(f"{src.name} is not a kamplan VP workbook (its kind is {kind or 'unknown'}; "
                               f"known: {', '.join(BUTTONS)})")
    language = "zh-CN" if ident.get("language") == "zh-CN" else "en"
    with zipfile.ZipFile(src) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    if "xl/vbaProject.bin" in parts:
        raise build.BuildError(f"{src.name} already holds macros")
    sheet_parts = _sheet_parts(parts)
    codenames = [f"Sheet{i + 1}" for i in range(len(sheet_parts))]
    with tempfile.TemporaryDirectory(prefix="kamplan-xlsm-") as tmp:
        modules = build.addin_modules([*codenames, ACTIONS_CODENAME], with_udfs=False)
        modules.append(build.button_wrappers())
        vba = build.build_vba_project(modules, Path(tmp) / "vbaProject.bin").read_bytes()
        scratch = _actions_sheet(Path(tmp) / "actions.xlsx", BUTTONS[kind], language, password)
    _merge(parts, scratch, sheet_parts, codenames, SHEET_NAME[language], vba)
    from kamplan.workbooks.kit.xlsxio import atomic_path
    with atomic_path(dst) as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return dst


def _actions_sheet(path: Path, action_ids: tuple[str, ...], language: str, password: str) -> dict[str, bytes]:
    """The Actions sheet, made by XlsxWriter in a scratch workbook: its sheet XML, rels and VML drawing."""
    import xlsxwriter
    title, needs, security = TEXTS[language]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet("Actions")
    ws.set_vba_name(ACTIONS_CODENAME)
    ws.set_column(0, 0, 2)
    ws.set_column(1, 1, 26)
    ws.set_column(2, 2, 100)
    ws.write(0, 1, title)
    ws.write(1, 1, needs)
    ws.write(2, 1, security)
    for i, aid in enumerate(action_ids):
        a = get(aid)
        row = 4 + 2 * i
        ws.set_row(row, 30)
        ws.write(row, 2, a.help(language))
        ws.insert_button(row, 1, {"macro": f"Button_{a.id}", "caption": a.label(language), "width": 180,
                                  "height": 36})
    ws.protect(password, {"objects": True})
    wb.close()
    with zipfile.ZipFile(path) as z:
        return {"sheet": z.read("xl/worksheets/sheet1.xml"), "rels": z.read("xl/worksheets/_rels/sheet1.xml.rels"),
                "vml": z.read("xl/drawings/vmlDrawing1.vml")}


def _sheet_parts(parts: dict[str, bytes]) -> list[str]:
    """The worksheet part names in workbook order."""
    wb = parts["xl/workbook.xml"].decode("utf-8")
    rels = dict(re.findall(r'<Relationship [^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"',
                           parts["xl/_rels/workbook.xml.rels"].decode("utf-8")))
    rels.update({k: v for v, k in re.findall(r'<Relationship [^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"',
                                              parts["xl/_rels/workbook.xml.rels"].decode("utf-8"))})
    out = []
    for rid in re.findall(r'<sheet [^>]*?r:id="([^"]+)"', wb):
        target = rels[rid].lstrip("/")
        out.append(target if target.startswith("xl/") else "xl/" + target)
    return out


def _with_codename(sheet_xml: str, codename: str) -> str:
    """Give a worksheet its VBA code name (``sheetPr`` is the first child of ``worksheet``)."""
    m = re.search(r"<sheetPr(?=[\s/>])([^>]*?)(/?)>", sheet_xml)
    if m:
        attrs = re.sub(r'\s*codeName="[^"]*"', "", m.group(1))
        return sheet_xml[:m.start()] + f'<sheetPr codeName="{codename}"{attrs}{m.group(2)}>' + sheet_xml[m.end():]
    m = re.search(r"<worksheet[^>]*>", sheet_xml)
    return sheet_xml[:m.end()] + f'<sheetPr codeName="{codename}"/>' + sheet_xml[m.end():]


def _merge(parts: dict[str, bytes], scratch: dict[str, bytes], sheet_parts: list[str], codenames: list[str],
           sheet_name: str, vba: bytes) -> None:
    """Insert the Actions sheet as the second sheet and the VBA project into the package ``parts``."""
    for part, code in zip(sheet_parts, codenames):
        parts[part] = _with_codename(parts[part].decode("utf-8"), code).encode("utf-8")
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in parts:
        n += 1
    sheet_part = f"xl/worksheets/sheet{n}.xml"
    vmls = [p for p in parts if re.fullmatch(r"xl/drawings/vmlDrawing\d+\.vml", p)]
    m = 1
    while f"xl/drawings/vmlDrawing{m}.vml" in parts:
        m += 1
    # VML shape ids come in blocks of 1024 per drawing (o:idmap): take a block no other drawing uses
    used = [int(x) for p in vmls for x in re.findall(rb'<o:idmap [^>]*data="(\d+)"', parts[p])]
    block = max(used, default=0) + 1
    vml = scratch["vml"].decode("utf-8")
    vml = re.sub(r'(<o:idmap [^>]*data=")\d+(")', rf"\g<1>{block}\g<2>", vml)
    vml = re.sub(r"_x0000_s(\d+)", lambda k: f"_x0000_s{block * 1024 + int(k.group(1)) - 1024}", vml)
    parts[f"xl/drawings/vmlDrawing{m}.vml"] = vml.encode("utf-8")
    parts[f"xl/worksheets/_rels/sheet{n}.xml.rels"] = scratch["rels"].replace(
        b"vmlDrawing1.vml", f"vmlDrawing{m}.vml".encode())
    sheet = scratch["sheet"].decode("utf-8").replace(' tabSelected="1"', "")
    parts[sheet_part] = sheet.encode("utf-8")
    parts["xl/vbaProject.bin"] = vba
    # relationships of the workbook: the new sheet and the VBA project
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    rels = rels.replace("</Relationships>",
                        f'<Relationship Id="rIdKamActions" Type="{SHEET_REL}" Target="worksheets/sheet{n}.xml"/>'
                        f'<Relationship Id="rIdKamVba" Type="{VBA_REL}" Target="vbaProject.bin"/></Relationships>')
    parts["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")
    # the workbook: the sheet goes second; sheet-local names and the active tab move with their sheets
    wb = parts["xl/workbook.xml"].decode("utf-8")
    sheet_id = max(int(x) for x in re.findall(r'<sheet [^>]*?sheetId="(\d+)"', wb)) + 1
    from xml.sax.saxutils import quoteattr
    entry = f'<sheet name={quoteattr(sheet_name)} sheetId="{sheet_id}" r:id="rIdKamActions"/>'
    first = re.search(r"<sheet [^>]*/>", wb)
    wb = wb[:first.end()] + entry + wb[first.end():]
    wb = re.sub(r'localSheetId="(\d+)"', lambda k: f'localSheetId="{_shift(int(k.group(1)))}"', wb)
    wb = re.sub(r'activeTab="(\d+)"', lambda k: f'activeTab="{_shift(int(k.group(1)))}"', wb)
    wb = re.sub(r'firstSheet="(\d+)"', lambda k: f'firstSheet="{_shift(int(k.group(1)))}"', wb)
    if re.search(r"<workbookPr(?=[\s/>])", wb):
        wb = re.sub(r"<workbookPr(?=[\s/>])", '<workbookPr codeName="ThisWorkbook"', wb, count=1)
    else:  # CT_Workbook order: fileVersion, fileSharing, workbookPr, ...
        anchor = re.search(r"<workbookProtection|<bookViews", wb)
        wb = wb[:anchor.start()] + '<workbookPr codeName="ThisWorkbook"/>' + wb[anchor.start():]
    parts["xl/workbook.xml"] = wb.encode("utf-8")
    # content types: macro-enabled main part, the sheet, VML and the VBA project
    ct = parts["[Content_Types].xml"].decode("utf-8")
    ct = re.sub(r'(PartName="/xl/workbook.xml" ContentType=")[^"]*(")',
                lambda k: k.group(1) + build.MAIN_CONTENT_TYPES[".xlsm"] + k.group(2), ct)
    extra = f'<Override PartName="/{sheet_part}" ContentType="{SHEET_CT}"/>'
    extra += f'<Override PartName="/xl/vbaProject.bin" ContentType="{build.VBA_CONTENT_TYPE}"/>'
    if 'Extension="vml"' not in ct:
        extra = f'<Default Extension="vml" ContentType="{VML_CT}"/>' + extra
    parts["[Content_Types].xml"] = ct.replace("</Types>", extra + "</Types>").encode("utf-8")


def _shift(index: int) -> int:
    """A sheet index after a sheet was inserted at position 1."""
    return index + 1 if index >= 1 else index
