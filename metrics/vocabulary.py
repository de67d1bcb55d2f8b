"""The one vocabulary of the number reader, the extractor, the checks and the exports.

Words only (and the few helpers that say what a word means): Chinese numerals and their
values, the scales 万/亿, the qualifier words and their codes, counters, the direction words
that give a change its sign, and what a spreadsheet runs as a formula. Every module that
needs one of these lists imports it from here; none keeps a copy.

- :mod:`metrics.numbers` reads quantities with the numerals, scales, qualifiers, counters
  and direction words;
- :mod:`metrics.extract` builds its scanner from the same words;
- :mod:`metrics.validate` signs changes with :data:`DOWN_WORDS` / :data:`UP_WORDS`
  (``_sign_of_change``) and accepts the qualifier words of :data:`QUALIFIER_WORDS`;
- :mod:`metrics.export` escapes what :func:`looks_like_formula` finds, and so should the
  import check (``metrics.ingest``).

All words are in Simplified characters: text in Traditional characters is converted
character by character before it is matched (:func:`metrics.textio.simplified`).

>>> direction_of("压缩"), direction_of("提升"), direction_of("完成")
('down', 'up', '')
>>> looks_like_formula("=1+1"), looks_like_formula("-77.6%"), looks_like_formula("-2+3")
(True, False, True)
"""

from __future__ import annotations

import re

__all__ = [
    "AFTER_NUMBER_QUALIFIERS",
    "AT_LEAST_BEFORE",
    "AVERAGE_WORDS",
    "BIG_UNITS",
    "COMPARISON_WORDS",
    "COUNT_COUNTERS",
    "DECIMAL_POINT",
    "DIGITS",
    "DIRECTION_PATTERN",
    "DOUBLING",
    "DOWN_WORDS",
    "FORMULA_START",
    "FRACTION",
    "FULLWIDTH",
    "GUARDED_COUNTERS",
    "HALF",
    "HALF_AFTER",
    "LEADING_QUALIFIERS",
    "LEVEL_VERBS",
    "MONEY_COUNTERS",
    "MULTIPLE",
    "NUMBER_TEXT",
    "NUMERAL_CHARS",
    "NUMERAL_COUNTERS",
    "PERCENT_COUNTERS",
    "PERCENT_WORDS",
    "PER_MILLE",
    "PERIOD_COUNTERS",
    "PLACE_COUNTERS",
    "PP_COUNTERS",
    "QUALIFIER_CODES",
    "QUALIFIER_WORDS",
    "RANGE_SEPARATORS",
    "SMALL_UNITS",
    "TENTHS",
    "TRAILING_QUALIFIERS",
    "UP_WORDS",
    "direction_of",
    "longest_first",
    "looks_like_formula",
]

# --- numerals and scales ------------------------------------------------------------------

#: Chinese digits and their values (两 is 2 in 两千, 两个; 〇 is the zero of 二〇二三).
DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
#: Units inside a section of four digits.
SMALL_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
#: Scales (万, 亿): 1.33万 = 13300, 1000亿 = 10^11, 1.2万亿 = 1.2 * 10^12.
BIG_UNITS: dict[str, int] = {"万": 10**4, "亿": 10**8}
#: Every character of a Chinese numeral.
NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS)
#: The decimal point of Chinese numerals: 九十五点五 = 95.5, 三点五万 = 35000.
DECIMAL_POINT = "点"
#: Full-width digits and signs as ASCII (the full-width comma is punctuation, not listed).
FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋", "0123456789.-+")
#: Between the two ends of a range: 2至4个, 3到5项, 2-4个, 30%—50%.
RANGE_SEPARATORS = "至到-~～—–－−"

# --- shares, fractions, multiples ----------------------------------------------------------

#: 百分之三十 = 30 %.
PERCENT_WORDS = "百分之"
#: 八成 = 80 %: 成 counts tenths.
TENTHS = "成"
#: 5‰ = 0.5 %.
PER_MILLE = "‰"
#: 一半 = 50 %; N年半 / N个半月 add one half.
HALF = "半"
#: 四分之一 = 25 %: the denominator comes first.
FRACTION = "分之"
#: 3倍: a multiple.
MULTIPLE = "倍"
#: 翻一番 (doubled once) = 2 times the starting level, 翻两番 = 4 times.
DOUBLING = ("翻", "番")

# --- qualifiers -------------------------------------------------------------------------------

#: The codes of ``figures.qualifier``.
QUALIFIER_CODES = ("exact", "more_than", "at_least", "about", "less_than")
#: Words written right before the number.
LEADING_QUALIFIERS: dict[str, str] = {
    "超过": "more_than",
    "超": "more_than",
    "逾": "more_than",
    "至少": "at_least",
    "不少于": "at_least",
    "不低于": "at_least",
    "将近": "about",
    "大约": "about",
    "近": "about",
    "约": "about",
    "不到": "less_than",
    "不足": "less_than",
    # An upper bound: the vocabulary has no "at most", and "more than" (超过) would be wrong.
    "不超过": "less_than",
}
#: Words that may follow the number directly (before 万/亿 and the counter): 3000多万, 1.2万余件.
AFTER_NUMBER_QUALIFIERS: dict[str, str] = {"多": "more_than", "余": "more_than"}
#: Words that may close the whole quantity (after the counter): 2000人以上, 50人左右.
TRAILING_QUALIFIERS: dict[str, str] = {
    "以上": "more_than",
    "多": "more_than",
    "余": "more_than",
    "左右": "about",
}
#: Every qualifier word mapped to its code.
QUALIFIER_WORDS: dict[str, str] = {
    **LEADING_QUALIFIERS,
    **AFTER_NUMBER_QUALIFIERS,
    **TRAILING_QUALIFIERS,
}
#: Words that make a number a lower bound from a few characters before it (每人至少确定一项).
AT_LEAST_BEFORE = ("至少", "不少于", "不低于")
#: An average, not a precision: 平均3天 is read as 3 (exact) with ``average`` set; the measure's
#: label says what is averaged.
AVERAGE_WORDS = ("平均", "人均", "户均", "年均", "月均", "日均")

