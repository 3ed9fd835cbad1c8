"""The "Key Accounts" ribbon tab, rendered from the action registry (``customUI14.xml``).

Every button calls the one VBA callback ``KamRibbon``, which passes the button's id (= the action
id) to Python.  ``addin/kamplan/xl/excel/customUI14.xml`` is this rendering in English, kept in the repository so
it can be read and reviewed; a test fails when it is stale (``kamplan addin build`` rewrites it).
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from kamplan.xl.actions import ACTIONS, GROUPS, TAB_ID, TAB_LABEL

NAMESPACE = "http://schemas.microsoft.com/office/2009/07/customui"  # Office 2010 and later, Mac 2016 and later
# The package relationship that makes Excel read customUI/customUI14.xml.
RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CALLBACK = "KamRibbon"
SOURCES = Path(__file__).resolve().parent / "excel"  # VBA and ribbon sources, shipped in the package


def render_ribbon(language: str = "en", tab_id: str = TAB_ID, tab_label: str | None = None) -> str:
    label = tab_label or TAB_LABEL["zh-CN" if language == "zh-CN" else "en"]
    lines = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
             "<!-- Generated from kamplan.xl.actions by `kamplan addin build`; edit the registry, not this file. -->",
             f'<customUI xmlns="{NAMESPACE}">',
             "  <ribbon>",
             "    <tabs>",
             f"      <tab id={quoteattr(tab_id)} label={quoteattr(label)}>"]
    for g in GROUPS:
        members = [a for a in ACTIONS if a.group == g.id]
        if not members:
            continue
        lines.append(f"        <group id={quoteattr(tab_id + '_' + g.id)} label={quoteattr(g.label(language))}>")
        for a in members:
            lines.append(f"          <button id={quoteattr(a.id)} label={quoteattr(a.label(language))} "
                         f'size="large" imageMso={quoteattr(a.image)} '
                         f"screentip={quoteattr(a.label(language))} supertip={quoteattr(a.help(language))} "
                         f'onAction="{CALLBACK}"/>')
        lines.append("        </group>")
    lines += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(lines)


def button_ids(xml: str | bytes) -> list[str]:
    """The ids of the buttons in a ribbon XML (to check each maps to a registered action)."""
    from xml.etree import ElementTree
    root = ElementTree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    return [b.get("id") for b in root.iter(f"{{{NAMESPACE}}}button")]
