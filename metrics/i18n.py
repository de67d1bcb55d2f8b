"""UI text in Chinese (first) and English. One table, one lookup: ``t(key, lang)``."""

from __future__ import annotations

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}

TEXT: dict[str, tuple[str, str]] = {
    # app and navigation
    "app_title": ("整改看板", "Rectification dashboard"),
    "app_caption": (
        "各单位整改落实数字对比 · 每个数字都有原文依据",
        "Rectification figures compared across bodies · every number traced to its source",
    ),
    "page_overview": ("总览", "Overview"),
    "page_closure": ("整改完成率", "Closure rates"),
    "page_cases": ("查处案件", "Case counts"),
    "page_reductions": ("前后对比", "Reductions"),
    "page_profile": ("单位画像", "Body profile"),
    "page_figures": ("数据明细", "Figures"),
    "page_method": ("说明", "Method"),
    "page_importer": ("数据导入", "Import"),
    "page_extractor": ("报告提取", "From a report"),
    "page_progress": ("进度", "Progress"),
    # filters
    "language": ("语言", "Language"),
    "filters": ("筛选", "Filters"),
    "filter_kind": ("单位类别", "Kind of body"),
    "filter_body": ("单位", "Body"),
    "filter_theme": ("专项整治 / 主题", "Theme"),
    "filter_indicator": ("指标", "Indicator"),
    "filter_all": ("全部", "All"),
    "clear_filters": ("清除筛选", "Clear filters"),
    "as_of": ("截至日期", "As of"),
    "as_of_help": (
        "显示各页在该日的样子：每项取该日或之前的最近一次报告。默认今天（全部报告）。",
        "Show every page as it stood on that date: each measure's latest report on or before it. Default: today (every report).",
    ),
    "as_of_notice": (
        "显示截至 {date} 的数据：每项取该日或之前的最近一次报告，之后的报告不计。",
        "Showing the data as of {date}: each measure's latest report on or before that date; later reports are left out.",
    ),
    "link_hint": (
        "筛选条件保存在网址中，复制网址即可分享当前视图。",
        "Filters live in the URL: copy it to share this exact view.",
    ),
    "no_data": (
        "当前筛选条件下没有数据。请放宽筛选条件（例如清除“单位”或“主题”）。",
        "Nothing matches these filters. Widen them (for example clear Body or Theme).",
    ),
    "top_and_bottom": (
        "共 {total} 项，图中显示最高和最低各 {half} 项；用侧栏的“单位”（可输入搜索）查看其他单位，或按单位类别、地区对比；表格和下载中列出全部。",
        "{total} in all: the chart shows the {half} highest and the {half} lowest; pick bodies in the sidebar (type to search) to see others, or compare by kind or region; the table and the downloads list them.",
    ),
    "table_rows_shown": (
        "共 {total} 行，表格显示前 {shown} 行；下载 CSV 或 Excel 可得全部。",
        "{total} rows in all; the table shows the first {shown}; the CSV and Excel downloads hold every row.",
    ),
    "sources_shown": (
        "共 {total} 个来源，此处列出 {shown} 个（有原文文件的在前）；各页下载的 Excel 含该页数字引用的全部来源。",
        "{total} sources in all; {shown} are listed here (those with a text file first); each page's Excel download lists every source its figures cite.",
    ),
    "click_hint": ("点击图中某个单位即可只看该单位。", "Click a body in the chart to filter to it."),
    # downloads
    "download": ("下载", "Download"),
    "download_csv": ("表格 CSV", "Data CSV"),
    "download_xlsx": ("Excel 表格", "Excel workbook"),
    "download_png": ("图片 PNG", "Chart PNG"),
    "download_svg": ("矢量图 SVG", "Chart SVG"),
    "no_cjk_font": (
        "服务器上没有中文字体，PNG 图片暂不可用（中文会显示为方框）；SVG 和其他下载不受影响。请联系看板管理员。",
        "The server has no CJK font, so PNG images are not offered (Chinese would show as boxes); SVG and the other downloads are not affected. Please tell the dashboard's administrator.",
    ),
    "download_brief": ("简报 PDF", "Briefing PDF"),
    "download_pack": ("证据包 ZIP", "Evidence pack ZIP"),
    "no_browser": (
        "本机没有 Chromium 浏览器，无法生成 PDF 简报。请安装：sudo apt-get install chromium fonts-noto-cjk",
        "No Chromium on this machine, so the PDF briefing cannot be made. Install it: sudo apt-get install chromium fonts-noto-cjk",
    ),
    # briefing (PDF) and self-describing chart images
    "brief": ("简报", "Briefing"),
    "brief_scope": ("筛选条件：", "Filters: "),
    "brief_meta": (
        "生成日期 {generated} · 数据最新截至 {latest}",
        "Generated {generated} · data as of {latest} (latest)",
    ),
    "brief_link": ("在线查看：", "View online: "),
    "brief_charts": ("图表", "Charts"),
    "brief_facts": ("要点与原文依据", "Key facts with their source quotes"),
    "brief_table": ("数据表", "Data"),
    "brief_more_facts": (
        "共 {total} 条，此处列出前 {shown} 条；数据表和下载中列出全部。",
        "{total} in all; the first {shown} are listed here; the table and the downloads hold every one.",
    ),
    "image_source": ("来源：{sources}", "Source: {sources}"),
    "image_generated": (
        "数据截至 {latest} · 生成于 {generated} · {link}",
        "Data as of {latest} · generated {generated} · {link}",
    ),
    "sheet_data": ("数据", "data"),
    "sheet_sources": ("来源", "sources"),
    "sheet_definitions": ("字段说明", "definitions"),
    "sheet_chart": ("图{n}", "chart {n}"),
    # evidence pack (zip)
    "pack": ("证据包", "Evidence pack"),
    "pack_view": ("视图：", "View: "),
    "pack_files": ("文件：", "Files:"),
    "pack_csv": (
        "当前视图的数据表（CSV，UTF-8 带 BOM，Excel 可直接打开）",
        "the view's table (CSV, UTF-8 with BOM, opens in Excel)",
    ),
    "pack_xlsx": (
        "Excel 工作簿：数据、每个图表一张表（共 {n} 张）、来源和字段说明",
        "Excel workbook: the data, one sheet per chart ({n}), the sources and the column definitions",
    ),
    "pack_quotes": (
        "每个数字的原文依据及其来源（标题、发布者、日期、出处）",
        "every figure's verbatim source quote with its source (title, publisher, date, reference)",
    ),
    "pack_cite": ("引用方式：", "Cite as:"),
    "pack_citation": (
        "{app}：{title}（{scope}），{generated} 生成，数据截至 {latest}。来源：{sources}。{link}",
        "{app}: {title} ({scope}), generated {generated}, data as of {latest}. Source: {sources}. {link}",
    ),
    "pack_note": (
        "图表图片（PNG、SVG）自带标题、筛选条件、来源、日期和链接，可直接粘贴到汇报材料中。原文依据逐字引自来源报告。",
        "The chart images (PNG, SVG) carry their title, filters, sources, dates and link, ready to paste into a briefing. Quotes are verbatim from the source reports.",
    ),
    # overview
    "kpi_bodies": ("报告单位", "Bodies reporting"),
    "kpi_figures": ("数字", "Figures"),
    "kpi_sources": ("来源报告", "Source reports"),
    "kpi_groups": ("可比指标组", "Comparable groups"),
    "kpi_latest": ("最新截至", "Latest as of"),
    "kpi_verified": ("原文已核对", "Quotes checked"),
    "kpi_verified_help": (
        "引文已逐字核对原文（来源文本校验和一致）的数字所占比例",
        "Share of figures whose quote was checked word for word against the held source text",
    ),
    "group_with_caveat": (
        "本组含口径相近但不完全相同的指标，见各单位的可比性说明。",
        "This group holds indicators that are close but not identical: see each body's caveat.",
    ),
    "more_groups": (
        "另有 {n} 个可比指标组未在总览作图（数字见数据明细与单位画像）：{names}",
        "{n} more comparable groups are not charted here (their figures are under Figures and Body profile): {names}",
    ),
    "counted_in": ("（以{counters}计）", " (counted in {counters})"),
    "direction_up": ("越多越好", "more is better"),
    "direction_down": ("越少越好", "less is better"),
    "direction_none": ("不分好坏", "neither"),
    "rank_of": ("第 {rank} / {size}", "{rank} of {size}"),
    "metric_closure_rate": ("完成率", "closure rate"),
    "metric_change_pct": ("变化（%）", "change (%)"),
    "metric_change_pp": ("变化（百分点）", "change (points)"),
    "metric_level": ("变化后数值", "value after"),
    "metric_count": ("数量", "count"),
    "metric_share": ("占比", "share"),
    "metric_amount": ("金额", "amount"),
    "metric_duration": ("时长", "duration"),
    "col_group": ("可比指标组", "Comparable group"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "col_rank": ("组内排名", "Rank in group"),
    "col_caveat": ("可比性说明", "Caveat"),
    "single_groups": ("仅一个单位报告的指标（不作排名）", "Reported by one body only (not ranked)"),
    "single_groups_intro": (
        "以下指标只有一个单位报告，没有可比对象，逐条列出原文，不画排名图。",
        "Only one body reports each of these indicators: with nothing to compare them with, they are "
        "listed with their quotes instead of drawn as one-bar rankings.",
    ),
    "headline_groups": (
        "可比指标（两个及以上单位报告）",
        "Comparable indicators (reported by two or more bodies)",
    ),
    "kpi_cases_help": (
        "所选单位报告的查处问题数之和，口径以各单位原文为准。",
        "Sum of cases the selected bodies reported; definitions follow each source.",
    ),
    "headline_closure": ("整改完成率", "Closure rates"),
    "headline_reductions": ("前后对比", "Reductions"),
    # progress between reports
    "progress_intro": (
        "每项指标在所选日期的最新报告、上次报告及其变化，在同一可比指标组内的排名及排名变化，以及按目标判定的状态灯。规则见下方“状态灯规则”。",
        "Each measure's latest report at the chosen date, its previous report and the change, its rank and rank change within its comparable group, and its light against its target. The rules are under 'How lights are set'.",
    ),
    "progress_single_report": (
        "目前每项指标只有一次报告，还无法计算变化和排名变化；下表列出各项当前的值、组内排名和状态。导入后续报告（如每周报送）后，这里会显示变化、排名升降和下滑的单位。",
        "Each measure has one report so far, so there is no change and no rank change yet; the table lists each measure's value, rank in its group and light. Once later reports are imported (weekly, say), this page shows changes, moves up and down and the bodies that slipped.",
    ),
    "progress_no_targets": (
        "尚未设定任何目标，状态灯只区分“未设目标”和“逾期未报”；编辑可在“数据导入”页导入目标文件。",
        "No targets are set yet, so the lights only tell 'no target' from 'not reported'; editors import a targets file on the Import page.",
    ),
    "progress_newest": ("截至 {date}；最新一次报告：{newest}", "As of {date}; newest report: {newest}"),
    "light_green": ("达标", "on target"),
    "light_yellow": ("落后但在改善", "behind, improving"),
    "light_red": ("落后且无改善或逾期", "behind, not improving or overdue"),
    "light_stale": ("逾期未报", "not reported"),
    "light_stale_days": ("{days} 天未报送", "not reported for {days} days"),
    "light_no_target": ("未设目标", "no target"),
    "progress_rules_title": ("状态灯规则", "How lights are set"),
    "progress_rules_brief": (
        "状态（依次取第一条成立的规则）：○ 逾期未报（最近一次报告比本组最新报告早 {stale} 天以上）；– 未设目标（目标自设定日期起适用）；✔ 达标；✖ 未达标且已过期限；▲ 落后但比上次报告向目标前进；✖ 落后且无改善。排名在整个可比指标组内计算，并列同名次；排名变化与本组上一次报告日相比，↑ 为上升。",
        "Lights (the first rule that holds): ○ not reported (latest report more than {stale} days older than the group's newest); – no target (a target applies from the day it was set); ✔ on target; ✖ behind and past the deadline; ▲ behind but moved toward the target since the previous report; ✖ behind and not improving. Ranks are within the whole comparable group, ties share a rank; rank changes are against the group's previous report date, ↑ is up.",
    ),
    "progress_rules": (
        "按顺序取第一条成立的规则：\n\n"
        "1. ○ **逾期未报**：该项最近一次报告比本组最新报告早 {stale} 天以上；\n"
        "2. – **未设目标**：没有适用的目标（不替单位编造目标；目标自其设定日期起适用，回看更早的日期时不适用）；\n"
        "3. ✔ **达标**：数值达到目标（不低于 / 不高于目标值）；\n"
        "4. ✖ **逾期**：未达标且已过完成期限；\n"
        "5. ▲ **落后但在改善**：未达标，但比上次报告向目标方向前进；\n"
        "6. ✖ **落后且无改善**：未达标，且没有上次报告或没有前进。\n\n"
        "变化：完成率、占比按百分点，数量按百分比（同时给出差值）。排名在整个可比指标组内计算（不受筛选影响），并列时取相同名次、下一名次顺延（1、2、2、4）；排名变化与本组上一次报告日的排名相比，↑ 为上升。",
        "The first rule that holds, in this order:\n\n"
        "1. ○ **not reported**: the measure's latest report is more than {stale} days older than its group's newest report;\n"
        "2. – **no target**: no target applies (targets are never invented; a target applies from the day it was set, not to earlier dates);\n"
        "3. ✔ **on target**: the value meets the target (at least / at most the target value);\n"
        "4. ✖ **overdue**: behind the target and past its deadline;\n"
        "5. ▲ **behind, improving**: behind, but closer to the target than at the previous report;\n"
        "6. ✖ **behind, not improving**: behind, with no previous report or no move toward the target.\n\n"
        "Change: in points for rates and shares, in percent for counts (with the difference). Ranks cover the whole comparable group (whatever the filters); ties share a rank and the next one skips (1, 2, 2, 4); the rank change compares with the group's standing at its previous report date, ↑ meaning up.",
    ),
    "progress_by_group": ("各可比指标组的状态", "Lights per comparable group"),
    "progress_by_kind": ("各单位类别的状态", "Lights per kind of body"),
    "progress_table": ("排名与变化", "Ranks and changes"),
    "progress_sort": ("排序", "Sort by"),
    "sort_rank": ("组内排名", "rank in group"),
    "sort_change": ("变化", "change"),
    "progress_slipped": ("排名下降的单位", "Bodies that slipped"),
    "progress_none_slipped": (
        "与上次报告相比，没有单位排名下降。",
        "No body lost places since the previous report.",
    ),
    "progress_trends": ("走势", "Trends"),
    "col_event": ("事件", "Event"),
    "col_event_date": ("事件日期", "Event date"),
    "progress_events_caption": (
        "虚线标出 {n} 项事件（如巡视轮次启动；悬停可见）。事件由编辑导入事件文件添加。",
        "Dashed rules mark {n} event(s) (e.g. the start of an inspection round; hover to read). Editors add events by importing an events file.",
    ),
    "progress_trends_caption": (
        "每个小图是一项指标的历次报告（各自的纵轴）；显示 {shown} 项：{which}。",
        "Each small chart is one measure's reports (each with its own axis); {shown} shown: {which}.",
    ),
    "trends_which_bodies": ("所选单位的指标", "the measures of the chosen bodies"),
    "trends_which_slipped": ("排名下降最多的指标", "the measures that slipped most"),
    "trends_which_top": ("各组排名靠前的指标", "the top of each group"),
    "progress_block": ("进度与状态", "Progress and lights"),
    "progress_link": ("查看进度", "See progress"),
    "kpi_slipped": ("排名下降", "Slipped"),
    "col_light": ("状态", "Light"),
    "col_previous": ("上次报告", "Previous"),
    "col_previous_as_of": ("上次截至", "Previous as of"),
    "col_change": ("变化", "Change"),
    "col_rank_change": ("排名变化", "Rank change"),
    "col_target": ("目标", "Target"),
    "col_days_since": ("距今天数", "Days since"),
    # closure
    "closure_intro": (
        "每个条形是一项整改事项：已完成 / 基本完成 / 取得阶段性成效 / 未说明状态。只有指标目录中同一可比指标组的事项才放在一起比较排序（※ 为口径相近、附说明的事项）。",
        "Each bar is one closure measure: closed / mostly closed / in progress / status not reported. Only measures of one comparable group of the indicator catalogue are ranked together (※ marks a close measure shown with its caveat).",
    ),
    "closure_group": ("可比组：", "Comparable group: "),
    "total_derived_note": (
        "原文未给出总数，总数为各部分之和。",
        "The source gives no total; the total is the sum of the parts.",
    ),
    "part_closed": ("已完成", "Closed"),
    "part_partly_closed": ("基本完成", "Mostly closed"),
    "part_in_progress": ("正在整改 / 阶段性成效", "In progress"),
    "part_status_not_reported": ("未说明状态", "Status not reported"),
    "closure_rate": ("完成率", "Closure rate"),
    "total": ("总数", "Total"),
    "closed": ("已完成", "Closed"),
    "count": ("数量", "Count"),
    # cases
    "cases_intro": (
        "查处问题、处理人数与问题线索分开比较；只有同一可比指标组、同一量词类别（如 人 与 名）的数字放在一起。",
        "Cases, people and clues are compared separately; only figures of one comparable group and one counter family (such as 人 and 名) sit together.",
    ),
    # reductions
    "reductions_intro": (
        "条形为变化百分比：绿色表示朝好的方向变化，红色表示朝不好的方向变化。有前后数值的同时列出。",
        "Bars show the percent change: green when it moves the good way, red when the bad way. Before → after is shown where both are reported.",
    ),
    "change_pct": ("变化（%）", "Change (%)"),
    "change": ("变化", "Change"),
    "change_pp": ("变化（个百分点）", "Change (percentage points)"),
    "before": ("之前", "Before"),
    "after": ("之后", "After"),
    "good": ("向好", "Good direction"),
    "bad": ("向坏", "Bad direction"),
    "neutral": ("无方向", "No direction"),
    "before_after": ("前后数值", "Before → after"),
    "pp_changes": ("以百分点表示的变化", "Changes in percentage points"),
    # profile
    "profile_pick": ("选择单位", "Pick a body"),
    "profile_intro": (
        "该单位报告的全部数字及原文。",
        "Everything this body reported, with the source quotes.",
    ),
    "trend": ("进展", "Progress over time"),
    # figures
    "search": ("搜索（单位、指标、原文）", "Search (body, indicator, quote)"),
    "n_figures": ("共 {n} 个数字", "{n} figures"),
    "first_rows": (
        "，下表列出前 {n} 个（请用筛选或搜索缩小范围）",
        "; the table lists the first {n} (narrow it with filters or search)",
    ),
    # method
    "method_definitions": ("定义", "Definitions"),
    "method_sources": ("来源", "Sources"),
    "method_left_out": ("未计入的数字样字符串", "Number-like strings left out"),
    "method_caveats": ("注意事项与原文歧义", "Caveats and ambiguities in the sources"),
    "method_text": (
        "整改完成率 = 已完成 ÷ 总数，由数据库视图按原始数字计算；原文未给总数时，总数为各部分之和并注明。"
        "变化百分比按原文；只给出前后数值时按（之后 − 之前）÷ 之前 计算。"
        "“多、余、逾、超过、以上”等表示约数，图中以 ≈ 标出。所有数字均保留原文表述，不作四舍五入或修改。",
        "Closure rate = closed ÷ total, computed in the database views from the reported figures; where a source gives no total, "
        "the total is the sum of the parts and is flagged. Percent changes are as reported; where only before and after are given "
        "they are (after − before) ÷ before. Approximate figures (多, 余, 逾, 超过, 以上: more than …) are marked ≈. "
        "Every figure is kept as written: nothing is rounded or corrected.",
    ),
    "approximate": ("约数", "approximate"),
    # import
    "import_intro": (
        "上传填好的模板（CSV 或 Excel），逐行检查后确认导入；任何一行有问题则不写入任何内容。",
        "Upload a filled-in template (CSV or Excel); every row is checked and nothing is written unless all pass.",
    ),
    "import_disabled": (
        "数据导入和报告提取仅供编辑人员使用，当前未启用。启用方法：启动看板前设置环境变量 METRICS_EDITOR_PASSWORD，例如 METRICS_EDITOR_PASSWORD=口令 make run。",
        "Importing and extracting are for editors and are not enabled. To enable them, set METRICS_EDITOR_PASSWORD before starting the dashboard, e.g. METRICS_EDITOR_PASSWORD=secret make run.",
    ),
    "password": ("编辑口令", "Editor password"),
    "wrong_password": ("口令不正确。", "Wrong password."),
    "signin_not_checked": (
        "尝试次数过多，本次输入的口令未被核对。",
        "Too many wrong attempts: this password was not checked.",
    ),
    "signin_wait": ("请 {seconds} 秒后再试。", "Try again in {seconds} seconds."),
    "template": ("导入模板", "Import template"),
    "template_csv": ("模板 CSV", "Template CSV"),
    "template_xlsx": ("模板 Excel（含字段说明）", "Template Excel (with a guide)"),
    "upload": ("选择要导入的文件", "Choose a file to import"),
    "too_big": (
        "文件为 {size:.1f} MB，超过上限 {limit:.0f} MB。请拆分后分批导入。",
        "The file is {size:.1f} MB, over the {limit:.0f} MB limit. Split it into several batches.",
    ),
    "unreadable": ("无法读取该文件：{reason}", "Cannot read the file: {reason}"),
    "already_imported": (
        "该文件已于批次 {batch} 导入，无需重复导入。",
        "This file was already imported as batch {batch}; nothing to add.",
    ),
    "problems_found": (
        "发现 {n} 个问题，未写入任何内容。请按下表修改后重新上传：",
        "{n} problem(s) found; nothing was written. Fix them and upload again:",
    ),
    "rows_ok": (
        "{n} {what}全部通过检查。确认后导入：",
        "All {n} {what} pass the checks. Confirm to import:",
    ),
    "confirm_import": ("确认导入", "Import"),
    "imported": (
        "已导入 {n} {what}，批次 {batch}。看板已更新。",
        "Imported {n} {what} as batch {batch}. The dashboard is updated.",
    ),
    # What an import's rows are (metrics.ingest.Checked.kind, metrics.batches.Batch.kind).
    "rows_figures": ("个数字", "figures"),
    "col_rows_of": ("内容", "Rows of"),
    "rows_targets": ("个目标", "targets"),
    "rows_events": ("项事件", "events"),
    "template_targets": ("目标文件模板 Excel", "Targets template Excel"),
    "template_events": ("事件文件模板 Excel", "Events template Excel"),
    "new_entities": (
        "此文件将新增以下单位、主题、可比组和指标（导入后即可使用；撤销该批次时一并删除）：",
        "This file adds the bodies, themes, comparable groups and indicators below (usable once imported; "
        "rolling the batch back removes them):",
    ),
    "added_entities": ("已新增{names}。", "Added {names}."),
    "what_body": ("单位", "body"),
    "what_theme": ("主题", "theme"),
    "what_comparable_group": ("可比组", "comparable group"),
    "what_indicator": ("指标", "indicator"),
    "col_what": ("新增项", "Adds"),
    "col_id": ("编号", "Id"),
    "col_name_zh": ("中文名称", "Chinese name"),
    "col_name_en": ("英文名称", "English name"),
    "col_detail": ("单位类别 / 指标大类、可比组", "Kind of body / family, group"),
    "batches": ("已导入的批次", "Imported batches"),
    "no_batches": ("尚无导入的批次。", "No batches imported yet."),
    "rollback": ("撤销批次", "Roll back a batch"),
    "rollback_confirm": ("我确认撤销该批次的全部数字", "I confirm: remove every figure of this batch"),
    "rolled_back": ("已撤销批次 {batch}（{n} {what}）。", "Rolled back batch {batch} ({n} {what})."),
    "extract_intro": (
        "粘贴或上传一篇报告：系统提出其中每个数字的单位（新单位亦然）、主题、指标、事项和原文。请核对，改、删或添加行，然后检查并导入。报告全文随批次保存，每条引文都据以核对；确认导入前不写入任何内容。",
        "Paste or upload a report: each figure is proposed with its body (new bodies too), theme, indicator, measure and quote. Review, edit, delete or add rows, then check and import. The report is kept with the batch and every quote is checked against it; nothing is written before you confirm.",
    ),
    "report_text": ("报告全文", "Report text"),
    "report_as_of": ("报告截至日期", "Report as of"),
    "report_body": ("单位（文中无分节标题时）", "Body (for a text without section headings)"),
    "report_no_date": (
        "文中没有写明日期：请在“报告截至日期”中填写（YYYY、YYYY-MM 或 YYYY-MM-DD）。",
        "The text states no date: fill in “Report as of” (YYYY, YYYY-MM or YYYY-MM-DD).",
    ),
    "proposals_ready": (
        "可导入的数字：{n} 个（原文中黄色标出）；未能提出的：{left} 个（删除线标出，原因见下）。",
        "Ready to import: {n} figures (marked in the text); left out: {left} (struck through; reasons below).",
    ),
    "left_out": ("未能提出的 {n} 个数字及原因", "{n} figures left out, and why"),
    "new_body_table": (
        "新单位（据名称推断类别和地区，请核对；可增删）",
        "New bodies (kind and region guessed from the name: check them; add or delete rows)",
    ),
    "new_theme_table": (
        "新主题（可增删；须填英文名称）",
        "New themes (add or delete rows; an English name is required)",
    ),
    "new_indicator_table": (
        "新指标（各自成一可比组，口径待核定；也可在下表改选已有指标）",
        "New indicators (each a comparable group of its own until defined; or choose an existing indicator below)",
    ),
    "review_figures": (
        "数字（可改单元格、删除行，或在末行添加）",
        "Figures (edit cells, delete rows, or add one at the end)",
    ),
    "open_profile": ("查看 {name} 的单位画像", "Open the profile of {name}"),
    # columns of the 报告提取 review tables (import columns)
    "col_short_zh": ("简称（图表用）", "Short name (charts)"),
    "col_short_en": ("英文简称", "English short name"),
    "col_measure_kind": ("事项类型", "Kind of measure"),
    "col_label_zh": ("事项名称", "Measure"),
    "col_theme_new": ("主题（中文名称）", "Theme (Chinese name)"),
    "col_indicator_new": ("指标（中文名称）", "Indicator (Chinese name)"),
    "col_family": ("指标大类", "Family"),
    "col_indicator_direction": ("哪个方向为好", "Good direction"),
    "col_definition_zh": ("定义（中文）", "Definition (Chinese)"),
    "col_definition_en": ("定义（英文）", "Definition (English)"),
    "col_comparable_group": ("加入可比组", "Joins comparable group"),
    "col_comparability": ("口径", "Comparability"),
    "col_caveat_zh": ("口径差异（中文）", "Caveat (Chinese)"),
    "col_caveat_en": ("口径差异（英文）", "Caveat (English)"),
    "report_file": ("或上传文本文件（UTF-8 或 GBK）", "Or upload a text file (UTF-8 or GBK)"),
    "source_title": ("来源标题", "Source title"),
    "source_publisher": ("发布者", "Publisher"),
    "source_published": ("日期（YYYY、YYYY-MM 或 YYYY-MM-DD）", "Date (YYYY, YYYY-MM or YYYY-MM-DD)"),
    "source_reference": ("出处（文号、网址等）", "Reference (document number, URL…)"),
    "no_proposals": ("文中没有找到数字。", "No figures found in the text."),
    "check": ("检查", "Check"),
    "col_file": ("文件", "File"),
    "col_line": ("行", "Row"),
    "col_batch": ("批次", "Batch"),
    "col_imported_at": ("导入时间", "Imported at"),
    "col_rows": ("条数", "Rows"),
    # compare by groups of bodies (closure, cases and reductions pages)
    "compare_by": ("对比单位", "Compare by"),
    "by_body": ("单位", "Body"),
    "by_kind": ("单位类别", "Kind of body"),
    "by_region": ("地区", "Region"),
    "by_stem": ("按{by}", "by {by}"),
    "region_national": ("全国/中央", "National / central"),
    "closure_grouped_intro": (
        "每个条形是一组单位（按{by}）的合计：完成率 = 已完成之和 ÷ 总数之和，只计有完成率的事项；每张图只含一个可比指标组、一个量词类别（项 与 个 同类，件 与 件次 不同类，见标题）。",
        "Each bar sums a group of bodies (by {by}): closure rate = sum of closed ÷ sum of totals, over the measures that have a rate; each chart holds one comparable group and one counter family (项 and 个 are one family, 件 and 件次 are not: see the title).",
    ),
    "cases_grouped_intro": (
        "每个条形是一组单位（按{by}）报告的数字之和，包括所有主题；只有同一可比指标组、同一量词类别的数字才相加（人 与 名 同类；件次 自成一类）。≈ 表示其中有约数。",
        "Each bar sums what a group of bodies (by {by}) reported, over all themes; only figures of one comparable group and one counter family are summed (人 and 名 are one family; 件次 is its own). ≈ means some of them are approximate.",
    ),
    "reductions_grouped_intro": (
        "每组（按{by}）的条形为变化百分比的中位数，细线从最低到最高；百分比不相加。只有同一可比指标组才放在一起比较。之前、之后的合计只在有前后数值的事项量词相同时给出（见表格）。",
        "For each group (by {by}) the bar is the median percent change and the thin line runs from the lowest to the highest; percentages are never summed. Only groups of one comparable group are compared. Sums of before and after are given only where every measure reporting both uses one counter (see the table).",
    ),
    "click_kind_hint": (
        "点击图中某个单位类别即可只看该类别。",
        "Click a kind of body in the chart to filter to it.",
    ),
    "region_not_clickable": (
        "按地区对比的图表不可点击（没有地区筛选）；请用侧栏的“单位”筛选。",
        "Charts by region are not clickable (there is no region filter); use Body in the sidebar.",
    ),
    "counter_title": ("{indicator} · 量词：{counter}", "{indicator} · counter: {counter}"),
    "median_change": ("变化中位数（%）", "Median change (%)"),
    "change_range": ("最低 ~ 最高", "Lowest – highest"),
    "before_after_sums": ("之前 → 之后（合计）", "Before → after (sums)"),
    "col_region": ("地区", "Region"),
    "col_bodies": ("单位数", "Bodies"),
    "col_measures": ("事项数", "Measures"),
    "col_rated_measures": ("有完成率的事项数", "Measures with a rate"),
    "col_counters": ("量词（合计）", "Counters summed"),
    "col_approximate": ("含约数", "Includes approximate figures"),
    "col_change_median": ("变化中位数（%）", "Median change (%)"),
    "col_change_min": ("最低变化（%）", "Lowest change (%)"),
    "col_change_max": ("最高变化（%）", "Highest change (%)"),
    "col_pct_measures": ("有变化百分比的事项数", "Measures with a percent change"),
    "col_good": ("向好事项数", "Measures moving the good way"),
    "col_bad": ("向坏事项数", "Measures moving the bad way"),
    "col_pairs": ("有前后数值的事项数", "Measures with before and after"),
    "col_before_sum": ("之前合计", "Before (sum)"),
    "col_after_sum": ("之后合计", "After (sum)"),
    "col_change_of_sums": ("合计的变化（%）", "Change of the sums (%)"),
    # columns
    "col_figure_id": ("编号", "Figure id"),
    "col_body": ("单位", "Body"),
    "col_body_kind": ("单位类别", "Kind of body"),
    "col_theme": ("主题", "Theme"),
    "col_indicator": ("指标", "Indicator"),
    "col_measure": ("事项", "Measure"),
    "col_role": ("角色", "Role"),
    "col_value": ("数值", "Value"),
    "col_counter": ("量词", "Counter"),
    "col_qualifier": ("约数", "Qualifier"),
    "col_as_written": ("原文写法", "As written"),
    "col_as_of": ("截至", "As of"),
    "col_period": ("期间", "Period"),
    "col_source": ("来源", "Source"),
    "col_evidence": ("原文依据", "Source quote"),
    "col_total": ("总数", "Total"),
    "col_closed": ("已完成", "Closed"),
    "col_partly_closed": ("基本完成", "Mostly closed"),
    "col_in_progress": ("正在整改", "In progress"),
    "col_status_not_reported": ("未说明状态", "Status not reported"),
    "col_closure_rate": ("完成率", "Closure rate"),
    "col_total_derived": ("总数由部分相加", "Total derived from parts"),
    "col_before": ("之前", "Before"),
    "col_after": ("之后", "After"),
    "col_change_pct": ("变化（%）", "Change (%)"),
    "col_change_abs": ("变化量", "Change (amount)"),
    "col_change_pp": ("变化（个百分点）", "Change (pp)"),
    "col_direction": ("向好方向", "Good direction"),
    "col_is_good": ("是否向好", "Good?"),
    "col_note": ("备注", "Note"),
    "col_reason": ("原因", "Reason"),
    "col_title": ("标题", "Title"),
    "col_publisher": ("发布者", "Publisher"),
    "col_published": ("日期", "Date"),
    "col_reference": ("出处", "Reference"),
    "col_sha256": ("SHA-256", "SHA-256"),
    "col_column": ("字段", "Column"),
    "col_description": ("说明", "Description"),
}

ROLE_NAMES = {
    "total": ("总数", "total"),
    "closed": ("已完成", "closed"),
    "partly_closed": ("基本完成", "mostly closed"),
    "in_progress": ("正在整改", "in progress"),
    "before": ("之前", "before"),
    "after": ("之后", "after"),
    "change_pct": ("变化%", "change %"),
    "change_pp": ("变化百分点", "change pp"),
    "change_abs": ("变化量", "change"),
    "value": ("数值", "value"),
}


# Province-level regions (bodies.region holds the Chinese short name) in English.
REGION_NAMES = {
    "北京": "Beijing",
    "天津": "Tianjin",
    "河北": "Hebei",
    "山西": "Shanxi",
    "内蒙古": "Inner Mongolia",
    "辽宁": "Liaoning",
    "吉林": "Jilin",
    "黑龙江": "Heilongjiang",
    "上海": "Shanghai",
    "江苏": "Jiangsu",
    "浙江": "Zhejiang",
    "安徽": "Anhui",
    "福建": "Fujian",
    "江西": "Jiangxi",
    "山东": "Shandong",
    "河南": "Henan",
    "湖北": "Hubei",
    "湖南": "Hunan",
    "广东": "Guangdong",
    "广西": "Guangxi",
    "海南": "Hainan",
    "重庆": "Chongqing",
    "四川": "Sichuan",
    "贵州": "Guizhou",
    "云南": "Yunnan",
    "西藏": "Tibet",
    "陕西": "Shaanxi",
    "甘肃": "Gansu",
    "青海": "Qinghai",
    "宁夏": "Ningxia",
    "新疆": "Xinjiang",
    "香港": "Hong Kong",
    "澳门": "Macao",
    "台湾": "Taiwan",
}


def t(key: str, lang: str, **values) -> str:
    """The UI text ``key`` in ``lang`` ('zh' or 'en'), with ``{name}`` slots filled."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def region_name(region: str | None, lang: str) -> str:
    """A body's region for display; national bodies (no region) are one group, 全国/中央.

    >>> region_name("内蒙古", "en"), region_name("", "zh")
    ('Inner Mongolia', '全国/中央')
    """
    if not region or not isinstance(region, str):
        return t("region_national", lang)
    return REGION_NAMES.get(region, region) if lang == "en" else region


def role_name(role: str, lang: str) -> str:
    zh, en = ROLE_NAMES[role]
    return en if lang == "en" else zh


DEFINITIONS: dict[str, tuple[str, str]] = {
    "col_light": (
        "状态灯：达标、落后但在改善、落后且无改善或逾期、逾期未报、未设目标（规则见进度页）。",
        "Light: on target, behind but improving, behind and not improving or overdue, not reported, no target (rules on the Progress page).",
    ),
    "col_previous": ("该项上一次报告的数值。", "The measure's value at its previous report."),
    "col_change": (
        "与上次报告相比的变化：完成率、占比按百分点，数量按差值和百分比。",
        "Change since the previous report: points for rates and shares, the difference and percent for counts.",
    ),
    "col_rank_change": (
        "与本组上一次报告日的排名相比：↑ 上升，↓ 下降，= 不变。",
        "Against the group's standing at its previous report date: ↑ up, ↓ down, = same.",
    ),
    "col_target": ("适用的目标及完成期限。", "The target that applies, and its deadline."),
    "col_days_since": ("最新报告距所选日期的天数。", "Days from the latest report to the chosen date."),
    "col_figure_id": (
        "数字的编号，可在数据明细中查到原文。",
        "Id of the figure; look it up under Figures for its quote.",
    ),
    "col_body": ("报告数字的单位。", "The body that reported the figure."),
    "col_group": (
        "可比指标组：统计对象、量词和数字类型都相同的事项才放在一起排名或比较。",
        "Comparable group: only measures that count the same thing, in the same counters and kind of figure, are ranked or compared together.",
    ),
    "col_rank": (
        "在可比指标组内的名次（仅当两个及以上单位报告时）。",
        "Rank within the comparable group (only where two or more bodies report it).",
    ),
    "col_caveat": (
        "该事项与组内其他事项口径不完全相同之处，比较时请注意。",
        "Where this measure differs from the rest of its group: compare with care.",
    ),
    "col_change_abs": (
        "变化的数量（之后减之前），按量词计。",
        "Change as an amount (after minus before), in the counter.",
    ),
    "col_body_kind": (
        "单位类别：省区市、中央部门、金融机构、中央企业、中央指导组。",
        "Kind of body: province, central department, financial institution, central enterprise, central guidance group.",
    ),
    "col_theme": ("专项整治领域或主题。", "Theme (area of special rectification)."),
    "col_indicator": (
        "统计的对象；同一指标的事项才放在一起比较。",
        "What is counted; only measures of the same indicator are compared.",
    ),
    "col_measure": ("该数字的含义。", "What the figure means."),
    "col_role": (
        "数字在事项中的角色：总数、已完成、之前、之后、变化等。",
        "Role of the figure in its measure: total, closed, before, after, change…",
    ),
    "col_value": (
        "数值，已按万、亿换算为普通数字，不作四舍五入。",
        "The value as a plain number (万 and 亿 scaled), never rounded.",
    ),
    "col_counter": (
        "原文量词：起、件、人、条、项、%、个百分点等。",
        "Counter as written: 起, 件, 人 (people), 条, 项, %, percentage points…",
    ),
    "col_qualifier": (
        "约数标记：exact 精确，more_than 多/余/逾/超过/以上，at_least 至少，about 近/约，less_than 不到。",
        "exact, more_than (多/余/逾/超过/以上), at_least (至少), about (近/约), less_than (不到).",
    ),
    "col_as_written": ("数字在原文中的写法。", "The figure exactly as written in the source."),
    "col_as_of": (
        "数字截至的日期（只精确到原文允许的程度）。",
        "Date the figure is as of (no finer than the source allows).",
    ),
    "col_period": (
        "原文中的期间表述，如“今年6月以来”。",
        "Period as the source words it, e.g. since June this year.",
    ),
    "col_source": ("来源报告。", "Source report."),
    "col_evidence": (
        "数字所在的原文语句（逐字引用）。",
        "The verbatim sentence of the source the figure stands in.",
    ),
    "col_total": (
        "整改事项总数；原文未给出时为各部分之和。",
        "Total of the closure measure; the sum of its parts where the source gives none.",
    ),
    "col_closed": ("已完成（已办结、已整改）的数量。", "Number closed (completed, resolved)."),
    "col_partly_closed": ("基本完成的数量。", "Number mostly closed."),
    "col_in_progress": ("正在整改或取得阶段性成效的数量。", "Number in progress or with interim results."),
    "col_status_not_reported": (
        "总数减去已报告各部分，原文未说明其状态。",
        "Total minus the reported parts: the source does not say their status.",
    ),
    "col_closure_rate": (
        "整改完成率 = 已完成 ÷ 总数，由数据库视图计算。",
        "Closure rate = closed ÷ total, computed by the database views.",
    ),
    "col_total_derived": (
        "是否因原文未给出总数而以各部分之和为总数。",
        "Whether the total is the sum of the parts because the source gives none.",
    ),
    "col_before": ("变化之前的数值。", "Value before."),
    "col_after": ("变化之后的数值。", "Value after."),
    "col_change_pct": (
        "变化百分比：按原文，或由（之后 − 之前）÷ 之前 计算。",
        "Percent change: as reported, or (after − before) ÷ before.",
    ),
    "col_change_pp": ("以百分点表示的变化。", "Change in percentage points."),
    "col_direction": (
        "哪个方向为好（由指标目录规定）：越多越好、越少越好或不分好坏。",
        "Which way is good (set by the indicator catalogue): more, less, or neither.",
    ),
    "col_is_good": ("变化是否朝好的方向。", "Whether the change goes the good way."),
    "col_region": (
        "单位所在的省级地区；中央部门、金融机构、中央企业和中央指导组为“全国/中央”。",
        "Province-level region of the bodies; central departments, financial institutions, central enterprises and guidance groups are National / central.",
    ),
    "col_bodies": ("该组中报告了数字的单位数。", "Number of bodies of the group that reported the figures."),
    "col_measures": ("该组中的事项数。", "Number of measures in the group."),
    "col_rated_measures": (
        "有完成率（总数大于零且报告了已完成）的事项数；合计与完成率只按这些事项计算。",
        "Measures with a rate (a total above zero and a closed part); the sums and the rate cover these only.",
    ),
    "col_counters": (
        "合计中包含的量词；不同量词的总数一并相加。",
        "Counters of the summed totals; totals in different counters are added together.",
    ),
    "col_approximate": (
        "合计中是否有约数（多、余、逾、近等）。",
        "Whether any summed figure is approximate (多, 余, 逾, 近…).",
    ),
    "col_change_median": (
        "该组各事项变化百分比的中位数（数据库计算）。",
        "Median of the percent changes of the group's measures (computed in the database).",
    ),
    "col_change_min": ("该组最低的变化百分比。", "Lowest percent change of the group."),
    "col_change_max": ("该组最高的变化百分比。", "Highest percent change of the group."),
    "col_pct_measures": ("有变化百分比的事项数。", "Number of measures with a percent change."),
    "col_good": ("朝好的方向变化的事项数。", "Number of measures that moved the good way."),
    "col_bad": ("朝不好的方向变化的事项数。", "Number of measures that moved the bad way."),
    "col_pairs": ("同时报告之前和之后数值的事项数。", "Number of measures reporting both before and after."),
    "col_before_sum": (
        "之前数值之和；仅当这些事项量词相同时给出。",
        "Sum of the before values; given only where those measures share one counter.",
    ),
    "col_after_sum": (
        "之后数值之和；仅当这些事项量词相同时给出。",
        "Sum of the after values; given only where those measures share one counter.",
    ),
    "col_change_of_sums": (
        "（之后合计 − 之前合计）÷ 之前合计，由数据库计算。",
        "(after sum − before sum) ÷ before sum, computed in the database.",
    ),
    "col_note": ("歧义与说明。", "Ambiguities and notes."),
    "col_reason": ("未计入的原因。", "Why it was left out."),
}


def definition(key: str, lang: str) -> str:
    zh, en = DEFINITIONS.get(key, ("", ""))
    return en if lang == "en" else zh
