"""Render the README's pictures of generated workbooks with LibreOffice (headless).

    pip install ".[docs]" && python docs/render_pictures.py   # writes docs/*.png from a fresh demo run
    python docs/render_pictures.py --as-opened [--from DEMO_FOLDER]   # only docs/pictures/*.png

``docs/pictures/`` shows the workbooks as a person first sees them: converted by LibreOffice with a
*default* profile (no recalculation, so every figure is the saved result kamplan wrote) and printed
with the workbook's own print setup: the Targets sheet of a round-2 workbook and the first page of the
management summary, in English and Chinese.

Needs LibreOffice 25 (.ci/install-libreoffice.sh) and pdftoppm.  The test
suite renders the same sheet (tests/test_readme.py), so this keeps working.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.libreoffice import LibreOffice, convert_as_opened, pdf_pages  # noqa: E402

from kamplan.demo.run import run_demo  # noqa: E402


def print_excerpt(src: Path, dst: Path, sheet: str, area: str) -> Path:
    """A copy whose print area is a readable excerpt of one sheet (the real file prints fit-to-width)."""
    wb = openpyxl.load_workbook(src)
    ws = wb[sheet]
    ws.print_area = area
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(dst)
    return dst


def render(out_dir: Path = HERE, language: str = "en") -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_demo(tmp / "demo", language)
        filled = sorted((tmp / "demo" / "inbox").glob("*.xlsx"))[0]
        sheet = "Targets" if language == "en" else "销售目标"
        excerpt = print_excerpt(filled, tmp / "excerpt.xlsx", sheet, "A1:Y20")
        with LibreOffice() as lo:
            png = lo.render_png(excerpt, sheet, out_dir / f"targets-sheet-{language}.png", dpi=150,
                                fit_to_page=True)
            review = sorted((tmp / "demo" / "reports").glob("account_review_*.xlsx"))[0]
            charts = lo.render_png(review, "Charts" if language == "en" else "图表",
                                   out_dir / f"review-charts-{language}.png", dpi=90)
    crop_whitespace(png)
    crop_whitespace(charts)
    return [png, charts]


def crop_whitespace(png: Path, margin: int = 12) -> None:
    """Cut the empty page around the printed excerpt (and the page footer)."""
    from PIL import Image, ImageOps
    img = Image.open(png).convert("RGB")
    height = img.height
    body = img.crop((0, 0, img.width, int(height * 0.9)))  # leave out the footer line
    box = ImageOps.invert(body).getbbox()
    if box:
        l, t, r, b = box
        img.crop((max(l - margin, 0), max(t - margin, 0), min(r + margin, img.width),
                  min(b + margin, height))).save(png, optimize=True)


PICTURES = HERE / "pictures"


def _first_page_of(pdf: Path, file_name: str, sheet: str) -> int:
    """The number of the first printed page of ``sheet`` (from the footer "file › sheet")."""
    for page in pdf_pages(pdf):
        if f"{file_name} › {sheet} " in page.footer() + " ":
            return page.number
    raise SystemExit(f"{pdf}: no page of sheet {sheet!r}")


def render_as_opened(demo: Path, language: str, out_dir: Path = PICTURES, dpi: int = 80) -> list[Path]:
    """The Targets sheet of the first round-2 workbook and the management summary's first page of the
    demo in ``demo``, as LibreOffice prints them without recalculating."""
    import shutil
    import subprocess
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = sorted((demo / "outbox" / "round-2").glob("*.xlsx"))[0]
    summary = sorted((demo / "reports").glob("agreed-*/management_*.xlsx"))[-1]
    targets_sheet = "Targets" if language == "en" else "销售目标"
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        pdfs = convert_as_opened([targets, summary], Path(tmp))
        for src, sheet, name in ((targets, targets_sheet, "targets-sheet"), (summary, None, "management-summary")):
            page = _first_page_of(pdfs[src], src.name, sheet) if sheet else 1
            prefix = Path(tmp) / name
            subprocess.run([shutil.which("pdftoppm"), "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                            "-singlefile", str(pdfs[src]), str(prefix)], check=True, timeout=120)
            dst = out_dir / f"{name}-{language}.png"
            shutil.move(str(prefix.with_suffix(".png")), dst)
            out.append(dst)
    return out


def main(argv: list[str]) -> None:
    if "--as-opened" not in argv:
        for p in render():
            print(f"wrote {p}")
    demo_given = argv[argv.index("--from") + 1] if "--from" in argv else None
    for language in ("en", "zh-CN"):
        with tempfile.TemporaryDirectory() as tmp:
            demo = Path(demo_given) if demo_given and language == "en" else Path(tmp) / "demo"
            if demo != Path(demo_given or "-"):
                run_demo(demo, language)
            for p in render_as_opened(demo, language):
                print(f"wrote {p}")


if __name__ == "__main__":
    main(sys.argv[1:])
