"""Draw the add-in's ribbon tab (English above Chinese) from its generated markup, for docs/addin.md.

    pip install ".[docs]" && python docs/render_ribbon.py   # writes docs/addin-ribbon.png

The picture is drawn from ``kamplan.xl.ribbon.render_ribbon`` (the customUI XML Excel loads), so
its groups, buttons and labels are the registry's.  Office's own icons cannot be shipped, so each
button shows a plain tile with its initial; Excel shows the imageMso icon named in the markup.
Needs a font with Chinese glyphs (Noto Sans CJK, found with fc-match).
"""
from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from xml.etree import ElementTree

from PIL import Image, ImageDraw, ImageFont

from kamplan.xl.ribbon import NAMESPACE, render_ribbon

HERE = Path(__file__).resolve().parent
NS = {"c": NAMESPACE}
BUTTON_W, ICON, PAD, TAB_H, BODY_H, GROUP_LABEL_H = 92, 34, 10, 30, 118, 22
BACKGROUND, BODY, LINE, TEXT, MUTED, TILE = "#f3f3f3", "#ffffff", "#d6d6d6", "#222222", "#666666", "#2b579a"


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    pattern = "Noto Sans CJK SC:bold" if bold else "Noto Sans CJK SC"
    path = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True).stdout.strip()
    return ImageFont.truetype(path, size)


def ribbon_groups(language: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """(tab label, [(group label, [button labels])]) read back from the generated markup."""
    root = ElementTree.fromstring(render_ribbon(language).encode("utf-8"))
    tab = root.find(".//c:tab", NS)
    return tab.get("label"), [(g.get("label"), [b.get("label") for b in g.findall("c:button", NS)])
                              for g in tab.findall("c:group", NS)]


def draw_ribbon(language: str) -> Image.Image:
    tab_label, groups = ribbon_groups(language)
    small, label_font, tab_font = _font(12), _font(12), _font(14, bold=True)
    width = sum(len(b) * BUTTON_W + 2 * PAD for _, b in groups) + PAD
    img = Image.new("RGB", (width, TAB_H + BODY_H + 2), BACKGROUND)
    d = ImageDraw.Draw(img)
    tab_w = int(d.textlength(tab_label, font=tab_font)) + 28
    d.rectangle([PAD, 4, PAD + tab_w, TAB_H], fill=BODY, outline=LINE)
    d.line([PAD + 1, TAB_H, PAD + tab_w - 1, TAB_H], fill=BODY)
    d.text((PAD + 14, 7), tab_label, font=tab_font, fill=TILE)
    d.rectangle([0, TAB_H, width - 1, TAB_H + BODY_H], fill=BODY, outline=LINE)
    d.line([PAD + 1, TAB_H, PAD + tab_w - 1, TAB_H], fill=BODY)
    x = PAD
    for label, buttons in groups:
        gw = len(buttons) * BUTTON_W + PAD
        for i, text in enumerate(buttons):
            cx = x + PAD // 2 + i * BUTTON_W + BUTTON_W // 2
            top = TAB_H + 8
            d.rounded_rectangle([cx - ICON // 2, top, cx + ICON // 2, top + ICON], 6, fill=TILE)
            d.text((cx, top + ICON // 2), text[0].upper(), font=tab_font, fill="white", anchor="mm")
            lines = textwrap.wrap(text, 12, break_on_hyphens=False) if language != "zh-CN" else [text[k:k + 6] for k in range(0, len(text), 6)]
            for n, line in enumerate(lines[:3]):
                d.text((cx, top + ICON + 6 + n * 15), line, font=small, fill=TEXT, anchor="ma")
        bottom = TAB_H + BODY_H
        d.text((x + gw // 2, bottom - GROUP_LABEL_H + 4), label, font=label_font, fill=MUTED, anchor="ma")
        d.line([x + gw + PAD // 2, TAB_H + 6, x + gw + PAD // 2, bottom - 6], fill=LINE)
        x += gw + PAD
    return img


def render(out: Path = HERE / "addin-ribbon.png") -> Path:
    en, zh = draw_ribbon("en"), draw_ribbon("zh-CN")
    img = Image.new("RGB", (max(en.width, zh.width), en.height + zh.height + 12), "white")
    img.paste(en, (0, 0))
    img.paste(zh, (0, en.height + 12))
    img.save(out, optimize=True)
    return out


if __name__ == "__main__":
    print(render())
