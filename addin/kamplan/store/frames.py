"""Model frames to database rows and back, with one fixed dtype per column kind.

Going in, every value becomes a plain Python value of its column's kind (numpy
scalars, ``pd.NA``, ``NaT`` and ``Timestamp`` are normalised), so the rows can be
written with one ``executemany``.  Coming out, frames get the canonical dtypes:

==========  ====================================================
kind        frame dtype
==========  ====================================================
``str``     ``object``, missing values are ``None``
``int``     ``int64`` (such columns are required, never empty)
``float``   ``float64``, missing values are ``NaN``
``date``    ``object`` holding ``datetime.date``, missing ``None``
``bool``    ``bool`` (required)
==========  ====================================================
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from kamplan.model import QUARTERS
from kamplan.periods import as_date
from kamplan.store.schema import LineSpec


class FrameError(ValueError):
    """A frame handed to the store does not fit its table; the message names frame, row and column."""


class _Bad(ValueError):
    """A value that cannot be of its column's kind; the text completes "<column> = <value> ..."."""


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return False


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number in a sheet: 1001.0 -> "1001"
    return str(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool | np.bool_):
        raise _Bad("is a yes/no value, not a whole number")
    if isinstance(value, int | np.integer):
        return int(value)
    number = float(value)
    if not number.is_integer():
        raise _Bad("is not a whole number")
    return int(number)


def _to_float(value: Any) -> float:
    if isinstance(value, bool | np.bool_):
        raise _Bad("is a yes/no value, not a number")
    return float(value)


def _to_date(value: Any) -> dt.date:
    try:
        return as_date(value)
    except TypeError:
        raise _Bad("is not a date") from None


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer) and value in (0, 1):
        return bool(value)
    raise _Bad("is not yes/no (True/False)")


_KIND_WORDS = {"str": "text", "int": "a whole number", "float": "a number", "date": "a date",
               "bool": "yes/no (True/False)"}
_CONVERT = {"str": _to_str, "int": _to_int, "float": _to_float, "date": _to_date, "bool": _to_bool}


def check_columns(frame: pd.DataFrame, spec: LineSpec, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise FrameError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    have = [str(c) for c in frame.columns]
    missing = [c for c in spec.columns if c not in have]
    extra = [c for c in have if c not in spec.columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks columns {missing}")
        if extra:
            parts.append(f"has columns the store does not keep {extra}")
        raise FrameError(f"{what} {' and '.join(parts)}; the columns must be exactly {spec.columns}")


def to_tuples(frame: pd.DataFrame, spec: LineSpec, what: str) -> tuple[list[str], list[tuple]]:
    """The frame's rows as tuples of plain values, led by ``line_no`` 0.. in frame order.

    Columns whose dtype already fits are converted in one vectorised step (a
    collect stores ~1,000 lines per file); anything else goes value by value,
    which also words the error for a value that does not fit.  Tuples pickle
    small, so collect's worker processes can prepare them.
    """
    check_columns(frame, spec, what)
    columns = list(spec.columns)
    converted = {c: _column_fast(frame[c], spec.kinds[c], c in spec.required) for c in columns}
    slow = [c for c in columns if converted[c] is None]
    if slow:
        records = frame[columns].astype(object).to_numpy().tolist()
        for column in slow:
            i = columns.index(column)
            converted[column] = [_convert_one(values[i], column, spec, what, line_no, values, columns)
                                 for line_no, values in enumerate(records)]
    return ["line_no"] + columns, list(zip(range(len(frame)), *(converted[c] for c in columns)))


def to_rows(frame: pd.DataFrame, spec: LineSpec, what: str, **fixed: Any) -> list[dict[str, Any]]:
    """The frame's rows as dicts (``line_no`` and the spec's columns) plus ``fixed``."""
    names, tuples = to_tuples(frame, spec, what)
    return [{**fixed, **dict(zip(names, t))} for t in tuples]


def _fast_float(col: pd.Series, required: bool) -> list | None:
    dtype = col.dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    values = col.astype("float64")
    if required and values.isna().any():
        return None
    return [None if v != v else v for v in values.tolist()]  # NaN -> None


def _fast_int(col: pd.Series, required: bool) -> list | None:
    dtype = col.dtype
    if not pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    values = col.tolist()
    if col.name == "quarter" and any(v not in QUARTERS for v in values):
        return None
    return [int(v) for v in values]


def _fast_bool(col: pd.Series, required: bool) -> list | None:
    return [bool(v) for v in col.tolist()] if pd.api.types.is_bool_dtype(col.dtype) else None


def _fast_str(col: pd.Series, required: bool) -> list | None:
    if not (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
        return None
    values = [None if v is None or v is pd.NA or (type(v) is float and v != v) else v for v in col.tolist()]
    if all(type(v) is str for v in values):
        return values
    if not required and all(type(v) is str or v is None for v in values):
        return values
    return None


# kind -> the whole-column conversion for a column whose dtype already fits (None: it does not)
_FAST = {"float": _fast_float, "int": _fast_int, "bool": _fast_bool, "str": _fast_str}


def _column_fast(col: pd.Series, kind: str, required: bool) -> list | None:
    """Plain Python values for a whole column whose dtype already fits, else None (take the slow path)."""
    fast = _FAST.get(kind)
    return None if fast is None else fast(col, required)


def _convert_one(value, column, spec, what, line_no, values, columns):
    kind = spec.kinds[column]
    if _is_missing(value):
        if column in spec.required:
            raise FrameError(f"{_where(what, line_no, values, columns)}{column} is empty; every line needs one")
        return None
    try:
        out = _CONVERT[kind](value)
        if column == "quarter" and out not in QUARTERS:
            raise _Bad("is not a quarter; quarters are 1 to 4")
        return out
    except _Bad as exc:
        raise FrameError(f"{_where(what, line_no, values, columns)}{column} = {value!r} {exc}") from None
    except (TypeError, ValueError, OverflowError):
        raise FrameError(f"{_where(what, line_no, values, columns)}{column} = {value!r} "
                         f"is not {_KIND_WORDS[kind]}") from None


def _where(what: str, line_no: int, values: list, columns: list[str]) -> str:
    src = values[columns.index("src")] if "src" in columns else None
    at = f" (cell {src})" if isinstance(src, str) and src else ""
    return f"{what}, line {line_no + 1}{at}: "


def to_frame(rows: Iterable[Mapping[str, Any]], spec: LineSpec, leading: Mapping[str, str] | None = None
             ) -> pd.DataFrame:
    """Rows (mappings) to a frame with ``leading`` extra columns first, then the spec's columns.

    ``leading`` maps a column name to its kind, e.g. ``{"rep_id": "str"}``.
    """
    kinds = dict(leading or {})
    kinds.update(spec.kinds)
    rows = list(rows)
    return pd.DataFrame({c: series([r[c] for r in rows], k) for c, k in kinds.items()})


def series(values: list[Any], kind: str) -> pd.Series:
    if kind == "int":
        return pd.Series(values, dtype="int64")
    if kind == "Int64":  # a whole number that may be missing (pd.NA)
        return pd.Series(values, dtype="Int64")
    if kind == "float":
        return pd.Series([math.nan if v is None else v for v in values], dtype="float64")
    if kind == "bool":
        return pd.Series(values, dtype="bool")
    return pd.Series(values, dtype="object")  # str, date, datetime, json: Python objects, None when empty
