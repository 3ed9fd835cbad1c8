"""Building blocks shared by every part of the config schema."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    """Unknown keys are errors (a misspelt key is never silently ignored); values are frozen."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Names(Strict):
    """A name in both languages the workbooks speak."""
    en: str = Field(min_length=1, max_length=120)
    zh: str = Field(min_length=1, max_length=120, alias="zh-CN")

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
            raise ValueError(f"max: {self.max} must be above min {self.min}")
        return self
