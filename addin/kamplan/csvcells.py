"""Every CSV kamplan writes goes through ``safe_frame``: a text cell starting with = + - @ tab or CR is
written with a leading apostrophe, so a spreadsheet program shows it as text instead of running it as a
formula (CSV injection: an ERP value ``=cmd|' /C calc'!A0`` in an unmatched-lines report).  Numbers stay
numbers; only text columns are touched."""
from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """``value`` as a spreadsheet program will show it, never as a formula."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def safe_frame(frame):
    """A copy of a polars or pandas frame with every text cell made safe (``safe_text``)."""
    if hasattr(frame, "with_columns"):  # polars
        import polars as pl
        text = [c for c, t in frame.schema.items() if t == pl.String]
        pattern = "^[" + "".join({"-": r"\-", "\t": r"\t", "\r": r"\r", "+": r"\+"}.get(t, t) for t in TRIGGERS) + "]"
        return frame.with_columns(*[pl.when(pl.col(c).str.contains(pattern)).then(pl.lit("'") + pl.col(c))
                                    .otherwise(pl.col(c)).alias(c) for c in text])
    from pandas.api.types import is_string_dtype
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or is_string_dtype(out[c].dtype):
            out[c] = out[c].map(safe_text)
    return out
