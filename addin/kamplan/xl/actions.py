"""The registry of add-in actions: ribbon button id -> label (en / zh-CN), Python callable, help.

The ribbon XML, the VBA button wrappers of the macro-enabled workbooks and the ``kamplan addin``
command are all generated from ``ACTIONS``, so the VBA side needs a single generic dispatcher
(``KamplanMain.KamRun id``) and adding a stage to the add-in is one line here.

An action's ``target`` is a dotted path ``package.module:function``; the function takes an
``ActionContext`` and returns an ``ActionResult``.  Targets are imported only when a button is
pressed, so a slow or heavy stage costs nothing until it is used.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kamplan.problems import Problem
from kamplan.stages.inputs import Progress, no_progress

WORKSPACE_ENV = "KAMPLAN_WORKSPACE"  # a workspace folder that applies whatever workbook is open


@dataclass(frozen=True)
class Group:
    id: str
    en: str
    zh: str

    def label(self, language: str) -> str:
        return self.zh if language == "zh-CN" else self.en


@dataclass(frozen=True)
class Action:
    id: str  # ribbon button id and the argument of the VBA dispatcher; an XML NCName
    group: str  # Group.id
    en: str  # button label
    zh: str
    target: str  # "kamplan.xl.tasks:check_sheet"
    help_en: str  # the button's screentip, and `kamplan addin actions`
    help_zh: str
    image: str = "MacroPlay"  # a built-in Office icon (imageMso)
    needs_book: bool = False  # True: runs on the open workbook (saved first)
    opens_output: bool = False  # True: in Excel, the workbook it wrote is opened afterwards

    def label(self, language: str) -> str:
        return self.zh if language == "zh-CN" else self.en

    def help(self, language: str) -> str:
        return self.help_zh if language == "zh-CN" else self.help_en

    def resolve(self) -> Callable[["ActionContext"], "ActionResult"]:
        module, _, name = self.target.partition(":")
        fn = getattr(importlib.import_module(module), name)
        if not callable(fn):
            raise TypeError(f"action {self.id}: {self.target} is not callable")
        return fn


@dataclass
class ActionContext:
    workspace: "object"  # kamplan.workspace.Workspace, open
    book: Path | None = None  # the workbook the button was pressed on (saved), if any
    language: str = "en"
    progress: Progress = no_progress


@dataclass
class ActionResult:
    message: str  # what was done, in one or two sentences, for the closing message box
    output: Path | None = None  # the file or folder written (the macro opens a workbook)
    problems: list[Problem] = field(default_factory=list)
    ok: bool = True

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


TAB_ID = "kamTab"
TAB_LABEL = {"en": "Key Accounts", "zh-CN": "大客户"}
GROUPS: tuple[Group, ...] = (
    Group("kamSheet", "This sheet", "当前工作簿"),
    Group("kamTargets", "Targets", "目标"),
    Group("kamPlan", "Plan", "计划"),
    Group("kamAccounts", "Accounts", "客户"),
    Group("kamReview", "Evaluation", "评估"),
    Group("kamOutput", "Output", "输出"),
    Group("kamWorkspace", "Workspace", "工作区"),
)

ACTIONS: tuple[Action, ...] = (
    Action("kam_check", "kamSheet", "Check this sheet", "检查本表", "kamplan.xl.tasks:check_sheet",
           "Check the open target workbook as collect would; problems go next to the cells and into a "
           "Checks sheet.", "按收集时的规则检查当前目标工作簿;问题写在单元格旁和“检查”工作表中。",
           image="ReviewAcceptChange", needs_book=True),
    Action("kam_submit", "kamSheet", "Submit", "提交", "kamplan.xl.tasks:submit_sheet",
           "Check the open target workbook and, when it has no errors, put it in the inbox and collect it.",
           "检查当前目标工作簿,无错误时放入收件箱并收集入库。", image="FileSendAsAttachment", needs_book=True),
    Action("kam_issue", "kamTargets", "Issue workbooks", "下发工作簿", "kamplan.xl.tasks:issue",
           "Write one target workbook per salesperson into outbox/round-N (existing ones are kept).",
           "为每位销售人员生成目标工作簿,放在 outbox/round-N(已有的保留)。", image="FileNew"),
    Action("kam_collect", "kamTargets", "Collect", "收集", "kamplan.xl.tasks:collect",
           "Read every returned workbook in the inbox into the store and say who is missing.",
           "把收件箱中交回的工作簿读入数据库,并列出未交人员。", image="ImportExcel"),
    Action("kam_consolidate", "kamPlan", "Consolidate", "汇总", "kamplan.xl.tasks:consolidate",
           "Add up the collected targets bottom-up (missing salespeople at last year's run-rate) and write the "
           "consolidation workbook.", "自下而上汇总已收集的目标(未交人员按去年实际计)并生成汇总工作簿。",
           image="AutoSum", opens_output=True),
    Action("kam_spread", "kamPlan", "Spread top-down", "自上而下分解", "kamplan.xl.tasks:spread",
           "Apply the instruction typed into the Top-down sheet of the open consolidation workbook as a new plan "
           "version, and write the refreshed workbook.",
           "把当前汇总工作簿“自上而下”表中填写的指令应用为新的计划版本,并生成更新后的工作簿。",
           image="FunctionWizard", needs_book=True, opens_output=True),
    Action("kam_agree", "kamPlan", "Agree plan", "确认计划", "kamplan.xl.tasks:agree",
           "Lock the current plan version as agreed and write each salesperson's annual targets and the "
           "management summary.", "将当前计划版本锁定为已确认,并为每位销售人员生成年度目标及管理层汇总。",
           image="ReviewProtectWorkbook"),
    Action("kam_allocate", "kamPlan", "Allocate support", "分配支持资源", "kamplan.xl.tasks:allocate",
           "Allocate executives, technical staff and advisors to the plan's requests (the VP's choices in the "
           "newest resource plan are read first) and write the resource plan workbook.",
           "把高管、技术人员和顾问分配给计划中的支持需求(先读取最新资源计划中副总的选择),并生成资源计划工作簿。",
           image="SmartArtInsert", opens_output=True),
    Action("kam_segment", "kamAccounts", "Review accounts", "客户分析", "kamplan.xl.tasks:segment",
           "Pareto, profitability, scores and classes; writes the account review workbook.",
           "帕累托、盈利性、评分和分类;生成客户分析工作簿。", image="ChartTypeBarInsertGallery",
           opens_output=True),
    Action("kam_actuals", "kamReview", "Import actuals", "导入实际数据", "kamplan.xl.tasks:import_actuals",
           "Import the ERP exports in the workspace's actuals folder (and the activity logs in actuals/activities); "
           "lines of customers or products not in the plan are listed in a file.",
           "导入工作区 actuals 文件夹中的 ERP 导出数据(以及 actuals/activities 中的活动记录);"
           "不在计划内的客户或产品的明细另存为文件。", image="ImportTextFile"),
    Action("kam_evaluate", "kamReview", "Evaluate quarter", "季度评估", "kamplan.xl.tasks:evaluate",
           "Goal against result, forecast and early warnings for the latest quarter with actuals; writes the VP's "
           "and each salesperson's evaluation workbook.",
           "按最新有实际数据的季度比较目标与实际、预测并预警;生成副总及每位销售人员的评估工作簿。",
           image="ChartTypeLineInsertGallery", opens_output=True),
    Action("kam_open_output", "kamOutput", "Open output", "打开输出", "kamplan.xl.tasks:open_output",
           "Open the newest workbook in the workspace's reports folder.", "打开 reports 文件夹中最新的工作簿。",
           image="FileOpen", opens_output=True),
    Action("kam_refresh", "kamOutput", "Refresh", "刷新", "kamplan.xl.tasks:refresh",
           "Recalculate every KAM_ cell of the open workbooks from the store, and reopen open outputs that a "
           "newer one has replaced.", "按数据库重新计算已打开工作簿中的所有 KAM_ 单元格,并重新打开已被更新版本取代的输出。",
           image="RefreshAll"),
    Action("kam_workspace", "kamWorkspace", "Choose workspace", "选择工作区", "kamplan.xl.tasks:current_workspace",
           "Choose the workspace folder the buttons and KAM_ functions use when the workbook is not inside one; "
           "the current one is shown in the status bar.",
           "选择工作簿不在工作区内时按钮和 KAM_ 函数所用的工作区文件夹;当前工作区显示在状态栏中。",
           image="FileOpenUsingSystemDialog"),
)
EXCEL_ONLY = ("kam_workspace",)  # needs no workspace to start: it chooses one


def get(action_id: str) -> Action:
    for a in ACTIONS:
        if a.id == action_id:
            return a
    raise KeyError(f"no add-in action {action_id!r}; known: {', '.join(a.id for a in ACTIONS)}")


def chosen_file() -> Path:
    """Where Choose workspace keeps the folder (per user, beside the add-in's settings)."""
    return Path.home() / ".kamplan" / "workspace.txt"


def chosen_workspace() -> Path | None:
    """The folder chosen with Choose workspace, while it still is a workspace."""
    from kamplan.workspace import CONFIG_NAME
    try:
        root = Path(chosen_file().read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return root if str(root) and (root / CONFIG_NAME).exists() else None


def choose_workspace(folder: Path) -> Path:
    """Remember ``folder`` (or the workspace above it) as the chosen workspace; refused when it is none."""
    from kamplan.workbooks.kit.xlsxio import atomic_path
    from kamplan.workspace import CONFIG_NAME
    folder = Path(folder).expanduser().resolve()
    root = next((f for f in [folder, *folder.parents] if (f / CONFIG_NAME).exists()), None)
    if root is None:
        raise ActionError(f"{folder} holds no {CONFIG_NAME}: choose the folder made by `kamplan init`")
    chosen_file().parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(chosen_file()) as tmp:
        Path(tmp).write_text(str(root), encoding="utf-8")
    return root


def find_workspace(start: Path | None) -> Path | None:
    """The workspace a workbook belongs to: ``$KAMPLAN_WORKSPACE``, else the nearest folder at or above
    ``start`` that holds a ``kamplan.yaml`` (a returned workbook in ``inbox/`` finds its workspace), else
    the one chosen with Choose workspace."""
    from kamplan.workspace import CONFIG_NAME
    env = os.environ.get(WORKSPACE_ENV)
    if env and (Path(env) / CONFIG_NAME).exists():
        return Path(env).resolve()
    if start is not None:
        start = Path(start).resolve()
        for folder in [start, *start.parents] if start.is_dir() else list(start.parents):
            if (folder / CONFIG_NAME).exists():
                return folder
    return chosen_workspace()


class ActionError(Exception):
    """An action cannot start (no workspace, unsaved workbook ...); the message says what to do."""


def run_action(action_id: str, *, book: Path | None = None, workspace: Path | None = None,
               progress: Progress = no_progress, language: str | None = None) -> ActionResult:
    """Run one registered action on files: what the ribbon button does, without Excel."""
    from kamplan.workspace import Workspace
    action = get(action_id)
    if action.needs_book and book is None:
        raise ActionError(f"{action.en} works on an open workbook: open a target workbook first")
    root = workspace or find_workspace(book)
    if root is None:
        where = f" above {book.parent}" if book is not None else ""
        raise ActionError(f"no kamplan workspace found{where}: keep the workbook inside a workspace folder "
                          f"(made by `kamplan init`) or set {WORKSPACE_ENV} to the workspace folder")
    fn = action.resolve()
    with Workspace.open(root) as ws:
        ctx = ActionContext(ws, Path(book) if book else None, language or ws.config.language, progress)
        return fn(ctx)
