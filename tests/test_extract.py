"""Figure proposals from report texts (metrics.extract) and their evaluation (metrics.evaluate_extract).

Every expected value below is written by hand from the Chinese text. The texts in
``tests/extract_texts/`` are invented for these tests (each says so in its first
line); their hand-labelled figures are in the ``*.gold.csv`` next to them, with the
character offset of each figure. ``province_report.txt`` is stored in GBK.
"""

from __future__ import annotations

import csv
import io
import json
import string
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import cli, export
from metrics.evaluate_extract import bench, evaluate, gold_figures
from metrics.extract import COLUMNS, extract, read_text, to_frame, to_records
from metrics.numbers import read_quantity

TEXTS = Path(__file__).resolve().parent / "extract_texts"
ROLES = {
    "total",
    "closed",
    "partly_closed",
    "in_progress",
    "before",
    "after",
    "change_pct",
    "change_pp",
    "change_abs",
    "value",
}
QUALIFIERS = {"exact", "more_than", "at_least", "about", "less_than"}


def rows(text: str, bodies: list[str] | None = None) -> list[tuple[str, str, str, str, str]]:
    return [(p.as_written, str(p.value), p.counter, p.qualifier, p.role) for p in extract(text, bodies)]


# --- formats: each text with every figure it must give ---------------------------------

