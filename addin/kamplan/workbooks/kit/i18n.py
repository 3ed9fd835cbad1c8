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


# ---- consolidation workbook (VP: bottom-up consolidation, top-down instruction) -------------------------
T.update({
    "cons.sheet.cover": ("Read me", "说明"),
    "cons.sheet.summary": ("Summary", "汇总"),
    "cons.sheet.charts": ("Charts", "图表"),
    "cons.sheet.accounts": ("Accounts", "客户明细"),
    "cons.sheet.lines": ("Lines", "明细数据"),
    "cons.sheet.status": ("Status", "提交状态"),
    "cons.sheet.warnings": ("Warnings", "提示"),
    "cons.sheet.versions": ("Versions", "版本"),
    "cons.sheet.topdown": ("Top-down", "自上而下调整"),
    "cons.sheet.lists": ("Lists", "选项"),
    "cons.title": ("Target consolidation {year}", "{year} 年目标汇总"),
    "cons.subtitle": ("{company} · version {version} ({kind}) · {currency}",
                      "{company} · 版本 {version}({kind})· {currency}"),
    "cons.version_kind.bottom-up": ("bottom-up", "自下而上"),
    "cons.version_kind.top-down": ("top-down", "自上而下"),
    "cons.version_kind.undo": ("undo", "撤销"),
    "cons.version_kind.agreed": ("agreed", "已确认"),
    "cons.level.company": ("Company", "公司"),
    "cons.level.region": ("Region", "区域"),
    "cons.level.rep": ("Salesperson", "销售人员"),
    "cons.level.class": ("Class", "类别"),
    "cons.level.product": ("Product", "产品"),
    "cons.level.account": ("Account", "客户"),
    "cons.level.line": ("Line", "明细行"),
    "cons.company_total": ("Company total", "公司合计"),
    "cons.col.level": ("Level", "层级"),
    "cons.col.id": ("ID", "编号"),
    "cons.col.name": ("Name", "名称"),
    "cons.col.basis": ("Basis", "依据"),
    "cons.col.runrate_share": ("Run-rate share of revenue", "沿用上年占销售额比例"),
    "cons.col.rep_id": ("Salesperson ID", "销售人员编号"),
    "cons.col.rep": ("Salesperson", "销售人员"),
    "cons.col.region_id": ("Region ID", "区域编号"),
    "cons.col.region": ("Region", "区域"),
    "cons.col.cls": ("Class ID", "类别编号"),
    "cons.col.class": ("Class", "类别"),
    "cons.col.account_id": ("Account ID", "客户编号"),
    "cons.col.account": ("Account", "客户"),
    "cons.col.product_id": ("Product ID", "产品编号"),
    "cons.col.product": ("Product", "产品"),
    "cons.col.quarter": ("Quarter", "季度"),
    "cons.col.volume": ("Volume", "销量"),
    "cons.col.price": ("Price", "单价"),
    "cons.col.revenue": ("Revenue", "销售额"),
    "cons.col.ly_volume": ("Last year volume", "上年销量"),
    "cons.col.ly_revenue": ("Last year revenue", "上年销售额"),
    "cons.col.own_volume": ("Bottom-up volume", "自下而上销量"),
    "cons.col.own_revenue": ("Bottom-up revenue", "自下而上销售额"),
    "cons.col.m_ly": ("Last year {m}", "上年{m}"),
    "cons.col.m_own": ("Bottom-up {m}", "自下而上{m}"),
    "cons.col.m_cur": ("Current {m}", "当前{m}"),
    "cons.col.m_growth": ("{m} growth vs last year", "{m}较上年增长"),
    "cons.col.m_vs_own": ("{m} change vs bottom-up", "{m}较自下而上变化"),
    "cons.m.volume": ("volume", "销量"),
    "cons.m.revenue": ("revenue", "销售额"),
    "cons.period.year": ("Year", "全年"),
    "cons.period.q": ("Q{q}", "Q{q}"),
    "cons.basis.submitted": ("submitted", "已提交"),
    "cons.basis.run-rate": ("run-rate", "沿用上年"),
    "cons.runrate_mark": ("run-rate ({state})", "沿用上年({state})"),
    "cons.state.submitted": ("submitted", "已提交"),
    "cons.state.missing": ("missing", "未提交"),
    "cons.state.rejected": ("rejected", "被退回"),
    "cons.col.state": ("State", "状态"),
    "cons.col.file_name": ("File", "文件"),
    "cons.col.at": ("Received", "收到时间"),
    "cons.col.reasons": ("Why rejected", "退回原因"),
    "cons.col.last_good_file": ("Last good file", "最近合格文件"),
    "cons.col.severity": ("Severity", "级别"),
    "cons.col.where": ("Where (file › sheet › cell)", "位置(文件 › 工作表 › 单元格)"),
    "cons.col.code": ("Code", "代码"),
    "cons.col.message": ("What", "问题"),
    "cons.col.fix": ("What to do", "处理方法"),
    "cons.severity.error": ("error", "错误"),
    "cons.severity.warning": ("warning", "警告"),
    "cons.col.version": ("Version", "版本"),
    "cons.col.kind": ("Kind", "类型"),
    "cons.col.created_at": ("Created", "创建时间"),
    "cons.col.by": ("By", "创建人"),
    "cons.col.description": ("Description", "说明"),
    "cons.col.shown": ("Shown here", "本工作簿所示"),
    "cons.shown": ("◀ this workbook", "◀ 本工作簿"),
    "cons.runrate_note": (
        "Rows marked run-rate (orange): the salesperson's workbook is missing or was rejected, so last year's "
        "actual stands in for the bottom-up target. The run-rate share column says how much of a total rests "
        "on such lines.",
        "标为“沿用上年”(橙色)的行:该销售人员的工作簿未提交或被退回,以上年实际代替自下而上目标。"
        "“沿用上年占销售额比例”一列显示各合计中此类明细的占比。"),
    "cons.formula_note": ("Every total is a live SUMIFS over the Lines sheet; click a cell to see the arithmetic.",
                          "所有合计均为基于“明细数据”表的 SUMIFS 公式,点击单元格即可查看计算过程。"),
    "cons.no_warnings": ("No warnings were carried from collecting the workbooks.", "汇总工作簿时没有提示。"),
    "cons.chart.region": ("Revenue by region: target against last year", "各区域销售额:目标与上年对比"),
    "cons.chart.rep": ("Revenue by salesperson: target against last year", "各销售人员销售额:目标与上年对比"),
    # Top-down sheet
    "cons.td.title": ("Top-down instruction", "自上而下调整指令"),
    "cons.td.intro": (
        "Fill in the yellow cells, save, then run: kamplan targets spread --from {file}",
        "填写黄色单元格并保存,然后运行:kamplan targets spread --from {file}"),
    "cons.td.measure": ("Measure", "调整指标"),
    "cons.td.method": ("Method", "分解方法"),
    "cons.td.growth": ("Growth % (growth method)", "增长率(增长法)"),
    "cons.td.reference": ("Reference version (reference method)", "参照版本(参照法)"),
    "cons.td.note": ("Note", "备注"),
    "cons.td.help.measure": ("Revenue or volume: the figures below are in this measure; the other follows at "
                             "each line's price.", "销售额或销量:下方数字按此指标;另一指标按各明细单价随之变化。"),
    "cons.td.help.method": ("How each figure is spread over the lines that are not held.",
                            "各目标数如何分解到未锁定的明细行。"),
    "cons.td.help.growth": ("For the growth method: e.g. 5% = every free line grows 5% over last year.",
                            "增长法:例如 5% 表示每个未锁定明细较上年增长 5%。"),
    "cons.td.help.reference": ("For the reference method: the version whose shape to spread like (see Versions).",
                               "参照法:按哪个版本的结构分解(见“版本”表)。"),
    "cons.td.help.note": ("Why: recorded with the new version.", "调整原因:随新版本一并记录。"),
    "cons.td.figures": ("Figures: the company figure, OR one per product, OR one per region",
                        "目标数:填写公司总数,或按产品逐一填写,或按区域逐一填写(三者选一)"),
    "cons.td.col.figure": ("Your figure", "您的目标数"),
    "cons.td.col.ly": ("Last year", "上年实际"),
    "cons.td.col.own": ("Bottom-up", "自下而上"),
    "cons.td.col.cur": ("Current version", "当前版本"),
    "cons.td.col.gap_cur": ("Gap vs current", "与当前版本差额"),
    "cons.td.col.gap_own": ("Gap vs bottom-up", "与自下而上差额"),
    "cons.td.col.growth": ("Growth vs last year", "较上年增长"),
    "cons.td.holds": ("Held (not changed by the spread)", "锁定(分解时不变)"),
    "cons.td.col.hold_kind": ("Hold what", "锁定对象"),
    "cons.td.col.hold_id": ("ID (line: account/product/quarter)", "编号(明细行:客户/产品/季度)"),
    "cons.td.bounds": ("Floors and caps", "下限与上限"),
    "cons.td.col.side": ("Floor or cap", "下限或上限"),
    "cons.td.col.rule": ("Rule", "规则"),
    "cons.td.side.floor": ("Floor", "下限"),
    "cons.td.side.cap": ("Cap", "上限"),
    "cons.td.syntax": ("Write rules as {syntax}. BASIS: last_year, own (bottom-up) or current.",
                       "规则写法:{syntax}。BASIS 可为 last_year(上年)、own(自下而上)或 current(当前)。"),
    "cons.td.val.figure": ("A number, 0 or more, in the measure chosen above. Leave empty where you set no figure.",
                           "请输入不小于 0 的数字(单位同上方所选指标);不设目标请留空。"),
    "cons.td.val.growth": ("A percentage from -90% to 500%, e.g. 5%.", "请输入 -90% 到 500% 之间的百分比,例如 5%。"),
    "cons.td.val.reference": ("Pick a version number from the list.", "请从列表中选择版本号。"),
    "cons.td.val.note": ("At most 500 characters.", "最多 500 个字符。"),
    "cons.td.val.hold_id": ("The id of what is held; a line is account/product/quarter, e.g. A01/P1/2.",
                            "被锁定对象的编号;明细行写作 客户/产品/季度,例如 A01/P1/2。"),
    "cons.td.val.rule": ("SCOPE=BASIS[*FACTOR], e.g. class:key=last_year or all=own*1.3",
                         "SCOPE=BASIS[*FACTOR],例如 class:key=last_year 或 all=own*1.3"),
    "cons.method.proportional": ("Proportional to current", "按当前目标比例"),
    "cons.method.last_year": ("Proportional to last year", "按上年实际比例"),
    "cons.method.reference": ("Proportional to a reference version", "按参照版本比例"),
    "cons.method.potential": ("Proportional to potential / score", "按客户潜力/得分比例"),
    "cons.method.equal": ("Equal split", "平均分配"),
    "cons.method.growth": ("Growth % over last year", "较上年按增长率"),
    "cons.measure.revenue": ("Revenue", "销售额"),
    "cons.measure.volume": ("Volume", "销量"),
    # Read me
    "cons.cover.version": ("Version shown", "所示版本"),
    "cons.cover.kind": ("Kind", "类型"),
    "cons.cover.created": ("Created", "创建时间"),
    "cons.cover.by": ("By", "创建人"),
    "cons.cover.description": ("Description", "说明"),
    "cons.cover.generated": ("Workbook written", "工作簿生成时间"),
    "cons.cover.currency": ("Currency", "币种"),
    "cons.cover.status": ("Salespeople", "销售人员"),
    "cons.cover.status_counts": ("{submitted} submitted, {missing} missing, {rejected} rejected",
                                 "已提交 {submitted} 人,未提交 {missing} 人,被退回 {rejected} 人"),
    "cons.cover.warnings": ("Warnings", "提示"),
    "cons.cover.how": ("How to use", "使用方法"),
    "cons.cover.steps": (
        "1. Summary: totals per quarter and year for the company, each region, salesperson, class and product: "
        "last year's actual, the salespeople's bottom-up target, this version, growth vs last year and change "
        "vs bottom-up, in volume and revenue. Charts: target against last year by region and salesperson.\n"
        "2. Accounts: the same per account and product. Lines: the data every total adds up. Status: who "
        "submitted, who is missing, who was rejected and why. Warnings: what collecting found. Versions: every "
        "version of the year.\n"
        "3. Top-down (yellow cells): choose the measure and method, enter the company figure OR one figure per "
        "product OR per region (the bottom-up and current totals and the gap show next to each), list what is "
        "held, and floors and caps such as class:key=last_year.\n"
        "4. Save the file and run: kamplan targets spread --from {file}. kamplan checks the instruction, spreads "
        "it over the lines and stores a new version; nothing is lost (undo returns to any version).\n"
        "5. Do not rename sheets or insert or delete rows or columns.",
        "1. 汇总:公司、各区域、销售人员、类别和产品按季度和全年的合计:上年实际、销售人员自下而上目标、本版本、"
        "较上年增长及较自下而上变化(销量与销售额)。图表:按区域和销售人员比较目标与上年。\n"
        "2. 客户明细:按客户和产品的同样数据。明细数据:所有合计的来源。提交状态:谁已提交、谁未提交、谁被退回及原因。"
        "提示:汇总时发现的问题。版本:本年度所有版本。\n"
        "3. 自上而下调整(黄色单元格):选择指标和方法,填写公司总数,或按产品、或按区域逐一填写目标数(旁边显示"
        "自下而上和当前合计及差额),列出锁定对象,以及下限和上限,例如 class:key=last_year。\n"
        "4. 保存文件并运行:kamplan targets spread --from {file}。kamplan 检查指令、分解到各明细行并存为新版本;"
        "不会丢失任何数据(可撤销回到任一版本)。\n"
        "5. 请勿重命名工作表,勿插入或删除行列。"),
    "cons.cover.legend": ("Yellow cells (Top-down sheet) are yours to fill in; everything else is locked and "
                          "calculated.", "黄色单元格(自上而下调整表)由您填写;其他单元格已锁定或自动计算。"),
    "cons.val.title": ("kamplan", "kamplan"),
})


def t(key: str, language: str, **fmt) -> str:
    en, zh = T[key]
    text = zh if language == "zh-CN" else en
    return text.format(**fmt) if fmt else text


def both(key: str, **fmt) -> tuple[str, ...]:
    return tuple(s.format(**fmt) if fmt else s for s in T[key])