# --- counters ---------------------------------------------------------------------------------

#: Counters after which a number is a date or a period (a duration only in context).
PERIOD_COUNTERS = (
    "个工作日",
    "工作日",
    "个季度",
    "个多月",
    "个半月",
    "个月",
    "季度",
    "月份",
    "年度",
    "周年",
    "世纪",
    "年代",
    "小时",
    "分钟",
    "年",
    "月",
    "日",
    "号",
    "天",
    "周",
    "时",
    "秒",
    "旬",
)
#: Counters of things, money, measures and shares.
COUNT_COUNTERS = (
    "个百分点",
    "百分点",
    "平方公里",
    "平方米",
    "立方米",
    "千瓦时",
    "载重吨",
    "标准箱",
    "千瓦",
    "千米",
    "千克",
    "公斤",
    "公里",
    "公顷",
    "人次",
    "件次",
    "户次",
    "批次",
    "轮次",
    "频次",
    "架次",
    "车次",
    "家次",
    "场次",
    "班次",
    "大类",
    "部门",
    "部委",
    "美元",
    "欧元",
    "港元",
    "个",
    "项",
    "件",
    "起",
    "人",
    "条",
    "次",
    "家",
    "种",
    "名",
    "户",
    "所",
    "篇",
    "份",
    "场",
    "类",
    "省",
    "市",
    "县",
    "区",
    "乡",
    "镇",
    "村",
    "倍",
    "吨",
    "亩",
    "米",
    "辆",
    "艘",
    "套",
    "张",
    "本",
    "册",
    "部",
    "支",
    "只",
    "棵",
    "株",
    "间",
    "栋",
    "宗",
    "块",
    "笔",
    "例",
    "位",
    "批",
    "轮",
    "组",
    "元",
    "克",
    "剂",
    "%",
    "％",
    "‰",
)
#: Counters that also begin common words, with the characters that must not follow them
#: (座谈, 处理, 台账, 成效, 大会 ...).
GUARDED_COUNTERS: dict[str, str] = {
    "期": "间限望待",
    "座": "谈",
    "处": "理置分罚长室",
    "台": "账阶",
    "成": "员果效立为功本绩熟型交品都",
    "大": "会学型约力量幅概部多家局众于",
}
#: Counters that begin with a numeral character (5千米 is 5 km, 500万千瓦 is 5 million kW).
NUMERAL_COUNTERS = ("千米", "千克", "千瓦", "千帕", "千公顷", "百分点")
#: Counter characters that take a following 半: 3年半 = 3.5 年, 两个半月 = 2.5 个月.
HALF_AFTER = "年个天倍岁周月"
MONEY_COUNTERS = frozenset({"元", "美元", "欧元", "港元"})
PLACE_COUNTERS = frozenset({"省", "市", "县", "区", "乡", "镇", "村"})
PERCENT_COUNTERS = frozenset({"%", "％", "成", "‰"})
PP_COUNTERS = frozenset({"个百分点", "百分点"})

# --- direction words --------------------------------------------------------------------------

#: Words that make the change after them negative (减少77.6% -> -77.6).
DOWN_WORDS = (
    "减少",
    "下降",
    "降低",
    "压减",
    "压降",
    "压缩",
    "缩减",
    "削减",
    "缩短",
    "下滑",
    "回落",
    "缩小",
    "收窄",
    "精简",
    "降幅",
    "减幅",
    "跌幅",
    "减",
    "降",
)
#: Words that make the change after them positive (增长64% -> 64).
UP_WORDS = (
    "增长",
    "提高",
    "增加",
    "上升",
    "提升",
    "扩大",
    "延长",
    "攀升",
    "上涨",
    "增幅",
    "涨幅",
    "增速",
    "增",
    "涨",
    "升",
)
#: Words that say what a change is measured against, written before the direction word.
COMPARISON_WORDS = ("同比", "环比")
#: Verbs that reach a level with 为/到/至 (归并为76项), besides the direction words.
LEVEL_VERBS = ("归并", "合并", "整合", "调整", "优化", "扩充", "扩展", "拓展", "控制")


def longest_first(words) -> list[str]:
    """``words`` ordered so that an alternation tries the longest first (减少 before 减)."""
    return sorted(words, key=len, reverse=True)


#: One alternation of every direction word, longest first: the same text in Python's ``re``
#: and DuckDB's RE2 (leftmost-first alternation in both).
DIRECTION_PATTERN = "|".join(re.escape(w) for w in longest_first(DOWN_WORDS + UP_WORDS))
_DIRECTION = {**dict.fromkeys(UP_WORDS, "up"), **dict.fromkeys(DOWN_WORDS, "down")}


def direction_of(word: str) -> str:
    """``down`` or ``up`` for a direction word, ``""`` for any other text."""
    return _DIRECTION.get(word, "")


# --- spreadsheet formulas ---------------------------------------------------------------------

#: A text cell starting with one of these is run as a formula by Excel and its likes.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: ... unless it is a plain signed number or percentage (-77.6, +5, -77.6%), which stays a number.
NUMBER_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d+)?|\.\d+)%?$")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula (and not read it as a number).

    >>> [looks_like_formula(t) for t in ("@SUM(A1)", "+cmd", "-5", "+5%", "-1.5个百分点", "天津")]
    [True, True, False, False, True, False]
    """
    return text.startswith(FORMULA_START) and not NUMBER_TEXT.match(text)
