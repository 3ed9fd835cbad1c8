"""Every label a workbook shows, in English and Chinese.

Readers accept a closed choice in either language (a salesperson may switch the
language of a copied sheet), so each choice keeps both labels next to its id.
"""
from __future__ import annotations

LANGS = ("en", "zh-CN")

T: dict[str, tuple[str, str]] = {
    # sheet names (Excel limit: 31 characters, no []:*?/\)
    "sheet.cover": ("Read me", "说明"),
    "sheet.targets": ("Targets", "销售目标"),
    "sheet.summary": ("Account totals", "客户汇总"),
    "sheet.visits": ("Visit plan", "拜访计划"),
    "sheet.trainings": ("Trainings", "培训计划"),
    "sheet.services": ("Service commitments", "服务承诺"),
    "sheet.requests": ("Support requests", "资源申请"),
    "sheet.lists": ("Lists", "选项"),
    # common columns
    "col.account_id": ("Account ID", "客户编号"),
    "col.account": ("Account", "客户"),
    "col.account_pick": ("Account (pick)", "客户(下拉选择)"),
    "col.class": ("Class", "类别"),
    "col.product_id": ("Product ID", "产品编号"),
    "col.product": ("Product", "产品"),
    "col.unit": ("Unit", "单位"),
    "col.ly_volume": ("Last year volume", "上年销量"),
    "col.ly_price": ("Last year avg price", "上年均价"),
    "col.ly_revenue": ("Last year revenue", "上年销售额"),
    "col.volume_q": ("Volume Q{q}", "Q{q} 目标销量"),
    "col.price_q": ("Price Q{q}", "Q{q} 目标单价"),
    "col.revenue_q": ("Revenue Q{q}", "Q{q} 目标销售额"),
    "col.volume_total": ("Target volume", "全年目标销量"),
    "col.revenue_total": ("Target revenue", "全年目标销售额"),
    "col.growth_volume": ("Volume growth", "销量增长"),
    "col.growth_revenue": ("Revenue growth", "销售额增长"),
    "col.comment": ("Comment", "备注"),
    "col.default_visits": ("Default visits / quarter", "默认每季拜访"),
    "col.rep_visits_q": ("Your visits Q{q}", "Q{q} 本人拜访"),
    "col.exec_visits_q": ("Executive visits Q{q}", "Q{q} 高层拜访"),
    "col.rep_visits_total": ("Your visits / year", "全年本人拜访"),
    "col.exec_visits_total": ("Executive visits / year", "全年高层拜访"),
    "col.quarter": ("Quarter", "季度"),
    "col.topic": ("Topic", "培训主题"),
    "col.audience": ("Audience", "培训对象"),
    "col.commitment": ("Service we commit to", "服务承诺内容"),
    "col.measure": ("How it will be judged", "衡量标准"),
    "col.due": ("Due by", "完成期限"),
    "col.kind": ("Resource", "资源类型"),
    "col.purpose": ("Purpose", "支援目的"),
    "col.task": ("Concrete task", "具体任务"),
    "col.amount": ("Amount", "数量"),
    "col.deadline": ("Deadline", "时间限制"),
    "col.priority": ("Priority", "优先级"),
    "col.divisible": ("Can be split?", "可拆分?"),
    "col.total": ("Total", "合计"),
    # choices
    "kind.executive": ("Executive", "公司高层"),
    "kind.technical": ("Technical staff", "技术部"),
    "kind.advisor": ("Outside advisor", "外聘教授"),
    "priority.high": ("High", "高"),
    "priority.medium": ("Medium", "中"),
    "priority.low": ("Low", "低"),
    "yes": ("Yes", "是"),
    "no": ("No", "否"),
    "unit.days": ("days", "天"),
    "unit.visits": ("visits", "次"),
    "class.key": ("Key", "重点"),
    "class.develop": ("Develop", "培养"),
    "class.watch": ("Watch", "警惕"),
    "class.drop": ("Drop", "淘汰"),
    # cover
    "cover.title": ("Key-account targets {year}", "{year} 年大客户目标"),
    "cover.rep": ("Salesperson", "销售人员"),
    "cover.region": ("Region", "区域"),
    "cover.year": ("Plan year", "计划年度"),
    "cover.round": ("Round", "轮次"),
    "cover.deadline": ("Please return by", "请于此日期前交回"),
    "cover.accounts": ("Accounts", "客户数"),
    "cover.generated": ("Issued", "下发时间"),
    "cover.currency": ("Currency", "币种"),
    "cover.how": ("How to fill it in", "填写说明"),
    "cover.legend_input": ("Yellow cells are yours to fill in; everything else is locked and calculated.",
                           "黄色单元格由您填写;其他单元格已锁定或自动计算。"),
    "cover.steps": (
        "1. Targets: for every account and product, enter next year's volume per quarter. Prices are "
        "pre-filled with last year's average price (or the list price); change them where you expect a "
        "different price. Revenue, totals and growth calculate themselves.\n"
        "2. Visit plan: how often you and company executives will visit each account per quarter "
        "(pre-filled with the default for the account's class).\n"
        "3. Trainings: one row per training (account, quarter, topic, audience).\n"
        "4. Service commitments: what we will do for the account, how it will be judged and by when. "
        "Be specific.\n"
        "5. Support requests: the help you need from executives, the technical department or outside "
        "advisors: purpose, concrete task, amount, deadline and priority.\n"
        "6. Leave empty what does not apply (an empty volume means no target). Do not rename sheets or "
        "insert rows or columns. Save as .xlsx and send the file back unchanged in name.",
        "1. 销售目标:按客户和产品填写下一年度每季度的目标销量。单价已按上年均价(无上年数据时按目录价)预填,"
        "如预计价格变化请修改。销售额、合计及增长率自动计算。\n"
        "2. 拜访计划:填写您本人和公司高层每季度拜访各客户的次数(已按客户类别的默认拜访周期预填)。\n"
        "3. 培训计划:每行一次培训(客户、季度、主题、对象)。\n"
        "4. 服务承诺:公司将为客户提供的服务、衡量标准和完成期限,越具体越好。\n"
        "5. 资源申请:需要公司高层、技术部或外聘教授支援的,写明支援目的、具体任务、数量、时间限制和优先级。\n"
        "6. 不适用的单元格留空(销量留空表示无目标)。请勿重命名工作表,勿插入或删除行列。保存为 .xlsx,"
        "保持文件名不变交回。"),
    "cover.no_macros": ("This workbook has no macros. It works in Excel, WPS and LibreOffice.",
                        "本工作簿不含宏,可在 Excel、WPS 和 LibreOffice 中使用。"),
    # validation messages
    "val.volume": ("Enter the volume as a number of {unit}, 0 or more (leave empty for none).",
                   "请输入销量(单位:{unit}),不小于 0;无目标请留空。"),
    "val.price": ("Enter the price per {unit} as a positive number.", "请输入单价(每{unit}),须为正数。"),
    "val.visits": ("Enter a whole number of visits from 0 to 90.", "请输入 0 到 90 之间的整数拜访次数。"),
    "val.amount": ("Enter the days or visits needed, a number above 0.", "请输入所需天数或次数,须大于 0。"),
    "val.date": ("Enter a date from {start} to {end}.", "请输入 {start} 至 {end} 之间的日期。"),
    "val.pick": ("Pick a value from the list.", "请从下拉列表中选择。"),
    "val.title": ("kamplan", "kamplan"),
    # --- top-down proposal workbook (round 2+, issue 4) -------------------------------------------
    "col.own_volume": ("Your volume", "您的销量"),
    "col.own_revenue": ("Your revenue", "您的销售额"),
    "col.proposal_volume": ("Proposal volume", "建议销量"),
    "col.proposal_revenue": ("Proposal revenue", "建议销售额"),
    "col.diff_revenue": ("Now − yours", "当前 − 您的"),
    "col.diff_pct": ("Now vs yours %", "当前较您的 %"),
    "col.response": ("Response", "答复"),
    "col.reason": ("Comment / reason for a counter", "备注 / 异议理由"),
    "col.prop_volume_q": ("Proposal volume Q{q}", "Q{q} 建议销量"),
    "col.prop_price_q": ("Proposal price Q{q}", "Q{q} 建议单价"),
    "response.accept": ("Accept", "接受"),
    "response.counter": ("Counter", "提出异议"),
    "val.response": ("Leave empty or pick Accept to accept the proposal; pick Counter if you changed the "
                     "figures, and give the reason in the comment column.",
                     "接受建议请留空或选择“接受”;如修改了数字请选择“提出异议”,并在备注栏写明理由。"),
    "cover.title_proposal": ("Key-account targets {year}: top-down proposal", "{year} 年大客户目标:自上而下建议"),
    "cover.steps_proposal": (
        "This is round {round}. The VP has adjusted the plan from the top down. The Targets sheet is pre-filled "
        "with the proposal for each account and product; next to it you see your own figure (volume and "
        "revenue), the proposal's revenue and the difference between the current figures and yours.\n"
        "1. To accept a line, leave the proposal as it is (the Response may stay empty or say Accept).\n"
        "2. To counter a line, change its volume or price to your figure, choose Counter in Response and "
        "write the reason in the comment column. A line whose figures differ from the proposal without "
        "Counter and a reason cannot be collected. One response covers the line's four quarters.\n"
        "3. The proposal's figures per quarter stay visible in the grey columns on the right, so you can always "
        "go back to them.\n"
        "4. Your visit plan, trainings, service commitments and support requests from your last submission "
        "are filled in again; change them only where your plans have changed.\n"
        "5. Do not rename sheets or insert rows or columns. Save as .xlsx and send the file back.",
        "这是第 {round} 轮。销售副总已自上而下调整了计划。“销售目标”表已按客户和产品预填了建议数字;"
        "旁边列出您自己的数字(销量和销售额)、建议的销售额,以及当前数字与您的数字之差。\n"
        "1. 接受某一行:保持建议数字不变(“答复”可留空或选择“接受”)。\n"
        "2. 对某一行提出异议:把销量或单价改成您的数字,在“答复”中选择“提出异议”,并在备注栏写明理由。"
        "数字与建议不同但未选择“提出异议”或未写理由的行无法收集。一个答复适用于该行的四个季度。\n"
        "3. 右侧灰色列始终显示各季度的建议数字,方便您随时改回。\n"
        "4. 您上次提交的拜访计划、培训计划、服务承诺和资源申请已重新填入,仅在计划有变时修改。\n"
        "5. 请勿重命名工作表,勿插入或删除行列。保存为 .xlsx 后交回。"),
    # --- end of the top-down proposal block -------------------------------------------------------
}


def t(key: str, language: str, **fmt) -> str:
    en, zh = T[key]
    text = zh if language == "zh-CN" else en
    return text.format(**fmt) if fmt else text


def both(key: str, **fmt) -> tuple[str, ...]:
    return tuple(s.format(**fmt) if fmt else s for s in T[key])
