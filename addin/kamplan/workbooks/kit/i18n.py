"""The labels every workbook shares, in English and Chinese (the words: ``labels.toml``).

Readers accept a closed choice in either language (a salesperson may switch the
language of a copied sheet), so each choice keeps both labels next to its id.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

LANGS = ("en", "zh-CN")


def load_labels(module_file: str, name: str = "labels.toml") -> dict[str, tuple[str, str]]:
    """A label table (key -> (English, Chinese)) from the TOML file next to ``module_file``: the
    words are data, kept apart from the code that uses them."""
    with open(Path(module_file).with_name(name), "rb") as f:
        return {key: tuple(pair) for key, pair in tomllib.load(f).items()}


T = load_labels(__file__)


def translator(labels: dict[str, tuple[str, str]]):
    """The function ``(key, language, **fmt) -> text`` of one label table (key -> (English, Chinese))."""
    def translate(key: str, language: str, **fmt) -> str:
        en, zh = labels[key]
        text = zh if language == "zh-CN" else en
        return text.format(**fmt) if fmt else text
    return translate


t = translator(T)


def both(key: str, **fmt) -> tuple[str, ...]:
    return tuple(s.format(**fmt) if fmt else s for s in T[key])


def book_labels(module_file: str) -> tuple[dict[str, tuple[str, str]], object]:
    """A workbook's label table (``labels.toml`` next to ``module_file``) and its translator."""
    labels = load_labels(module_file)
    return labels, translator(labels)
