"""The add-in's own words in Excel (message boxes, status bar) in the workspace's language.

A small table kept here until the zh-CN message catalogue exists: each key has an English and a
Chinese text, with ``str.format`` fields.  The stages' result messages stay English for now.
"""
from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "save_first": {
        "en": "Save this workbook inside your kamplan workspace first, then press the button again.",
        "zh-CN": "请先把本工作簿保存到 kamplan 工作区内,然后再按一次按钮。"},
    "status": {"en": "kamplan · {label}: {step}", "zh-CN": "kamplan · {label}:{step}"},
    "starting": {"en": "starting", "zh-CN": "正在开始"},
    "annotating": {"en": "writing the problems into the workbook", "zh-CN": "正在把问题写入工作簿"},
    "opening": {"en": "opening {name}", "zh-CN": "正在打开 {name}"},
    "no_workspace": {
        "en": "No kamplan workspace is chosen: press Choose workspace, or open a workbook inside a workspace.",
        "zh-CN": "尚未选择 kamplan 工作区:请按“选择工作区”,或打开工作区内的工作簿。"},
    "workspace_is": {"en": "Workspace: {root}", "zh-CN": "工作区:{root}"},
    "workspace_chosen": {"en": "The workspace is now {root}.", "zh-CN": "工作区已设为 {root}。"},
    "not_a_workspace": {
        "en": "{folder} holds no kamplan.yaml: choose the folder made by `kamplan init`.",
        "zh-CN": "{folder} 中没有 kamplan.yaml:请选择由 `kamplan init` 创建的文件夹。"},
    "onedrive": {
        "en": "This workbook is opened from OneDrive/SharePoint ({url}) and kamplan cannot find its folder on "
              "this PC. Open it from the synchronised folder in File Explorer (for example "
              "C:\\Users\\you\\OneDrive - Company\\...), or set KAMPLAN_WORKSPACE to the workspace folder.",
        "zh-CN": "本工作簿是从 OneDrive/SharePoint 打开的({url}),kamplan 找不到它在本机上的文件夹。"
                 "请在文件资源管理器中从同步文件夹打开(例如 C:\\Users\\you\\OneDrive - Company\\...),"
                 "或把环境变量 KAMPLAN_WORKSPACE 设为工作区文件夹。"},
    "refreshed": {"en": "Recalculated {cells} KAM_ cell(s) in {books} workbook(s); reopened {reopened}.",
                  "zh-CN": "已重新计算 {books} 个工作簿中的 {cells} 个 KAM_ 单元格;重新打开:{reopened}。"},
    "nothing": {"en": "none", "zh-CN": "无"},
}


def text(key: str, language: str = "en", **fields) -> str:
    """The text ``key`` in ``language`` (zh-CN, else English), its fields filled in."""
    entry = TEXTS[key]
    return entry.get(language if language == "zh-CN" else "en", entry["en"]).format(**fields)
