"""Parsing one input cell into a typed value, or a reason it cannot be read.

Values come from python-calamine (float, int, str, bool, date, datetime, "" for
empty).  Every parser returns ``(value, complaint)``; the complaint is a short
phrase such as ``"abc" is not a number`` that the reader turns into a Problem
with file, sheet, cell and fix.  A complaint is a catalogue phrase
(``kamplan.messages.Message``, ids ``cell.*``): English as a string, and said in
the salesperson's language when the problem is shown.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from kamplan.problems import phrase

EXCEL_EPOCH = dt.date(1899, 12, 30)
_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or (
        isinstance(value, float) and math.isnan(value))


def show(value) -> str:
    """A value as the user would recognise it in a message."""
    if isinstance(value, str):
        v = value if len(value) <= 40 else value[:37] + "..."
        return f'"{v}"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_number(value) -> tuple[float | None, str | None]:
    if is_blank(value):
        return None, None
    if isinstance(value, bool):
        return None, phrase("cell.not-a-number", value=show(value))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isinf(value):
            return None, phrase("cell.infinite")
        return float(value), None
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return None, phrase("cell.date-not-number", value=str(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()  # full-width digits → ASCII
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("'", "")
    if "," in cleaned:
        # "1,200" is a thousands separator; "1,5" may be a decimal comma: too ambiguous to guess
        if not _GROUPED.match(cleaned):
            return None, phrase("cell.ambiguous-comma", value=show(value))
        cleaned = cleaned.replace(",", "")
    if _NUM.match(cleaned):
        number = float(cleaned)
        if math.isinf(number):
            return None, phrase("cell.too-large", value=show(value))
        return number, None
    return None, phrase("cell.not-a-number", value=show(value))


def parse_integer(value) -> tuple[int | None, str | None]:
    num, why = parse_number(value)
    if why or num is None:
        return None, why
    if abs(num - round(num)) > 1e-9:
        return None, phrase("cell.not-whole", value=show(value))
    return int(round(num)), None


def parse_date(value) -> tuple[dt.date | None, str | None]:
    if is_blank(value):
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, bool):
        return None, phrase("cell.not-a-date", value=show(value))
    if isinstance(value, (int, float)):
        # a date typed into a cell formatted as General arrives as its serial number
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value)), None
        return None, phrase("cell.not-a-date", value=show(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None
            except ValueError:
                break
    return None, phrase("cell.not-a-date", value=show(value))


def parse_text(value, max_len: int = 2000) -> tuple[str | None, str | None]:
    if is_blank(value):
        return None, None
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ", timespec="minutes")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    if len(text) > max_len:
        return None, phrase("cell.text-too-long", length=len(text), max_len=max_len)
    return text, None


def normalise_label(value) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()
