"""Render the README's pictures of generated workbooks with LibreOffice (headless).

    pip install ".[docs]" && python docs/render_pictures.py   # writes docs/*.png from a fresh demo run

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

from support.libreoffice import LibreOffice  # noqa: E402

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


if __name__ == "__main__":
    for p in render():
        print(f"wrote {p}")
