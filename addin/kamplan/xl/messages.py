"""The add-in's own words in Excel (message boxes, status bar) in the workspace's language.

The words are in the catalogue (``kamplan.messages``, keys ``addin.<key>``); ``text`` keeps the call
sites' shape: ``text(key, language, **fields)``.
"""
from __future__ import annotations

from kamplan.messages import say


def text(key: str, language: str = "en", **fields) -> str:
    """The text ``key`` in ``language`` (zh-CN, else English), its fields filled in."""
    return say("addin." + key, language, **fields)
