"""An issued account plan and a monthly review workbook, in one language, for the tests that open
workbooks in LibreOffice (the picture test): a small company with account teams, one plan filled and
collected twice so that the review has changes, overdue actions and a pipeline to show."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from kamplan.stages.account_plan import collect_plans, issue_plans, plan_inbox
from kamplan.stages.month_review import review_month
from support.account_plan import fill, plan_workspace

YEAR = 2026


def plan_books(folder: Path, language: str) -> dict[str, Path]:
    """{"account_plan_<language>.xlsx": path, "month_review_<language>.xlsx": path} in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with plan_workspace(folder / f"ws-{language}", language=language) as w:
        inbox = plan_inbox(w)
        inbox.mkdir(parents=True, exist_ok=True)
        issued = issue_plans(w, reps=["r2"]).written[0]
        fill(issued, inbox / issued.name, {
            "contacts": {(0, "account"): "A1", (0, "name"): "Wang Fang", (0, "owner"): "r2", (0, "influence"): 5,
                         (1, "account"): "A2", (1, "name"): "Li Lei"},
            "business": {(0, "usage_P1"): 480, (0, "usage_P2"): 100},
            "projects": {(0, "account"): "A1", (0, "project"): "New line", (0, "value"): 250000,
                         (0, "next_date"): dt.date(YEAR, 6, 15)},
            "actions": {(0, "account"): "A1", (0, "action"): "Send samples", (0, "owner"): "r2",
                        (0, "due"): dt.date(YEAR, 5, 10)}})
        collect_plans(w, now=dt.datetime(YEAR, 4, 20, 9))
        issued = issue_plans(w, reps=["r2"], force=True).written[0]
        for f in inbox.iterdir():
            f.unlink()
        fill(issued, inbox / "may.xlsx", {"competitors": {(0, "account"): "A1", (0, "competitor"): "RivalChem"}})
        collect_plans(w, now=dt.datetime(YEAR, 5, 20, 9))
        plan = issue_plans(w, reps=["r2"], force=True).written[0]
        review = review_month(w, dt.date(YEAR, 5, 1), now=dt.datetime(YEAR, 6, 2, 9)).path
        return {f"account_plan_{language}.xlsx": Path(shutil.copyfile(plan, folder / f"account_plan_{language}.xlsx")),
                f"month_review_{language}.xlsx": Path(shutil.copyfile(review, folder / f"month_review_{language}.xlsx"))}
