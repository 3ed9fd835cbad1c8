"""Fiscal calendars by first month, period end dates or weeks: each date in exactly one quarter, and
every calendar mistake named by its key path."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kamplan.config import ConfigError, config_from_dict
from kamplan.config.schema import Calendar
from kamplan.demo.company import demo_config_dict
from kamplan.periods import UnmappedDatesError, fiscal_year_quarter, period_map, quarter_parts

D = dt.date
FEB_MAY_AUG_NOV = ["2013-02-28", "2013-05-30", "2013-08-30", "2013-11-30"]


def _quarter(calendar, day) -> tuple[int, int]:
    year, quarter = fiscal_year_quarter([day], calendar)
    return int(year[0]), int(quarter[0])


# --- period end dates -------------------------------------------------------------------------------

def test_period_ends_map_the_boundary_days_to_the_right_quarter():
    cal = Calendar(period_ends=FEB_MAY_AUG_NOV)
    assert _quarter(cal, "2013-02-28") == (2013, 1)
    assert _quarter(cal, "2013-03-01") == (2013, 2)
    assert _quarter(cal, "2012-12-01") == (2013, 1)
    assert _quarter(cal, "2012-11-30") == (2012, 4)
    assert _quarter(cal, "2013-05-30") == (2013, 2) and _quarter(cal, "2013-05-31") == (2013, 3)
    assert _quarter(cal, "2013-08-31") == (2013, 4) and _quarter(cal, "2013-11-30") == (2013, 4)
    assert _quarter(cal, "2013-12-01") == (2014, 1)
    assert cal.year_span(2013) == (D(2012, 12, 1), D(2013, 11, 30))
    assert cal.quarter_span(2013, 3) == (D(2013, 5, 31), D(2013, 8, 30))
    assert cal.quarter_label(2013, 1, "en") == "Q1 (1 Dec–28 Feb)"
    assert cal.quarter_label(2013, 1, "zh-CN") == "第1季度(12月1日–2月28日)"


def test_an_end_on_28_february_stays_there_in_a_leap_year():
    cal = Calendar(period_ends=FEB_MAY_AUG_NOV)
    assert _quarter(cal, "2016-02-28") == (2016, 1)
    assert _quarter(cal, "2016-02-29") == (2016, 2)
    assert cal.quarter_span(2016, 2) == (D(2016, 2, 29), D(2016, 5, 30))


def test_an_end_on_29_february_is_28_february_in_other_years():
    cal = Calendar(period_ends=["2012-02-29", "2012-05-31", "2012-08-31", "2012-11-30"])
    assert cal.quarter_span(2013, 1) == (D(2012, 12, 1), D(2013, 2, 28))
    assert cal.quarter_span(2016, 1)[1] == D(2016, 2, 29)
    assert _quarter(cal, "2013-03-01") == (2013, 2)


def test_every_day_is_in_exactly_one_quarter_and_the_quarters_join():
    for cal in (Calendar(period_ends=FEB_MAY_AUG_NOV), Calendar(weeks=[4, 5, 4], start="2026-01-04", years={2027: 53}),
                Calendar(first_month=4)):
        days = pd.date_range("2011-01-01", "2031-12-31")
        year, quarter = fiscal_year_quarter(days, cal)
        index = year * 4 + quarter - 1
        assert (np.diff(index) >= 0).all() and set(np.diff(index)) <= {0, 1}  # no day skipped or out of order
        for y in range(2012, 2031):
            for q in (1, 2, 3, 4):
                first, last = cal.quarter_span(y, q)
                inside = (index == y * 4 + q - 1)
                assert days[inside][0].date() == first and days[inside][-1].date() == last


def test_the_parts_of_a_quarter_follow_the_period_end_day():
    cal = Calendar(period_ends=FEB_MAY_AUG_NOV)
    assert quarter_parts(cal, 2013, 3) == [(D(2013, 5, 31), D(2013, 6, 30)), (D(2013, 7, 1), D(2013, 7, 30)),
                                           (D(2013, 7, 31), D(2013, 8, 30))]
    found = period_map(["2013-07-30", "2013-07-31"], cal)
    assert found.part.tolist() == [2, 3] and found.quarter.tolist() == [3, 3]


# --- 4-4-5 ------------------------------------------------------------------------------------------

def test_a_445_calendar_with_a_53_week_year():
    cal = Calendar(weeks=[4, 4, 5], start="2026-01-04", years={2027: 53})
    assert cal.year_span(2026) == (D(2026, 1, 4), D(2027, 1, 2))  # 364 days
    assert cal.year_span(2027) == (D(2027, 1, 3), D(2028, 1, 8))  # 371 days: 53 weeks
    assert cal.year_span(2028)[0] == D(2028, 1, 9)
    assert cal.year_span(2025) == (D(2025, 1, 5), D(2026, 1, 3))
    assert cal.quarter_span(2026, 1) == (D(2026, 1, 4), D(2026, 4, 4))  # 13 weeks
    assert cal.quarter_span(2027, 4) == (D(2027, 10, 3), D(2028, 1, 8))  # 14 weeks
    assert [last for _, last in quarter_parts(cal, 2027, 4)] == [D(2027, 10, 30), D(2027, 11, 27), D(2028, 1, 8)]
    assert _quarter(cal, "2027-01-02") == (2026, 4) and _quarter(cal, "2027-01-03") == (2027, 1)
    assert _quarter(cal, "2028-01-08") == (2027, 4) and _quarter(cal, "2028-01-09") == (2028, 1)
    assert cal.quarter_label(2026, 1) == "Q1 (4 Jan–4 Apr)"


# --- first month: exactly the old arithmetic --------------------------------------------------------

def _old_formula(dates, first_month):
    stamps = pd.DatetimeIndex(pd.to_datetime(dates))
    month = stamps.month.to_numpy(dtype="int64")
    return stamps.year.to_numpy(dtype="int64") - (month < first_month), (month - first_month) % 12 // 3 + 1


@settings(max_examples=60, deadline=None)
@given(first_month=st.integers(1, 12),
       days=st.lists(st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)), min_size=1, max_size=200))
def test_first_month_calendars_give_exactly_the_old_quarters(first_month, days):
    want_year, want_quarter = _old_formula(days, first_month)
    for calendar in (first_month, Calendar(first_month=first_month)):
        year, quarter = fiscal_year_quarter(days, calendar)
        assert year.tolist() == want_year.tolist() and quarter.tolist() == want_quarter.tolist()
    assert Calendar(first_month=first_month).year_span(2026)[0] == D(2026, first_month, 1)


def test_no_calendar_given_is_january_quarters():
    assert Calendar().first_month == 1
    assert fiscal_year_quarter(["2026-03-31", "2026-04-01"])[1].tolist() == [1, 2]


# --- explicit years -----------------------------------------------------------------------------------

def test_explicit_years_alone_refuse_a_date_outside_them():
    cal = Calendar(years_explicit={2012: ["2012-02-29", "2012-05-30", "2012-08-30", "2012-11-30"],
                                   2013: FEB_MAY_AUG_NOV})
    assert _quarter(cal, "2011-12-01") == (2012, 1) and _quarter(cal, "2013-11-30") == (2013, 4)
    found = period_map(["2011-11-30", "2012-06-01", "2013-12-01"], cal)
    assert found.mapped.tolist() == [False, True, False]
    assert found.year.tolist() == [0, 2012, 0]
    with pytest.raises(UnmappedDatesError) as info:
        fiscal_year_quarter(["2012-06-01", "2013-12-01"], cal)
    assert "2013-12-01" in str(info.value) and "fiscal 2012 (2011-12-01 to 2012-11-30)" in str(info.value)
    with pytest.raises(ValueError, match="fiscal year 2014 is not in the calendar"):
        cal.year_span(2014)
    far = period_map(["1999-01-01", "1999-06-30"], cal)  # no defined year anywhere near
    assert far.mapped.tolist() == [False, False] and far.quarter.tolist() == [0, 0]


def test_an_explicit_year_overrides_the_pattern():
    cal = Calendar(first_month=1, years_explicit={2026: ["2026-03-28", "2026-06-27", "2026-09-26", "2026-12-31"]})
    assert cal.quarter_span(2026, 1) == (D(2026, 1, 1), D(2026, 3, 28))
    assert _quarter(cal, "2026-03-30") == (2026, 2) and _quarter(cal, "2027-03-30") == (2027, 1)


# --- config problems, with their key paths ----------------------------------------------------------

def _problems(calendar: dict) -> list[tuple[str, str]]:
    data = demo_config_dict()
    data["calendar"] = calendar
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    return [(p.cell, p.message) for p in info.value.problems]


@pytest.mark.parametrize("calendar, cell, words", [
    ({"period_ends": ["2013-02-28", "2013-08-30", "2013-05-30", "2013-11-30"]}, "calendar.period_ends[2]",
     "is not after period_ends[1] 2013-08-30"),
    ({"period_ends": ["2013-02-28", "2013-02-28", "2013-08-30", "2013-11-30"]}, "calendar.period_ends[1]",
     "not after"),
    ({"period_ends": ["2013-02-28", "2013-05-30", "2013-08-30"]}, "calendar.period_ends", "3 date(s) given"),
    ({"period_ends": ["2013-02-28", "2013-05-30", "2013-08-30", "2013-11-30", "2014-02-28"]},
     "calendar.period_ends", "5 date(s) given"),
    ({"period_ends": ["2013-02-28", "2013-05-30", "2013-08-30", "2014-03-31"]}, "calendar.period_ends",
     "would overlap"),
    ({"first_month": 4, "period_ends": FEB_MAY_AUG_NOV}, "calendar", "exactly one of"),
    ({"period_ends": FEB_MAY_AUG_NOV, "weeks": [4, 4, 5], "start": "2026-01-04"}, "calendar", "exactly one of"),
    ({"weeks": [4, 4, 4], "start": "2026-01-04"}, "calendar.weeks", "quarter 1 has 12 weeks"),
    ({"weeks": [4, 4, 5, 4, 5, 4, 5, 4, 4, 4, 4, 4], "start": "2026-01-04"}, "calendar.weeks", "quarter 4 has 12"),
    ({"weeks": [4, 4, 5]}, "calendar.start", "needs both"),
    ({"weeks": [4, 4, 5], "start": "2026-01-04", "years": {2027: 54}}, "calendar.years[2027]", "52 or 53"),
    ({"first_month": 1, "years": {2027: 53}}, "calendar.years", "week calendar"),
    ({"years_explicit": {2013: ["2013-02-28", "2013-05-30", "2013-11-30", "2013-08-30"]}},
     "calendar.years_explicit.2013[3]", "not after"),
    ({"period_ends": FEB_MAY_AUG_NOV, "years_explicit": {2014: ["2013-11-15", "2014-05-30", "2014-08-30",
                                                                   "2014-11-30"]}},
     "calendar.years_explicit.2014[0]", "not after the end of fiscal 2013"),
    ({"years_explicit": {2012: ["2012-02-29", "2012-05-30", "2012-08-30", "2012-11-30"],
                         2013: ["2013-02-28", "2013-05-30", "2013-08-30", "2014-02-28"]}},
     "calendar.years_explicit.2013", "455 days"),
])
def test_calendar_mistakes_name_their_key_path(calendar, cell, words):
    problems = _problems(calendar)
    assert any(c == cell and words in m for c, m in problems), problems


def test_period_ends_on_month_ends_equal_the_first_month_calendar():
    """Ends on 30 Jun / 30 Sep / 31 Dec / 31 Mar are the April calendar: the same quarter for every day."""
    days = pd.date_range("2010-01-01", "2032-12-31")
    ends = Calendar(period_ends=["2026-06-30", "2026-09-30", "2026-12-31", "2027-03-31"])
    assert [a.tolist() for a in fiscal_year_quarter(days, ends)] == [a.tolist() for a in fiscal_year_quarter(days, 4)]
