"""Building blocks shared by every part of the config schema."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kamplan.messages import Message


class ConfigRule(ValueError):
    """What a config validator refuses: ``faults``, each ``(key path relative to the validated part or "",
    Message)`` (a plain ``"path: text"`` line is taken as it is).  ``str()`` is one English line per fault,
    ``path: text``, as ``kamplan.config.load`` reads a validator's words; the Messages let a front end say
    them in the workspace's language."""

    def __init__(self, faults):
        self.faults = [f if isinstance(f, tuple) else _split(f) for f in faults]
        super().__init__("\n".join(f"{p}: {m}" if p else str(m) for p, m in self.faults))


def _split(line: str) -> tuple[str, str]:
    path, sep, what = line.partition(": ")
    return (path, what) if sep and " " not in path else ("", line)


def rule(path: str, key: str, **fields) -> tuple[str, Message]:
    """One fault of a config validator: the key path it is about and the catalogue's ``key`` with ``fields``."""
    return path, Message(key, **fields)


def refuse(path: str, key: str, **fields):
    """Raise the one fault ``rule(path, key, **fields)``."""
    raise ConfigRule([rule(path, key, **fields)])


class Strict(BaseModel):
    """Unknown keys are errors (a misspelt key is never silently ignored); values are frozen."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Names(Strict):
    """A name in the languages the workbooks speak.

    Written as a plain string (the name in every language: a company that works in one language writes
    it once) or as ``{en: ..., zh: ...}`` (``zh-CN`` also accepted) with one side optional: the missing
    (or blank) side falls back to the other, so ``en`` and ``zh`` are always set and every place that
    shows a name shows one.
    """
    en: str = Field(min_length=1, max_length=120)
    zh: str = Field(min_length=1, max_length=120, alias="zh-CN")

    @model_validator(mode="before")
    @classmethod
    def _one_side_is_enough(cls, value):
        if isinstance(value, str):
            text = value.strip()
            return {"en": text, "zh": text} if text else {"en": ""}  # blank: min_length names the key
        if not isinstance(value, dict):
            return value
        if len(value) == 2 and "en" in value:  # the usual {en, zh-CN}, both given: what the general case makes
            zh = value.get("zh-CN", value.get("zh"))
            en = value["en"]
            if isinstance(en, str) and isinstance(zh, str) and en.strip() and zh.strip():
                return {"en": en.strip(), "zh": zh.strip()}
        given = {k: (v.strip() if isinstance(v, str) else v) for k, v in value.items()}
        zh_key = "zh" if "zh" in given else "zh-CN"
        en, zh = given.get("en"), given.get(zh_key)
        if en in (None, "") and zh in (None, ""):
            if set(given) <= {"en", "zh", "zh-CN"}:
                refuse("", "config.rule.name-needed")
            return value
        rest = {k: v for k, v in given.items() if k not in ("en", "zh", "zh-CN")}
        return {**rest, "en": en if en not in (None, "") else zh, "zh": zh if zh not in (None, "") else en}

    def get(self, language: str) -> str:
        return self.zh if language == "zh-CN" else self.en


class WholeScale(Strict):
    """A scale of whole numbers from ``min`` (weakest) to ``max`` (strongest): the VP's ratings and
    judgements.  Subclasses narrow the bounds with their own ``Field``s."""
    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self):
        if self.max <= self.min:
            refuse("max", "config.rule.max-above-min", max=self.max, min=self.min)
        return self