FORMATS = [
    # compound clauses
    (
        "查处问题80起，处理101人。",
        [("80起", "80", "起", "exact", "value"), ("101人", "101", "人", "exact", "value")],
    ),
    (
        "查处群众身边腐败问题80起，处理101人；其中移送司法机关七人。",
        [
            ("80起", "80", "起", "exact", "value"),
            ("101人", "101", "人", "exact", "value"),
            ("七人", "7", "人", "exact", "value"),
        ],
    ),
    (
        "现场制止违法行为1.33万件、立案查处2018件。",
        [
            ("1.33万件", "13300", "件", "exact", "value"),
            ("2018件", "2018", "件", "exact", "value"),
        ],
    ),
    (
        "今年上半年共查出“官伞”“警伞”125件225人。",
        [
            ("125件", "125", "件", "exact", "value"),
            ("225人", "225", "人", "exact", "value"),
        ],
    ),
    # Arabic, full-width, decimals, thousands
    ("收到举报１２３件。", [("１２３件", "123", "件", "exact", "value")]),
    ("整改问题１２．５万件。", [("１２．５万件", "125000", "件", "exact", "value")]),
    ("追缴资金共1,234,567元。", [("1,234,567元", "1234567", "元", "exact", "value")]),
    ("新建农村公路126.5公里。", [("126.5公里", "126.5", "公里", "exact", "value")]),
    ("收到举报80，101人到场。", [("101人", "101", "人", "exact", "value")]),
    # Chinese numerals
    (
        "明确两个方面、十二项任务、二十三条措施，培训一百余人。",
        [
            ("两个", "2", "个", "exact", "value"),
            ("十二项", "12", "项", "exact", "value"),
            ("二十三条", "23", "条", "exact", "value"),
            ("一百余人", "100", "人", "more_than", "value"),
        ],
    ),
    (
        "查摆出七大突出问题21个方面的表现。",
        [
            ("七大", "7", "大", "exact", "value"),
            ("21个", "21", "个", "exact", "value"),
        ],
    ),
    ("督促河南、湖北、湖南、青海四省边学边查边改。", [("四省", "4", "省", "exact", "value")]),
    ("巡查三个责任人从有名到有实。", [("三个", "3", "个", "exact", "value")]),
    ("调研三百二十人次。", [("三百二十人次", "320", "人次", "exact", "value")]),
    ("群众满意度达百分之九十五点五。", [("百分之九十五点五", "95.5", "%", "exact", "value")]),
    # 万 / 亿 scaling
    ("筹措1000亿元资金保证夏粮收购。", [("1000亿元", "100000000000", "元", "exact", "value")]),
    ("实现营业收入４８６．７亿元。", [("４８６．７亿元", "48670000000", "元", "exact", "value")]),
    ("两万多人参加。", [("两万多人", "20000", "人", "more_than", "value")]),
    ("追回资金3000多万元。", [("3000多万元", "30000000", "元", "more_than", "value")]),
    ("办理群众诉求1.2万余件。", [("1.2万余件", "12000", "件", "more_than", "value")]),
    ("培训干部3千人次。", [("3千人次", "3000", "人次", "exact", "value")]),
    ("追回资金104974.4万元。", [("104974.4万元", "1049744000", "元", "exact", "value")]),
    (
        "改造3座水库、5块试验田、2所学校、4辆车。",
        [
            ("3座", "3", "座", "exact", "value"),
            ("5块", "5", "块", "exact", "value"),
            ("2所", "2", "所", "exact", "value"),
            ("4辆", "4", "辆", "exact", "value"),
        ],
    ),
    ("6月份已解决12.2万贫困人口饮水问题。", [("12.2万", "122000", "人", "exact", "value")]),
    ("装机容量突破8,000万千瓦。", [("8,000万千瓦", "80000000", "千瓦", "exact", "value")]),
    # qualifiers
    ("事项逾90%。", [("逾90%", "90", "%", "more_than", "value")]),
    ("覆盖超过5000户。", [("超过5000户", "5000", "户", "more_than", "value")]),
    ("参加2000人以上。", [("2000人以上", "2000", "人", "more_than", "value")]),
    ("服务近3000人次。", [("近3000人次", "3000", "人次", "about", "value")]),
    ("约谈干部约500人。", [("约500人", "500", "人", "about", "value")]),
    ("每期50人左右。", [("50人左右", "50", "人", "about", "value")]),
    ("整改率不到10%。", [("不到10%", "10", "%", "less_than", "value")]),
    ("每年至少3次。", [("至少3次", "3", "次", "at_least", "value")]),
    ("每人至少确定一项立行立改项目。", [("一项", "1", "项", "at_least", "value")]),
    ("处置问题线索近千条。", [("近千条", "1000", "条", "about", "value")]),
    ("节约资金1200万元。", [("1200万元", "12000000", "元", "exact", "value")]),
    ("办结率不低于95%。", [("不低于95%", "95", "%", "at_least", "value")]),
    ("办结率不超过5%。", [("不超过5%", "5", "%", "less_than", "value")]),
    ("约50%以上。", [("约50%", "50", "%", "about", "value")]),  # as_written reads as one qualifier
    # shares: %, 成, fractions, 一半
    ("七成以上群众满意。", [("七成以上", "70", "%", "more_than", "value")]),
    ("满意度达到八成以上。", [("八成以上", "80", "%", "more_than", "value")]),
    ("整改率不到八成。", [("不到八成", "80", "%", "less_than", "value")]),
    ("完成百分之三十的任务。", [("百分之三十", "30", "%", "exact", "value")]),
    ("四分之一的问题已解决。", [("四分之一", "25", "%", "exact", "value")]),
    ("约三分之一的单位。", [("约三分之一", "33.3333333333333", "%", "about", "value")]),
    (
        "完成投资的三分之二以上。",
        [("三分之二以上", "66.6666666666667", "%", "more_than", "value")],
    ),
    # changes and their direction
    ("低碳清洁能源装机比重同比提高2个百分点。", [("2个百分点", "2", "个百分点", "exact", "change_pp")]),
    ("不良贷款率比年初下降0.35个百分点。", [("0.35个百分点", "-0.35", "个百分点", "exact", "change_pp")]),
    (
        "资产负债率下降0.8个百分点至66.2%。",
        [
            ("0.8个百分点", "-0.8", "个百分点", "exact", "change_pp"),
            ("66.2%", "66.2", "%", "exact", "after"),
        ],
    ),
    ("信访举报同比下降12.4%。", [("12.4%", "-12.4", "%", "exact", "change_pct")]),
    ("问题线索环比增加3.5%。", [("3.5%", "3.5", "%", "exact", "change_pct")]),
    ("上半年贷款增长64%。", [("64%", "64", "%", "exact", "change_pct")]),
    ("压减会议20%。", [("20%", "-20", "%", "exact", "change_pct")]),
    (
        "市级层面召开的会议、印发的文件较一季度分别减少77.6%、31.8%。",
        [
            ("77.6%", "-77.6", "%", "exact", "change_pct"),
            ("31.8%", "-31.8", "%", "exact", "change_pct"),
        ],
    ),
    (
        "立案数、处分数分别增长18.6%、21.3%。",
        [
            ("18.6%", "18.6", "%", "exact", "change_pct"),
            ("21.3%", "21.3", "%", "exact", "change_pct"),
        ],
    ),
    (
        "分别增长10%、下降5%。",
        [("10%", "10", "%", "exact", "change_pct"), ("5%", "-5", "%", "exact", "change_pct")],
    ),
    ("事故起数下降幅度为12%。", [("12%", "-12", "%", "exact", "change_pct")]),
    (
        "煤耗下降1.6克（降幅约0.6%）。",
        [
            ("1.6克", "-1.6", "克", "exact", "change_abs"),
            ("约0.6%", "-0.6", "%", "about", "change_pct"),
        ],
    ),
    ("客户投诉量同比减少近两成。", [("近两成", "-20", "%", "about", "change_pct")]),
    (
        "事故起数同比下降三分之一。",
        [("三分之一", "-33.3333333333333", "%", "exact", "change_pct")],
    ),
    ("办理时长缩短了一半以上。", [("一半以上", "-50", "%", "more_than", "change_pct")]),
    ("浓度同比下降8%左右。", [("8%左右", "-8", "%", "about", "change_pct")]),
    ("服务群众比去年提高了一倍。", [("一倍", "1", "倍", "exact", "value")]),
    ("普惠小微贷款户数翻了一番。", [("翻了一番", "2", "倍", "exact", "value")]),
    ("营业收入翻两番多。", [("翻两番多", "4", "倍", "more_than", "value")]),
    # absolute changes: a direction word right before a number that closes its clause
    ("问题数同比减少9个。", [("9个", "-9", "个", "exact", "change_abs")]),
    (
        "贷款余额较年初增加86.4亿元，增长12%。",
        [
            ("86.4亿元", "8640000000", "元", "exact", "change_abs"),
            ("12%", "12", "%", "exact", "change_pct"),
        ],
    ),
    (
        "会议、文件分别压缩了12个、8件。",
        [
            ("12个", "-12", "个", "exact", "change_abs"),
            ("8件", "-8", "件", "exact", "change_abs"),
        ],
    ),
    ("二级以下子企业减少14户（含参股）。", [("14户", "-14", "户", "exact", "change_abs")]),
    ("带动提升599万农村人口供水保障水平。", [("599万", "5990000", "人", "exact", "value")]),
    (
        "压减120个以上，新增9个。",
        [
            ("120个以上", "-120", "个", "more_than", "change_abs"),
            ("9个", "9", "个", "exact", "value"),
        ],
    ),
    ("减少会议120个。", [("120个", "120", "个", "exact", "value")]),
    # before / after
    (
        "把市级部门277项督查检查考核归并为76项。",
        [
            ("277项", "277", "项", "exact", "before"),
            ("76项", "76", "项", "exact", "after"),
        ],
    ),
    (
        "用工总量由2.1万人压减到1.8万人。",
        [
            ("2.1万人", "21000", "人", "exact", "before"),
            ("1.8万人", "18000", "人", "exact", "after"),
        ],
    ),
    (
        "重复件占比由18.2%下降到9.5%。",
        [
            ("18.2%", "18.2", "%", "exact", "before"),
            ("9.5%", "9.5", "%", "exact", "after"),
        ],
    ),
    ("将贫困人口大病救治病种增加到25种。", [("25种", "25", "种", "exact", "after")]),
    ("涉农贷款占比提升至61.5%。", [("61.5%", "61.5", "%", "exact", "after")]),
    ("平均办理时限压缩到3个工作日。", [("3个工作日", "3", "个工作日", "exact", "after")]),
    ("办理时限由20天缩短至8天。", [("8天", "8", "天", "exact", "after")]),
    # closure groups
    (
        "目前群众反映的870件具体问题，已办结621件。",
        [
            ("870件", "870", "件", "exact", "total"),
            ("621件", "621", "件", "exact", "closed"),
        ],
    ),
    (
        "部党组确定的79项巡视整改任务中，14项全部完成，26项基本完成，39项取得阶段性成效。",
        [
            ("79项", "79", "项", "exact", "total"),
            ("14项", "14", "项", "exact", "closed"),
            ("26项", "26", "项", "exact", "partly_closed"),
            ("39项", "39", "项", "exact", "in_progress"),
        ],
    ),
    (
        "目前已整改完成9项，正在整改17项。",
        [
            ("9项", "9", "项", "exact", "closed"),
            ("17项", "17", "项", "exact", "in_progress"),
        ],
    ),
    (
        "自治区共收集意见建议12156件次，已立行立改7461个。",
        [
            ("12156件次", "12156", "件次", "exact", "total"),
            ("7461个", "7461", "个", "exact", "closed"),
        ],
    ),
    # ranges (one proposal, value = low end, at least; value_high the high end)
    ("组建3至5个工作组。", [("3至5个", "3", "个", "at_least", "value")]),
    ("资金30%—50%由市财政承担。", [("30%—50%", "30", "%", "at_least", "value")]),
    ("培训员工3至5万人次。", [("3至5万人次", "30000", "人次", "at_least", "value")]),
    ("配备安全员2—3名。", [("2—3名", "2", "名", "at_least", "value")]),
    ("约有3至5个问题。", [("3至5个", "3", "个", "about", "value")]),
    ("发现两三个问题。", [("两三个", "2", "个", "about", "value")]),
    ("七八成群众表示满意。", [("七八成", "70", "%", "about", "value")]),
    # durations
    ("计划用3年半时间开发工控系统。", [("3年半", "3.5", "年", "exact", "value")]),
    ("计划用5年时间实现目标。", [("5年", "5", "年", "exact", "value")]),
    ("集团计划用两年半时间完成改造。", [("两年半", "2.5", "年", "exact", "value")]),
    ("用时3个多月。", [("3个多月", "3", "个月", "more_than", "value")]),
    (
        "历时一年半，整改问题8项。",
        [("一年半", "1.5", "年", "exact", "value"), ("8项", "8", "项", "exact", "value")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), FORMATS, ids=[t for t, _ in FORMATS])
def test_format(text, expected):
    assert rows(text) == expected


RANGES = [
    ("组建3至5个工作组。", "3", "5"),
    ("资金30%—50%由市财政承担。", "30", "50"),
    ("培训员工3至5万人次。", "30000", "50000"),
    ("培训3万至5万人次。", "30000", "50000"),
    ("发现两三个问题。", "2", "3"),
    ("七八成群众表示满意。", "70", "80"),
    ("增长30%—50%。", "30", "50"),
]


@pytest.mark.parametrize(("text", "low", "high"), RANGES)
def test_range_is_one_proposal_with_both_ends(text, low, high):
    (p,) = extract(text)
    assert (str(p.value), str(p.value_high)) == (low, high)


def test_only_ranges_have_a_high_end():
    assert [p.value_high for p in extract("查处问题80起，处理101人，增长12%。")] == [None, None, None]


# --- traps: nothing to propose -----------------------------------------------------------

TRAPS = [
    "2019年8月召开会议。",
    "今年6月以来，成效明显。",
    "上半年、6月份、一季度工作有序推进。",
    "较近5年同期均值明显下降。",
    "1至6月，2019—2020年，最近3天。",
    "2019-08-01发布，8:30开会，2019.8起施行。",
    "第五轮巡视、第二届进博会、首批试点、第九次会议、第1至3批。",
    "中央第二十五指导组坚持问题导向。",
    "聚焦“8+4”重点问题，制定“5+5+2”专项整治方案。",
    "聚焦8+4重点问题。",
    "开通12345热线，联系电话0791-88888888。",
    "落实两不愁三保障，坚持三会一课制度。",
    "学习十九大精神和二十届二中全会精神，做到两个维护、四个意识。",
    "学习十九届四中全会精神。",
    "服务三农发展，推进长三角一体化，开展清四乱行动，打赢三大攻坚战。",
    "违反中央八项规定精神，三医联动改革。",
    "进一步压实责任，一把手带头，统一部署，逐一销号，一对一谈心。",
    "一方面抓整改，另一方面抓制度，一些单位一时难以完成。",
    "熔于一炉，打通最后一公里，让群众最多跑一次，社区万能章。",
    "对倒排10%的“无星”村集中进行整顿。",
    "排名前10名的单位。",
    "共有十几个单位、数十个部门、上百名干部。",
    "确定一批问题，每到一省都要调研，这是一项重要工作。",
    "实行24小时值班，在30日内办结，3—5年内完成。",
    "《关于加强干部队伍建设的3项规定》出台。",
    "抓住“四个贯穿”不放，打造“四大战略支点”，清理“四乱”。",
    "推广5G和COVID-19防控经验，PM2.5浓度下降。",
    "指导组坚持抓两头、带中间。",
    "一、总体进展\n（二）主要做法\n3.下一步打算",
    "管理层级二级以下。",
    "整改落实情况通报（第4期）",
]


@pytest.mark.parametrize("text", TRAPS)
def test_trap_is_not_proposed(text):
    assert rows(text) == []


# --- pairs, evidence, offsets, bodies, repeats ---------------------------------------------


def test_closure_parts_pair_with_their_total_and_after_with_before():
    found = extract("受理120件，已办结100件，正在办理20件。由2000个减少到1500个。")
    assert [(p.id, p.role, p.pairs_with) for p in found] == [
        (1, "total", None),
        (2, "closed", 1),
        (3, "in_progress", 1),
        (4, "before", None),
        (5, "after", 4),
    ]


def test_parts_without_total_pair_with_the_first_part():
    found = extract("目前已整改完成9项，正在整改17项。")
    assert [(p.role, p.pairs_with) for p in found] == [("closed", None), ("in_progress", 1)]


def test_a_single_part_without_total_is_a_value():
    (p,) = extract("6月份已解决12.2万贫困人口饮水问题。")
    assert (p.role, p.pairs_with) == ("value", None)


def test_kind_guesses():
    found = extract(
        "筹措1000亿元资金，计划用5年时间，比重超过40%，增长64%，已办结3件，正在办理2件，查处5起。"
    )
    assert [(p.as_written, p.kind) for p in found] == [
        ("1000亿元", "amount"),
        ("5年", "duration"),
        ("超过40%", "share"),
        ("64%", "change"),
        ("3件", "closure"),
        ("2件", "closure"),
        ("5起", "count"),
    ]


def test_evidence_is_the_clause_and_widens_over_a_bare_list_item():
    text = "　　今年6月以来，全市共查处不作为不担当问题166起、问责216人，会议、文件分别减少77.6%、31.8%。"
    assert [(p.as_written, p.evidence) for p in extract(text)] == [
        ("166起", "全市共查处不作为不担当问题166起"),
        ("216人", "问责216人"),
        ("77.6%", "文件分别减少77.6%"),
        ("31.8%", "会议、文件分别减少77.6%、31.8%"),
    ]


def test_offsets_locate_as_written():
    text = "聚焦“8+4”重点问题，在中央部署8个专项整治基础上，增加4个方面整治重点。"
    found = extract(text)
    assert [(p.as_written, p.start, p.end) for p in found] == [("8个", 17, 19), ("4个", 29, 31)]
    assert all(text[p.start : p.end] == p.as_written for p in found)


HEADED = (
    "刀刃向内找问题\n\n　　紧扣整改整治着力点\n　　天津市委\n　　查处问题166起。\n"
    "　　\n　　聚焦问题  抓实整改\n　　临江能源集团有限公司\n　　新建电站7座。\n"
    "一、水利部党组\n　　处理3人。\n【中国华能党组】\n　　新增2个。\n"
    "　　要发挥基层作用，加强党委领导。\n　　发挥基层党委\n作用明显，新增5个。\n"
)


def test_bodies_come_from_section_headings():
    assert [(p.body_zh, p.as_written) for p in extract(HEADED)] == [
        ("天津市委", "166起"),
        ("临江能源集团有限公司", "7座"),
        ("水利部党组", "3人"),
        ("中国华能党组", "2个"),
        ("中国华能党组", "5个"),
    ]


def test_known_bodies_can_be_given():
    text = "总结\n东山区\n查处问题5起。\n"
    assert [p.body_zh for p in extract(text)] == [""]
    assert [p.body_zh for p in extract(text, bodies=["东山区"])] == ["东山区"]
    assert [p.body_zh for p in extract("标题\n天津市委\n查处问题5起。\n", bodies=[])] == ["天津市委"]


def test_text_before_the_first_heading_has_no_body():
    assert [p.body_zh for p in extract("共查处问题5起。\n标题\n天津市委\n处理3人。")] == ["", "天津市委"]


def test_later_mentions_of_the_same_count_are_not_repeated():
    text = "督促河南、湖北、湖南、青海四省边学边查边改。指导组与四省研究，督促四省整改。"
    assert rows(text) == [("四省", "4", "省", "exact", "value")]
    text = "剩余5条正在按时序推进。对尚未完成的5条措施挂图作战。"
    assert rows(text) == [("5条", "5", "条", "exact", "value")]
    text = "反馈问题15项。截至目前，15项问题已全部整改到位，8项措施正在推进。"
    assert [(r[0], r[4]) for r in rows(text)] == [
        ("15项", "value"),
        ("15项", "closed"),
        ("8项", "in_progress"),
    ]


def test_repeats_in_other_sections_are_proposed():
    text = "标题\n天津市委\n联系8家单位。\n标题\n上海市委\n联系8家单位。\n"
    assert [(p.body_zh, p.as_written) for p in extract(text)] == [("天津市委", "8家"), ("上海市委", "8家")]


def test_same_value_in_one_sentence_is_kept():
    assert [r[0] for r in rows("发文5件、会议5件，均比上年减少。")] == ["5件", "5件"]


# --- Traditional characters: matched as Simplified, quoted as written --------------------

SIMPLIFIED_REPORT = (
    "天津市委\n"
    "　　今年以来，全市共查处问题166起，问责干部1.33万人；群众反映的870件具体问题，已办结621件。"
    "会议数量同比减少三成，追回资金3000多万元，培训2至3期。\n"
    "水利部党组\n"
    "　　因灾死亡失踪人数减少24%，贷款余额较年初增加86.4亿元，贷款户数翻了一番。\n"
)
TRADITIONAL_REPORT = (
    "天津市委\n"
    "　　今年以來，全市共查處問題166起，問責幹部1.33萬人；群眾反映的870件具體問題，已辦結621件。"
    "會議數量同比減少三成，追回資金3000多萬元，培訓2至3期。\n"
    "水利部黨組\n"
    "　　因災死亡失蹤人數減少24%，貸款餘額較年初增加86.4億元，貸款戶數翻了一番。\n"
)


def test_traditional_text_gives_the_proposals_of_its_simplified_twin():
    assert len(TRADITIONAL_REPORT) == len(SIMPLIFIED_REPORT)
    found = extract(TRADITIONAL_REPORT)
    assert [(p.as_written, str(p.value), p.counter, p.qualifier, p.role, p.body_zh) for p in found] == [
        ("166起", "166", "起", "exact", "value", "天津市委"),
        ("1.33萬人", "13300", "人", "exact", "value", "天津市委"),
        ("870件", "870", "件", "exact", "total", "天津市委"),
        ("621件", "621", "件", "exact", "closed", "天津市委"),
        ("三成", "-30", "%", "exact", "change_pct", "天津市委"),
        ("3000多萬元", "30000000", "元", "more_than", "value", "天津市委"),
        ("2至3期", "2", "期", "at_least", "value", "天津市委"),
        ("24%", "-24", "%", "exact", "change_pct", "水利部党组"),  # the name of data/bodies.csv
        ("86.4億元", "8640000000", "元", "exact", "change_abs", "水利部党组"),
        ("翻了一番", "2", "倍", "exact", "value", "水利部党组"),
    ]
    assert found[1].evidence == "問責幹部1.33萬人"
    assert found[8].evidence == "貸款餘額較年初增加86.4億元"
    for p in found:
        assert TRADITIONAL_REPORT[p.start : p.end] == p.as_written

    def same(p):
        return (
            p.value,
            p.value_high,
            p.counter,
            p.qualifier,
            p.role,
            p.kind,
            p.pairs_with,
            p.body_zh,
            p.start,
        )

    assert [same(p) for p in found] == [same(p) for p in extract(SIMPLIFIED_REPORT)]


def test_extract_refuses_bytes():
    with pytest.raises(TypeError):
        extract(b"80\xe8\xb5\xb7")


# --- invariants over every text -----------------------------------------------------------


def own_texts() -> list[Path]:
    return sorted(TEXTS.glob("*.txt"))


def check_invariants(text: str, has_figures: bool | None) -> None:
    """What holds of every proposal; and where ``text`` is known to have figures (True) or none
    (False), that extract finds some or none, so a stub returning [] does not pass."""
    found = extract(text)
    if has_figures is not None:
        assert bool(found) == has_figures, f"{len(found)} proposals from {text[:40]!r}"
    for index, p in enumerate(found, start=1):
        assert p.id == index
        assert text[p.start : p.end] == p.as_written
        assert p.as_written in p.evidence
        at = text.find(p.evidence, max(0, p.end - len(p.evidence)))
        assert 0 <= at <= p.start and p.end <= at + len(p.evidence), "evidence must cover the figure"
        assert p.qualifier in QUALIFIERS and p.role in ROLES
        written = read_quantity(p.as_written)  # the reader of validation and import reads it alike
        assert abs(written.value) == abs(p.value), p
        assert p.pairs_with is None or 1 <= p.pairs_with < p.id
        assert isinstance(p.value, Decimal)


@pytest.mark.parametrize(
    ("text", "has_figures"),
    [(t, bool(expected)) for t, expected in FORMATS] + [(t, False) for t in TRAPS] + [(HEADED, True)],
)
def test_invariants_on_table_texts(text, has_figures):
    check_invariants(text, has_figures)


@pytest.mark.parametrize("path", own_texts(), ids=lambda p: p.stem)
def test_invariants_on_own_texts(path):
    check_invariants(read_text(path), True)  # every invented report states figures


def test_invariants_on_the_first_source(source_text):
    check_invariants(source_text, True)


@pytest.mark.parametrize("path", own_texts(), ids=lambda p: p.stem)
def test_as_written_reads_back_as_the_value(path):
    """What the shared reader (read_quantity, the curation check's) reads from as_written is
    the proposed value, high end, counter and qualifier: 成, 分之, 一半, 点 and ranges too."""
    for p in extract(read_text(path)):
        written = read_quantity(p.as_written)
        assert written.value == abs(p.value), p  # the sign comes from the words before
        assert written.high == (None if p.value_high is None else abs(p.value_high)), p
        assert written.counter in (p.counter, ""), p  # a bare 12.2万 before 人口 counts 人
        assert written.qualifier in (p.qualifier, "exact", "at_least"), p


CHUNKS = list("0123456789０１２一二两三十百千万亿多余约近逾至—%，。、；：\n“”第年月起件人项个成半之")
CHUNKS += ["个百分点", "分之", "超过", "以上", "左右", "不到", "至少", "减少", "增长", "已办结", "正在整改"]
CHUNKS += ["归并为", "天津市委", "标题", "进一步", "两不愁三保障", "12345热线", "8+4", "2019年", "共查处问题"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CHUNKS + list(string.ascii_letters[:6])), max_size=40))
def test_invariants_on_random_texts(chunks):
    check_invariants("".join(chunks), None)  # random text: figures or none


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**12), st.sampled_from(["起", "件", "人", "项", "条", "个", "人次"])
)
def test_any_integer_with_a_counter(n, counter):
    wide = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for written in (str(n), wide, f"{n:,}"):
        text = f"全年共查处问题{written}{counter}。"
        assert rows(text) == [(f"{written}{counter}", str(n), counter, "exact", "value")]


