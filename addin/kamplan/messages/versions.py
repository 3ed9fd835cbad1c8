"""A plan version in words, in a language: what the CLI, the stages and the consolidation workbook say a
version is.

The stage that makes a version stores an English description with it (the language-neutral record the CLI
prints and ``--json`` keeps); another language says the same from the version's structured record instead:
the bottom-up round's submissions, the top-down instruction (``engine.topdown.TopDownSpec.to_json``), the
version an undo restored.  A record without that structure (an older store) keeps its stored text.  The
words are the catalogue's ``version.*`` entries.
"""
from __future__ import annotations

from kamplan.messages import Message, current_language, has, say

SCOPES = ("account", "rep", "region", "product", "class", "line")
VERSION_KINDS = ("bottom-up", "top-down", "undo")  # how a plan version came about (store.plan_versions.kind)


def version_kind(kind: str) -> Message | str:
    """How a plan version came about, in words (``plan.kind.<kind>``); a kind kamplan does not know says
    itself.  Here, beside the catalogue, so that ``targets versions`` need not load the planning stage."""
    return Message(f"plan.kind.{kind}") if kind in VERSION_KINDS else kind


def version_text(record: dict, language: str, versions: dict[int, dict] | None = None) -> str:
    """The description of the version ``record`` (a row of ``store.plan_versions``) in ``language``;
    ``versions``: every version by id, for the one an undo went back to."""
    stored = "" if record.get("description") is None else str(record.get("description"))
    if language != "zh-CN":
        return stored
    try:
        return _described(record, language, versions or {}) or stored
    except (KeyError, TypeError, ValueError, AttributeError):
        return stored  # not the structure this version kind has: the stored words stand


class VersionWords(Message):
    """A plan version's description said in the language asked for (``version_text``): the stored words
    (English, as the command wrote them) in English, the version's record in words elsewhere."""

    def __new__(cls, record: dict):
        self = str.__new__(cls, "" if record.get("description") is None else str(record["description"]))
        self.key, self.fields, self.record = "plan.version-description", {}, record
        return self

    def render(self, language: str | None = None) -> str:
        return version_text(self.record, language or current_language())

    def __reduce__(self):  # across a process boundary it travels as the stored words
        return str, (str(self),)


def _word(key: str, language: str, **fields) -> str:
    """``key`` said in ``language``; a KeyError for a key the catalogue lacks (a measure, method or level
    kamplan does not know: then the stored words stand, ``version_text``)."""
    if not has(key, language):
        raise KeyError(key)
    return say(key, language, **fields)


def _described(record: dict, lang: str, versions: dict[int, dict]) -> str:
    kind, summary = str(record.get("kind", "")), record.get("summary") or {}
    if kind == "bottom-up" and isinstance(summary, dict) and "submissions" in summary:
        missing = len(summary.get("run_rate_reps") or [])
        return (_word("version.bottom-up", lang, round=int(record.get("round") or 0), n=len(summary["submissions"]))
                + (_word("version.bottom-up-missing", lang, n=missing) if missing else ""))
    if kind == "top-down" and isinstance(record.get("instruction"), dict):
        return instruction_text(record["instruction"], lang)
    if kind == "undo" and isinstance(summary, dict) and "restored" in summary:
        restored = int(summary["restored"])
        before = versions.get(restored)
        what = version_text(before, lang) if before is not None else ""
        return _word("version.undo", lang, version=restored, what=what)
    if kind == "agreed":
        return _word("version.agreed", lang)
    return ""


def _number(value: float) -> str:
    return f"{value:,.2f}"


def _figures_text(spec: dict, lang: str, measure: str, method: str) -> str:
    """The instruction's figures: from a quota file (how many, for whom, the total) or typed (each figure)."""
    figures, relative = spec.get("figures") or {}, set(spec.get("relative") or ())
    if spec.get("source"):
        total = sum(float(v) for k, v in figures.items() if k not in relative)
        return _word("version.quotas", lang, measure=measure, file=spec["source"].get("file", ""),
                     n=f"{len(figures):,}", who=_word(f"version.level.{spec['by']}", lang), total=_number(total),
                     method=method)
    parts = []
    for key, value in figures.items():
        name = _word("version.company", lang) if key == "*" else key
        shown = (_word("version.relative", lang, value=f"{float(value):+.2%}") if key in relative
                 else _number(float(value)))
        parts.append(f"{name} {shown}")
    return _word("version.topdown", lang, measure=measure, method=method,
                 figures=_word("version.separator", lang).join(parts) or _word("version.growth-only", lang))


def instruction_text(spec: dict, lang: str) -> str:
    """A top-down instruction (``TopDownSpec.to_json``) in words."""
    measure = _word(f"version.measure.{spec['measure']}", lang)
    text = _figures_text(spec, lang, measure, _word(f"version.method.{spec['method']}", lang))
    if spec["method"] == "growth" and spec.get("growth") is not None:
        text += _word("version.growth", lang, value=f"{float(spec['growth']):+.1%}")
    if spec["method"] == "reference" and spec.get("reference_version") is not None:
        text += _word("version.reference", lang, version=spec["reference_version"])
    separator = _word("version.separator", lang)
    holds = [f"{_word('version.level.' + k, lang) if k in SCOPES else k} {i}" for k, i in spec.get("holds") or ()]
    if holds:
        text += _word("version.held", lang, items=separator.join(holds))
    bounds = [_word(f"version.{b['side']}", lang) + " " + b["text"] for b in spec.get("bounds") or ()]
    if bounds:
        text += _word("version.bounds", lang, items=separator.join(bounds))
    if spec.get("note"):
        text += _word("version.note", lang, note=spec["note"])
    return text
