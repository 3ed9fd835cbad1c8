"""Building blocks shared by every part of the config schema."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Unknown keys are errors (a misspelt key is never silently ignored); values are frozen."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Names(Strict):
    """A name in both languages the workbooks speak."""
    en: str = Field(min_length=1, max_length=120)
    zh: str = Field(min_length=1, max_length=120, alias="zh-CN")

    def get(self, language: str) -> str:
        return self.zh if language == "zh-CN" else self.en