# --- reading files, frames, records ----------------------------------------------------------


def test_reads_gbk_file():
    raw = (TEXTS / "province_report.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = read_text(TEXTS / "province_report.txt")
    assert text == raw.decode("gbk")
    assert "临江省委" in text and "１２８项" in text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_read_text_encodings(tmp_path, encoding):
    text = "　　天津市委\n查处问题80起，处理101人。\r\n"
    path = tmp_path / f"report-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == text


def test_read_text_gb18030_beyond_gbk(tmp_path):
    text = "𠀀镇查处问题3起。"  # U+20000 is in GB18030 (four bytes), not in GBK
    path = tmp_path / "report.txt"
    path.write_bytes(text.encode("gb18030"))
    assert read_text(path) == text
    assert rows(read_text(path)) == [("3起", "3", "起", "exact", "value")]


def test_read_text_refuses_undecodable_and_missing(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\x80\xff\xfe\x00\x81")
    with pytest.raises(ValueError, match="neither UTF-8 nor GBK"):
        read_text(path)
    with pytest.raises(OSError):
        read_text(tmp_path / "missing.txt")


def test_to_frame_and_records():
    found = extract("目前群众反映的870件具体问题，已办结621件，减少77.6%，资金1000亿元。")
    frame = to_frame(found)
    assert list(frame.columns) == COLUMNS
    assert frame["value"].tolist() == [Decimal(870), Decimal(621), Decimal("-77.6"), Decimal(100000000000)]
    assert frame["pairs_with"].isna().tolist() == [True, False, True, True]
    assert frame.loc[1, "pairs_with"] == 1
    exported = list(csv.DictReader(io.StringIO(export.csv_bytes(frame, bom=False).decode("utf-8"))))
    assert [r["value"] for r in exported] == ["870", "621", "-77.6", "100000000000"]
    assert [r["pairs_with"] for r in exported] == ["", "1", "", ""]
    records = to_records(found)
    assert records[2]["value"] == -77.6 and records[0]["value_high"] is None
    assert json.loads(json.dumps(records, ensure_ascii=False))[1]["pairs_with"] == 1
    assert list(to_frame([]).columns) == COLUMNS


# --- evaluation --------------------------------------------------------------------------------


def test_evaluate_compares_signed_values_spans_and_bodies():
    text = "标题\n天津市委\n会议减少77.6%，查处问题80起。"
    gold = pd.DataFrame(
        [
            {"as_written": "77.6%", "value": "77.6", "body_zh": "天津市委", "evidence": "会议减少77.6%"},
            {"as_written": "80起", "value": "80", "body_zh": "上海市委", "evidence": "查处问题80起"},
        ]
    )
    result = evaluate(text, gold)
    assert (result["matched"], result["precision"], result["recall"]) == (0, 0.0, 0.0)
    gold.loc[0, "value"], gold.loc[1, "body_zh"] = "-77.6", ""
    result = evaluate(text, gold)
    assert (result["matched"], result["precision"], result["recall"], result["f1"]) == (2, 1.0, 1.0, 1.0)
    assert result["misses"] == [] and result["false_positives"] == []


def test_evaluate_uses_start_when_given():
    text = "查处问题8起，另有8起。"
    gold = pd.DataFrame([{"as_written": "8起", "value": "8", "start": 8}])
    result = evaluate(text, gold)
    assert result["matched"] == 1 and [p["start"] for p in result["false_positives"]] == [4]


# Reached on the curated figures of the first source (data/figures.csv); a regression fails.
SOURCE_THRESHOLDS = {"precision": 0.99, "recall": 0.99, "role_agreement": 0.99, "qualifier_agreement": 0.99}


def test_first_source_against_curated_figures(source_text):
    result = evaluate(source_text, gold_figures())
    report = f"misses: {result['misses']}\nfalse positives: {result['false_positives']}"
    for key, floor in SOURCE_THRESHOLDS.items():
        assert result[key] >= floor, f"{key} {result[key]:.3f} < {floor}\n{report}"


# Reached on the own texts (precision, recall, role agreement). bank_report misses 降至0.05以下
# (a bare rate without counter); county_summary and bank_report were first scored blind:
# county_summary 0.938/0.968 and bank_report 0.966/1.0 before the rules were improved.
OWN_THRESHOLDS = {
    "province_report": (1.0, 1.0, 1.0),
    "ministry_briefing": (1.0, 1.0, 1.0),
    "news_item": (1.0, 1.0, 1.0),
    "county_summary": (1.0, 1.0, 0.93),
    "bank_report": (1.0, 0.96, 0.93),
}


def read_gold(path: Path) -> pd.DataFrame:
    return pd.read_csv(path.with_suffix(".gold.csv"), dtype=str, keep_default_na=False)


@pytest.mark.parametrize("path", own_texts(), ids=lambda p: p.stem)
def test_gold_labels_locate_their_figures(path):
    text, gold = read_text(path), read_gold(path)
    assert list(gold.columns) == ["as_written", "value", "counter", "qualifier", "role", "body_zh", "start"]
    for row in gold.itertuples():
        start = int(row.start)
        assert text[start : start + len(row.as_written)] == row.as_written
        assert row.role in ROLES and row.qualifier in QUALIFIERS


@pytest.mark.parametrize("path", own_texts(), ids=lambda p: p.stem)
def test_own_texts_against_hand_labels(path):
    assert path.stem in OWN_THRESHOLDS, f"add thresholds for {path.name}"
    precision, recall, roles = OWN_THRESHOLDS[path.stem]
    result = evaluate(read_text(path), read_gold(path))
    report = f"misses: {result['misses']}\nfalse positives: {result['false_positives']}"
    assert result["precision"] >= precision - 1e-9, report
    assert result["recall"] >= recall - 1e-9, report
    assert result["role_agreement"] >= roles - 1e-9, result["disagreements"]


def test_bench_reports_the_median_throughput_of_its_runs():
    """The throughput itself is measured by `python -m metrics extract-bench`, not asserted here
    (a shared machine makes any time limit flaky)."""
    corpus = "\n".join(read_text(path) for path in own_texts())
    result = bench(1_000_000, text=corpus, runs=3)
    assert result["runs"] == 3 and result["bytes"] >= 1_000_000 and result["proposals"] > 0
    assert result["mb_per_s"] == pytest.approx(result["bytes"] / 1e6 / result["seconds_median"])


# --- command line ------------------------------------------------------------------------------


@pytest.fixture
def no_db(tmp_path, monkeypatch) -> Path:
    """METRICS_DB pointing to a file that must not be created by the extract commands."""
    db = tmp_path / "untouched.duckdb"
    monkeypatch.setenv("METRICS_DB", str(db))
    return db


def test_cli_extract_csv(capsysbinary, no_db):
    assert cli.main(["extract", str(TEXTS / "province_report.txt")]) == 0
    out = capsysbinary.readouterr().out.decode("utf-8")
    records = list(csv.DictReader(io.StringIO(out)))
    assert list(records[0]) == COLUMNS
    assert (records[0]["body_zh"], records[0]["as_written"], records[0]["value"]) == (
        "临江省委",
        "１２８项",
        "128",
    )
    assert not out.startswith("\ufeff") and not no_db.exists()


def test_cli_extract_json(capsysbinary, no_db):
    assert cli.main(["extract", str(TEXTS / "news_item.txt"), "--format", "json"]) == 0
    records = json.loads(capsysbinary.readouterr().out.decode("utf-8"))
    assert records[1]["as_written"] == "12.4%" and records[1]["value"] == -12.4
    assert not no_db.exists()


def test_cli_extract_unreadable_file_exits_2(tmp_path, capsys, no_db):
    assert cli.main(["extract", str(tmp_path / "missing.txt")]) == 2
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x80\xff\xfe\x00\x81")
    assert cli.main(["extract", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("cannot read the text") == 2


def test_cli_evaluate_extract(source_path, source_text, capsys, no_db):
    assert cli.main(["evaluate-extract", "--text", str(source_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("precision 1.000  recall 1.000  F1 1.000")
    assert "misses (0):" in out and "false positives (0):" in out


def test_cli_extract_bench(capsys, no_db):
    args = ["extract-bench", "--text", str(TEXTS / "news_item.txt"), "--bytes", "20000", "--runs", "1"]
    assert cli.main(args) == 0
    assert " MB/s (" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        # a verb that is its clause's whole text closes part of the total before it
        ("排查问题4,862个，整改4,517个，整改率92.9%。", ["total", "closed", "value"]),
        ("收集意见建议1,083条，已办理答复1,021条。", ["total", "closed"]),
        # ... but not inside a longer clause
        ("排查问题35个，制定整改措施57条。", ["value", "value"]),
        # a total named in the sentence before its parts, other counters between
        (
            "发现欠薪问题93起，涉及农民工7,650人；截至11月底已解决89起，其余4起正在协调处理。",
            ["total", "value", "closed", "in_progress"],
        ),
        # ... not two sentences before, nor a total smaller than its parts together
        ("发现问题93起。涉及10人。另查出5起。已解决89起。", ["value", "value", "value", "value"]),  # 89 > 5
    ],
)
def test_closure_parts_find_their_total(text, roles):
    assert [p.role for p in extract(text)] == roles
