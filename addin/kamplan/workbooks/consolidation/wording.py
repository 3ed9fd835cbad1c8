"""A plan version in words, in the workbook's language.

The stage that makes a version stores an English description with it (the CLI prints it); a Chinese
workbook says the same from the version's structured record instead: the bottom-up round's
submissions, the top-down instruction (``engine.topdown.TopDownSpec.to_json``), the version an undo
restored.  A record without that structure (an older store) keeps its stored text.
"""
from __future__ import annotations

from kamplan.workbooks.kit.i18n import book_labels, t

LABELS, vt = book_labels(__file__)
SCOPES = ("account", "rep", "region", "product", "class", "line")


def version_text(record: dict, language: str, versions: dict[int, dict] | None = None) -> str:
    """The description of the version ``record`` (a row of ``store.plan_versions``); ``versions``:
    every version by id, for the one an undo went back to."""
    stored = "" if record.get("description") is None else str(record.get("description"))
    if language != "zh-CN":
        return stored
    try:
        return _described(record, language, versions or {}) or stored
    except (KeyError, TypeError, ValueError, AttributeError):
        return stored  # not the structure this version kind has: the stored words stand


def _described(record: dict, lang: str, versions: dict[int, dict]) -> str:
    kind, summary = str(record.get("kind", "")), record.get("summary") or {}
    if kind == "bottom-up" and isinstance(summary, dict) and "submissions" in summary:
        missing = len(summary.get("run_rate_reps") or [])
        return (vt("ver.bottom_up", lang, round=int(record.get("round") or 0), n=len(summary["submissions"]))
                + (vt("ver.bottom_up_missing", lang, n=missing) if missing else ""))
    if kind == "top-down" and isinstance(record.get("instruction"), dict):
        return instruction_text(record["instruction"], lang)
    if kind == "undo" and isinstance(summary, dict) and "restored" in summary:
        restored = int(summary["restored"])
        before = versions.get(restored)
        what = version_text(before, lang) if before is not None else ""
        return vt("ver.undo", lang, version=restored, what=what)
    if kind == "agreed":
        return vt("ver.agreed", lang)
    return ""


def _number(value: float) -> str:
    return f"{value:,.2f}"


def instruction_text(spec: dict, lang: str) -> str:
    """A top-down instruction (``TopDownSpec.to_json``) in words."""
    measure = t(f"cons.m.{spec['measure']}", lang)
    method = vt(f"ver.method.{spec['method']}", lang)
    figures, relative = spec.get("figures") or {}, set(spec.get("relative") or ())
    if spec.get("source"):
        total = sum(float(v) for k, v in figures.items() if k not in relative)
        who = t(f"cons.level.{spec['by']}", lang)
        text = vt("ver.quotas", lang, measure=measure, file=spec["source"].get("file", ""), n=f"{len(figures):,}",
                  who=who, total=_number(total), method=method)
    else:
        parts = []
        for key, value in figures.items():
            name = vt("ver.company", lang) if key == "*" else key
            shown = vt("ver.relative", lang, value=f"{float(value):+.2%}") if key in relative else _number(float(value))
            parts.append(f"{name} {shown}")
        text = vt("ver.topdown", lang, measure=measure, figures=("、" if lang == "zh-CN" else ", ").join(parts)
                  or vt("ver.growth_only", lang), method=method)
    if spec["method"] == "growth" and spec.get("growth") is not None:
        text += vt("ver.growth", lang, value=f"{float(spec['growth']):+.1%}")
    if spec["method"] == "reference" and spec.get("reference_version") is not None:
        text += vt("ver.reference", lang, version=spec["reference_version"])
    holds = [f"{t('cons.level.' + k, lang) if k in SCOPES else k} {i}" for k, i in spec.get("holds") or ()]
    if holds:
        text += vt("ver.held", lang, items="、".join(holds))
    bounds = [vt("ver." + b["side"], lang) + " " + b["text"] for b in spec.get("bounds") or ()]
    if bounds:
        text += vt("ver.bounds", lang, items="、".join(bounds))
    if spec.get("note"):
        text += vt("ver.note", lang, note=spec["note"])
    return text
