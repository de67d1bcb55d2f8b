"""Propose figures from the plain text of a rectification report (issue #5).

``extract(text)`` reads a report once, left to right, and returns one
:class:`Proposal` per number that looks like a reported figure. Proposals are
suggestions for a curator, not curated data: every one carries the verbatim
clause it stands in and the character offsets of the number in the text.
Pure functions, no Streamlit; pandas is only imported by :func:`to_frame`.

>>> [(p.as_written, str(p.value), p.counter, p.role) for p in extract("查处问题80起，处理101人。")]
[('80起', '80', '起', 'value'), ('101人', '101', '人', 'value')]
>>> [(p.as_written, str(p.value), p.role) for p in extract("会议、文件分别减少77.6%、31.8%。")]
[('77.6%', '-77.6', 'change_pct'), ('31.8%', '-31.8', 'change_pct')]

What is read as a number
------------------------
Every span the scanner finds is read by :func:`metrics.numbers.read_quantity`, the
reader the checks of curated and imported figures use too, so ``as_written`` always
reads back as the proposed value, high end, counter and qualifier (the sign and a
qualifier found before the number come from the context). The words are those of
:mod:`metrics.vocabulary`.

- Text in Traditional characters is matched as Simplified (天津市委, 問責 -> 问责,
  1.33萬件 -> 13300 件), character for character: ``as_written``, ``evidence`` and the
  offsets are those of the text as given, counters are Simplified and ``body_zh`` is
  the Simplified name of ``data/bodies.csv``.
- Arabic digits, full-width digits (１２３), decimals (77.6, ７.５) and ASCII
  thousands separators (1,205). A full-width comma "，" is always clause
  punctuation, never a thousands separator ("80，101人" is two numbers).
- Chinese numerals (两, 十二, 二十三, 一百余, 两千五百多万) and mixed forms (1.33万).
  万/亿 (and 千 after Arabic digits: 5千人) scale the value: ``value`` is the plain
  number (1000亿元 -> 100000000000).
- Qualifiers, as in :data:`metrics.vocabulary.QUALIFIER_WORDS`: 多/余/逾/超过/以上
  -> more_than, 至少/不少于 -> at_least, 近/约/将近/大约/左右 -> about, 不到/不足/
  不超过 -> less_than. Of two that disagree (约50%以上) the one before the number
  wins and the other is left out of ``as_written`` (约50%). A leading word is part of ``as_written`` only when it touches the
  number (逾90%); 至少/不少于/不低于 up to four characters before the number
  still qualify it (每人至少确定一项 -> 一项, at_least), as does 约有/近有 (about).
  约/近/超 are not qualifiers inside 节约, 制约, 最近, 临近, 赶超 ...
- A counter (unit word) must follow the number: 个 项 件 起 人 条 次 家 种 名 户
  块 宗 座 处 所 辆 ... 人次 件次 元 倍 吨 亩 公里 %, 个百分点, 省/市/县 and, after Chinese
  numerals, 大 (七大突出问题). Bare numbers without a counter are not proposed
  (they are codes, years, hotline numbers) unless 万/亿 scale them (12.2万贫困人口);
  then the counter is inferred as 人 when 人口/群众/农民... follows, else left empty.
- 百分之三十 -> 30 %, 百分之九十五点五 -> 95.5 %, 七成 -> 70 % (成 is read as
  tenths: counter "%", as_written keeps 七成), 5‰ -> 0.5 %, 一半 -> 50 %, 个百分点 ->
  counter 个百分点. Chinese decimals with 点 (三点五万 -> 35000) are read.
- Fractions: 三分之一 is proposed with counter "%" and value 100 * 1/3 rounded to
  15 significant digits, the most the store keeps exactly (33.3333333333333);
  terminating fractions are exact (四分之一 -> 25). ``as_written`` keeps the fraction.
- Multiples: N倍 as written (counter 倍); 翻一番 -> 2 倍, 翻两番 -> 4 倍 (the ratio to
  the starting level), kind change.
- Ranges (3至5个, 30%—50%, 3-5万人, 两三个): ONE proposal whose ``value`` is the
  low end and ``value_high`` the high end; ``value_high`` is empty for every
  other proposal. As one value a range is its low end, so its qualifier is
  ``at_least`` unless a word says otherwise (约有3至5个: about). A 千/万/亿 written
  only after the high end scales both ends (3至5万 -> 30000..50000). Adjacent
  Chinese digits (两三个, 七八成) are an approximate range with qualifier ``about``.

What is never proposed
----------------------
- Dates and periods: a number followed by 年 月 日 号 时 周 天 季度 月份 年度 个月
  工作日 ... (2019年8月, 今年6月以来, 6月份, 一季度, 近5年, 1至6月), and ISO-like
  dates and clock times (2019-08-01, 2019.8, 8:30). Exception: a length of time
  is a duration figure when followed by 半 or 时间 (3年半, 计划用5年时间), preceded
  by 用/用时/历时/耗时/连续 (用时3个多月 -> 3 个月, more_than), or reached by a
  change verb (时限压缩到3个工作日, 由20天缩短至8天 -> ``after``).
- Ordinals: 第 + numeral (第五轮, 第二届, 第九次, 中央第二十五指导组, 第1至3批).
- Names: a number inside short quotations (up to 15 characters between “”, 「」,
  『』, ‘’ or ASCII quotes: “8+4”, “四乱”, “四大战略支点”) or inside 《书名号》;
  N+M codes (8+4, 5+5+2); numbers glued to Latin letters (COVID-19, 5G);
  congresses and plenums (十九大, 二十大, 十九届, 四中全会).
- Words from ``data/number_words.csv`` (the extendable stop list: 进一步, 一把手,
  统一, 一体化, 最多跑一次...) and the set phrases of :data:`SET_PHRASES`
  (两不愁三保障, 三会一课, 三农, 长三角, 三大攻坚战, 八项规定, 两个维护...).
- A bare 一 with a counter (一批, 一项, 一个, 每到一省) unless a qualifier is
  attached (至少一项): "one" is nearly always a determiner in this genre.
  一倍, 一年半 and 一半 (50 %) are quantities and are proposed.
- 十/数十/几十/上百 style vague counts (数十个, 几十人).
- Rank cut-offs: a %/名/位 right after 倒排/排名/位列/居/进入 (倒排10%).
- Repeats: a count with the same value and counter as one proposed in an
  earlier sentence of the same body's section (for places: anywhere earlier in
  it) refers back to it and is not proposed again (四省 ... 与四省研究). A closure
  part is dropped only when the earlier one was a part too (剩余5条正在推进 ...
  对尚未完成的5条措施), so 问题15项 ... 15项问题已全部整改到位 keeps both. Changes,
  before/after, shares, amounts and durations are never dropped as repeats.

Roles (``role``) and kinds (``kind``)
------------------------------------
``role`` uses the curated vocabulary of ``figures.role``; ``kind`` is the guess
of the measure kind (count, share, amount, duration, change, closure), which is
where money (amount) and lengths of time (duration) show.

- change_pct: a % after a direction word in the same clause, signed: 减少/下降/
  降低/压减/缩减/降幅... -> negative, 增长/提高/增加/上升/提升/增幅... -> positive.
  The direction word carries over a 、 list (分别减少77.6%、31.8% -> both negative).
  change_pp: any 个百分点, signed the same way (positive without a word).
  The direction words are :data:`metrics.vocabulary.DOWN_WORDS` / ``UP_WORDS``, the
  same that the checks use to verify a change's sign.
- change_abs: a count, amount or other quantity (not %, 个百分点, 倍, a length of time)
  right after a direction word of two characters or more, with nothing but 了/约/earlier
  items of a 、 list between them, that closes its clause (同比减少9个 -> -9 个,
  较年初增加86.4亿元 -> +8640000000 元, 分别减少12件、8件). Not 提升599万农村人口...
  (the number does not close its clause), 压减会议120个 (会议 between) or 新增9个
  (增 alone). ``data/dictionary.csv`` does not list this role yet.
- before/after: a number right after 为/到/至 following a change verb (归并为76项,
  增加到25种, 降至5%) is ``after``; an earlier number with the same counter in
  the same clause (277项) is ``before``, and the after pairs with it.
- Closure parts: a number after 已办结/已整改/整改完成/已立行立改... (closed),
  基本完成 (partly_closed), 正在整改/取得阶段性成效... (in_progress), or followed
  by such a phrase that ends its clause (14项全部完成). Parts pair with the
  nearest earlier plain count in the same sentence, at most three clauses before
  them (870件具体问题，已办结621件), which becomes the ``total``. Two or more parts
  without a total pair with the first part; a single part without a total is a
  plain ``value`` (6月份已解决12.2万贫困人口).
- Everything else is ``value``. ``pairs_with`` is the ``id`` of the total (for
  parts) or of the before (for an after), else empty. ``id`` counts from 1.

Where a proposal stands
-----------------------
- ``start``/``end``: offsets in characters (code points) of ``as_written`` in
  ``text`` (``text[start:end] == as_written``). For a file, offsets count in the
  text as :func:`read_text` returns it (a UTF-8 BOM is removed).
- ``evidence``: the clause between the nearest ，。；：、！？ (or their ASCII forms,
  or a line break) before and after the number, without surrounding blanks; when
  that piece is nothing but the number (the 31.8% of 77.6%、31.8%), the clause is
  widened to the nearest punctuation other than 、. At most 200 characters on
  each side of the number are kept (text without punctuation). Always a
  substring of the text.
- ``body_zh``: the latest section heading before the number. A heading is a line
  that is exactly a known body name (``bodies``; by default ``data/bodies.csv``
  ``name_zh``), optionally after a list marker (一、 （二） 3.) or inside 【】; or a
  short line (at most 20 characters, no punctuation or digits) ending in
  党委/党组/市委/省委/区委/县委/州委/工委/指导组/督导组/巡视组/委员会/公司/集团/银行/
  政府/纪委/监委 that stands right under a title line (a short line without
  sentence punctuation). Empty before the first heading or without headings.

Speed and known gaps
--------------------
One ``finditer`` over the text with one pre-compiled pattern (punctuation, line
breaks, blocked names and numbers are its alternatives), context looked up in a
bounded window around each number: linear in the text, about 5-7 MB/s here on
report prose (``python -m metrics extract-bench``; the shared reader and the look for
Traditional characters cost about a fifth of what the scanner alone reached). Still wrong: bare numbers
without a counter (降至0.05以下 is missed), a total stated in an earlier
sentence than its parts, closure parts without a closure word (25家企业中已有19家
通过验收 stays two values), and restated totals in the same clause as a part
(63条措施已落实58条 drops the repeated 63条).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path

from metrics import paths
from metrics import vocabulary as words
from metrics.numbers import Reading, read_quantity
from metrics.textio import decode, simplified

__all__ = [
    "COLUMNS",
    "SET_PHRASES",
    "Proposal",
    "extract",
    "read_text",
    "to_frame",
    "to_records",
]

# --- vocabularies ---------------------------------------------------------------

#: Set phrases and names that contain a numeral but never a quantity, on top of
#: ``data/number_words.csv``. Matched as whole strings wherever they occur.
SET_PHRASES: tuple[str, ...] = (
    # slogans and political formulas
    "两不愁三保障",
    "三会一课",
    "两学一做",
    "三严三实",
    "四个意识",
    "四个自信",
    "四个全面",
    "两个维护",
    "两个确立",
    "两个务必",
    "三个务必",
    "三个代表",
    "两个责任",
    "两个一百年",
    "两个大局",
    "三个区分开来",
    "五位一体",
    "五大发展理念",
    "一岗双责",
    "三重一大",
    "一国两制",
    "一带一路",
    "三去一降一补",
    "六稳六保",
    "六稳",
    "六保",
    "四风",
    "四下基层",
    "两条腿走路",
    "两张皮",
    "两手发力",
    "两头",
    "三项制度改革",
    "三大攻坚战",
    "八项规定",
    "六项禁令",
    "三公经费",
    "三医联动",
    "三区三州",
    "十一五",
    "十二五",
    "十三五",
    "十四五",
    "十五五",
    # names
    "三农",
    "长三角",
    "珠三角",
    "清四乱",
    "四乱",
    "一网通办",
    "一网统管",
    "双一流",
    "一站式",
    "一门式",
    "一窗受理",
    "一件事",
    "一盘棋",
    "一刀切",
    "一成不变",
    "千方百计",
    "千家万户",
    "三番五次",
    "三令五申",
    "四面八方",
    "五湖四海",
    "七上八下",
    "一心一意",
    "十分",
    "万一",
)

_CN_DIGITS = "".join(words.DIGITS)
_CN_CHARS = words.NUMERAL_CHARS

# Counters after which a number is a date or a period (a duration only when
# followed by 半/时间 or preceded by 用/历时/连续...).
_PERIOD_COUNTERS = words.PERIOD_COUNTERS
_COUNT_COUNTERS = words.COUNT_COUNTERS
# Counters that are also the first character of common words get a lookahead.
_GUARDED_COUNTERS = tuple(
    rf"{re.escape(counter)}(?![{not_after}])" for counter, not_after in words.GUARDED_COUNTERS.items()
)
_PERIODS = frozenset(_PERIOD_COUNTERS)
_MONEY = words.MONEY_COUNTERS
_PLACES = words.PLACE_COUNTERS
_PP = words.PP_COUNTERS
# Counters of things that may be a closure total (12156件次 with 7461个).
_COUNT_FAMILY = frozenset({"个", "件", "件次", "项", "条", "起", "宗", "批", "处", "家", "户", "人次", "次"})
_BODY_SUFFIXES = (
    "党委",
    "党组",
    "市委",
    "省委",
    "区委",
    "县委",
    "州委",
    "盟委",
    "工委",
    "指导组",
    "督导组",
    "巡视组",
    "委员会",
    "公司",
    "集团",
    "银行",
    "政府",
    "纪委",
    "监委",
)
_LEADS = tuple(words.longest_first(words.LEADING_QUALIFIERS))
_TAILS = tuple(words.longest_first(words.TRAILING_QUALIFIERS))
# Characters before 约/近/超 that make them part of another word (节约, 最近, 赶超...).
_NOT_LEAD_AFTER = {"约": set("节制签预契公条合违履邀"), "近": set("最临附靠接亲贴逼"), "超": set("赶高")}

# --- the scanner ---------------------------------------------------------------

_AR = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9０-９]+)(?:[.．][0-9０-９]+)?"
# A Chinese numeral run; one starting with 百/千/万 (近千条, 逾万人) is kept only after a qualifier.
_CN = rf"(?:(?!千(?:[瓦米克帕]|公顷|克))(?!百分[点之])[{_CN_CHARS}])+(?:点[{_CN_DIGITS}]+)?"
_NUM = rf"(?:{_AR}|{_CN})"
_BIG = r"(?:千(?![瓦米克帕]|公顷))?[万亿]{0,2}"
_SEP = r"[至到~～—–\-－]"


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _trie(words) -> str:
    """A regex matching any of ``words``, longest first, branching once per character."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict) -> str:
        alts = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        group = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{group})?" if "" in node else group

    return walk(root)


_COUNTERS = _alternation(_PERIOD_COUNTERS + _COUNT_COUNTERS)
_COUNTERS_RE = "|".join([_COUNTERS, *_GUARDED_COUNTERS])
_SKIP = "|".join(
    [
        r"“[^“”\n]{1,15}”",
        r"「[^「」\n]{1,15}」",
        r"『[^『』\n]{1,15}』",
        r"‘[^‘’\n]{1,15}’",
        r'"[^"\n，。；：、！？ ]{1,15}"',
        r"《[^《》\n]{1,60}》",
        r"〈[^〈〉\n]{1,60}〉",
        rf"第{_NUM}(?:{_SEP}{_NUM})?",
        r"(?:十[一二三四五六七八九]|二十[一二三四五六七八九]?)(?:大|届)",
        r"[一二三四五六七八九]中全会",
        r"(?<![0-9])(?:19|20)[0-9]{2}[-/.．](?:1[0-2]|0?[1-9])(?:[-/.．](?:3[01]|[12][0-9]|0?[1-9]))?(?![0-9万亿%％])",
        r"[0-9]{1,2}[:：][0-5][0-9]",
        r"[0-9０-９]+(?:[+＋][0-9０-９]+)+",
        r"[A-Za-z]+-?[0-9]+[A-Za-z0-9]*",
    ]
)
_NUM_PATTERN = rf"""
(?<![0-9０-９A-Za-z.．])
(?P<lead>{_alternation(_LEADS)})?
(?:
    (?P<halfof>一半)
  | (?P<fan>翻了?[一二两三四1-4]番)
  | 百分之(?P<pw>百|{_AR}|{_CN})
  | (?P<fd>{_NUM})分之(?P<fn>{_NUM})
  | (?P<n1>{_NUM})(?P<m1>[多余])?(?P<b1>{_BIG})(?P<mb>[多余])?
    (?:(?P<c1>[%％])?(?P<sep>{_SEP})(?P<n2>{_NUM})(?P<m2>[多余])?(?P<b2>{_BIG}))?
)
(?P<counter>{_COUNTERS_RE})?
(?P<half>(?<=年)半)?
(?P<tail>{_alternation(_TAILS)})?
"""


@functools.cache
def _stop_words() -> tuple[str, ...]:
    """``data/number_words.csv`` words plus :data:`SET_PHRASES`."""
    stop = set(SET_PHRASES)
    path = paths.DATA_DIR / "number_words.csv"
    if path.is_file():
        with path.open(encoding="utf-8-sig", newline="") as f:
            stop.update(row["word"] for row in csv.DictReader(f) if row.get("word"))
    return tuple(sorted(stop))


@functools.cache
def _scanner() -> re.Pattern:
    stop = _stop_words()
    first = set('\r\n，。；：、！？,;:!?“「『‘"《〈第百翻0123456789０１２３４５６７８９' + _CN_CHARS)
    first |= {w[0] for w in stop} | {w[0] for w in _LEADS}
    first |= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    prefilter = "[" + "".join(re.escape(c) for c in sorted(first)) + "]"
    return re.compile(
        rf"(?={prefilter})(?:(?P<nl>\r?\n)|(?P<punct>[，。；：、！？,;:!?])"
        rf"|(?P<skip>{_SKIP}|{_trie(stop)})|(?P<num>{_NUM_PATTERN}))",
        re.VERBOSE,
    )


@functools.cache
def _default_bodies() -> frozenset[str]:
    path = paths.DATA_DIR / "bodies.csv"
    if not path.is_file():
        return frozenset()
    with path.open(encoding="utf-8-sig", newline="") as f:
        return frozenset(row["name_zh"] for row in csv.DictReader(f) if row.get("name_zh"))


# --- context rules ---------------------------------------------------------------

_DIRECTION_RE = re.compile(words.DIRECTION_PATTERN)
# A level reached: 归并为76项, 增加到25种, 下降0.8个百分点至66.2%, 压缩到3个工作日.
_AFTER_RE = re.compile(
    rf"(?:{words.DIRECTION_PATTERN}|{'|'.join(words.LEVEL_VERBS)})了?"
    r"(?:[0-9０-９.．]+(?:个百分点|百分点|%|％))?(?:到|至|为|成|在)了?$"
)
# What may stand between a direction word and its % (numbers of a 、 list, 了, 达...).
_GAP_NOISE_RE = re.compile(r"[0-9０-９.．%％、]+|了|达到|达|约|近|分别|为")
_PROGRESS = r"正在[\u4e00-\u9fff]{0,4}?(?:推进|整改|办理|落实|实施|处理|解决|化解|核查)|正在整改|正在推进|正在办理|正在落实|整改中|推进中|办理中|取得阶段性成效|取得阶段性进展|持续整改|尚未完成|未完成|尚未办结|未办结"
_PARTLY = "基本完成|基本办结|基本整改到位|基本整改|基本解决"
_CLOSED = (
    "已整改完成|已整改到位|已完成整改|已全部办结|已全部完成|已办结|已整改|已完成|已解决|已立行立改|已销号|"
    "已化解|已落实|督促整改|全部完成|全部办结|全部整改|完成整改|整改完成|整改到位|办结|销号|立行立改"
)
# A verb that is its clause's whole text before the number (排查问题4,862个，整改4,517个) is a
# closed part when a total precedes in the sentence (see _pair); 制定整改措施57条 is not one.
_BARE_CLOSED = frozenset({"整改", "解决", "化解", "办理答复", "答复", "办理", "已"})
_PART_BEFORE_RE = re.compile(
    rf"(?:(?P<in_progress>{_PROGRESS})|(?P<partly_closed>{_PARTLY})|(?P<closed>{_CLOSED}))[^0-9０-９]{{0,4}}$"
)
# After the number, the whole rest of the clause: 14项全部完成, 15项问题已全部整改到位.
_PART_AFTER_RE = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,4}?(?=[已均正尚]))?(?:已经|已|均已|均|全部|已全部)?"
    rf"(?:(?P<in_progress>{_PROGRESS})|(?P<partly_closed>{_PARTLY})|(?P<closed>{_CLOSED}))了?$"
)
_RANK_RE = re.compile(r"(?:倒排|排名|排位|位列|居|进入|跻身)(?:前|后|末)?$")
_AT_LEAST_RE = re.compile(rf"(?:{'|'.join(words.AT_LEAST_BEFORE)})[\u4e00-\u9fff]{{0,4}}$")
_ABOUT_RE = re.compile(r"(?:约|大约|近)有$")
_DURATION_BEFORE_RE = re.compile(r"(?:用|用时|历时|耗时|花费|花了|经过|连续)$")
_DURATION_AFTER_RE = re.compile(r"^(?:多|余)?(?:的)?时间")
_PEOPLE_AFTER_RE = re.compile(
    r"^[^，。；：、！？,;:!?\n]{0,6}?(?:人口|群众|居民|农民|人员|职工|干部|学生|患者)"
)
_CUT_RE = re.compile(r"[，。；：、！？,;:!?\n]")
# An earlier item of a list of figures: 分别减少12个、8件 (for 8件).
_LIST_ITEM_RE = re.compile(rf"{_NUM}[多余]?{_BIG}(?:{_COUNTERS_RE})?(?:{_alternation(_TAILS)})?、")
# Nothing but blanks before the clause's end (or an aside in brackets): 减少14户。 同比下降1.6克（
_CLAUSE_END_RE = re.compile(r"[ \t\u3000]*(?:[，。；：、！？,;:!?\r\n（(]|$)")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_VAGUE_BEFORE = set("数几上成好")
_SENTENCE_END = set("。；！？;!?")
_BLANKS = " \t\r\n\u3000\ufeff\xa0"
_LIST_MARKER_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十0-9]+[）)]|[0-9]+[、.．]|【)\s*"
)
_HEADING_NOISE_RE = re.compile(r"[，。；：、！？,;:!?“”《》（）()0-9０-９%％]")
# Bounds that keep one pass linear on text without punctuation: how far back the
# clause is searched for context words, how far evidence reaches on each side of
# the number, and how many earlier proposals pairing looks at.
_PREFIX_CHARS = 80
_EVIDENCE_CHARS = 200
_PAIR_SCAN = 20


@dataclass
class Proposal:
    """One proposed figure (see the module docstring for every column)."""

    id: int
    body_zh: str
    as_written: str
    value: Decimal
    value_high: Decimal | None
    counter: str
    qualifier: str
    role: str
    kind: str
    pairs_with: int | None
    evidence: str
    start: int
    end: int


#: Column order of :func:`to_frame` and of ``python -m metrics extract``.
COLUMNS = [f.name for f in fields(Proposal)]


@dataclass
class _Cand:
    body: str
    as_written: str
    value: Decimal
    value_high: Decimal | None
    counter: str
    qualifier: str
    role: str
    kind: str
    start: int
    end: int
    tight_start: int
    wide_start: int
    sentence: int
    clause: int
    tight_end: int = -1
    wide_end: int = -1
    pairs_with: int | None = None
    part: str = ""  # closure part word found (closed, partly_closed, in_progress)
    form: str = "number"  # as read_quantity says: number, tenths, half, fraction, multiple, doubling


# --- numbers ---------------------------------------------------------------------


def _read(written: str) -> Reading | None:
    """What :func:`metrics.numbers.read_quantity` reads in ``written``; None when it is no quantity."""
    try:
        return read_quantity(written)
    except ValueError:
        return None


# --- one candidate ---------------------------------------------------------------


def _trimmed(m: re.Match, text: str) -> tuple[int, int, str | None, str | None, str]:
    """(start, end, leading word, trailing word, counter) of a match, without what belongs to the
    words around it: 节约 is not 约, 多年 not 多, and 一半人 counts no 人."""
    start, end = m.span()
    lead = m["lead"]
    if lead and start > 0 and text[start - 1] in _NOT_LEAD_AFTER.get(lead, ()):
        start, lead = start + len(lead), None
    counter = m["counter"] or ""
    tail = m["tail"]
    if tail in ("多", "余") and counter and counter not in _PERIODS:
        nxt = text[end : end + 1]
        if nxt and _CJK_RE.match(nxt) and nxt not in "的时":
            end -= 1
            tail = None
    if m["counter"] and (m["halfof"] or m["pw"] or m["fn"]):
        # 一半人, 百分之三十人: a share of what follows, not a counter of the share
        end, counter, tail = m.start("counter"), "", None
    return start, end, lead, tail, counter


def _qualified(qualifier: str, has_high: bool, written: str | None, prefix: str) -> str:
    """A qualifier the number's own words do not give, from the words before it (至少…一项,
    约有3至5个); a range is at least its low end unless a word says otherwise."""
    if qualifier == "exact" or (has_high and not written):
        if _AT_LEAST_RE.search(prefix[-8:]):
            return "at_least"
        if _ABOUT_RE.search(prefix[-4:]):
            return "about"
    return qualifier


def _period_kind(m: re.Match, text: str, end: int, prefix: str) -> str | None:
    """A number counted in years, months, days …: a duration when something says it is one
    (3年半, 用时3个多月, 缩短至8天, 5年时间), else None (a date or a period)."""
    after = text[end : end + 4]
    level = _AFTER_RE.search(prefix[-24:]) is not None
    if m["half"] or level or _DURATION_AFTER_RE.match(after) or _DURATION_BEFORE_RE.search(prefix[-3:]):
        return "duration"
    return None


def _repeats(cand: _Cand, state: dict) -> bool:
    """A later mention of a count already proposed in this section refers back to it (四省 …
    与四省研究); a part repeats only an earlier part (剩余5条 … 尚未完成的5条)."""
    key = (state["section"], cand.value, cand.counter)
    earlier = state["seen"].get(key)
    repeated = earlier is not None and (earlier[0] != cand.sentence or cand.counter in _PLACES)
    if repeated and (not cand.part or earlier[1]):
        return True
    state["seen"].setdefault(key, (cand.sentence, bool(cand.part)))
    return False


def _candidate(m: re.Match, text: str, state: dict) -> _Cand | None:
    start, end, lead, tail, counter = _trimmed(m, text)
    scaled = False
    chinese_one = False
    n1 = m["n1"]
    if n1 is not None:
        if n1[0] in "百千万亿" and not lead:
            return None  # 百姓, 千瓦时, 万人: a lone 百/千/万 counts only after 近/约/逾... (近千条)
        if n1[0] == "十" and start > 0 and text[start - 1] in _VAGUE_BEFORE and not lead:
            return None  # 数十个, 几十人
        scaled = bool(m["b1"]) or bool(m["b2"]) or any(c in n1 for c in "万亿")
        if not counter and not scaled:
            return None  # a bare number: a code, a year, a hotline
    reading = _read(text[start:end])
    if reading is None and lead and tail:  # 约50%以上: the qualifier before the number wins
        end, tail = end - len(tail), None
        reading = _read(text[start:end])
    if reading is None:
        return None
    written_counter = counter  # as matched: it tells dates and periods
    value, value_high, counter, qualifier = reading.value, reading.high, reading.counter, reading.qualifier
    if n1 is not None:
        chinese_one = (
            n1 in ("一", "壹") and value_high is None and counter != "倍" and written_counter not in _PERIODS
        )

    prefix = text[max(state["wide_start"], start - _PREFIX_CHARS) : start]
    written_qualifier = lead or tail or m["m1"] or m["mb"] or m["m2"]
    qualifier = _qualified(qualifier, value_high is not None, written_qualifier, prefix)
    if chinese_one and qualifier == "exact":
        return None  # 一批, 一项, 每到一省
    kind = _period_kind(m, text, end, prefix) if written_counter in _PERIODS else "count"
    if kind is None:
        return None  # a date or a period
    if counter in ("%", "‰", "名", "位") and _RANK_RE.search(prefix[-5:]):
        return None  # 倒排10%, 排名前10名: a cut-off, not a result
    written = state["original"][start:end]
    if not counter and scaled:
        suffix = text[end : end + 8]
        counter = "人" if _PEOPLE_AFTER_RE.match(suffix) else ""

    cand = _Cand(
        body=state["body"],
        as_written=written,
        value=value,
        value_high=value_high,
        counter=counter,
        qualifier=qualifier,
        role="value",
        kind=kind,
        form=reading.form,
        start=start,
        end=end,
        tight_start=state["tight_start"],
        wide_start=state["wide_start"],
        sentence=state["sentence"],
        clause=state["clause"],
    )
    _guess_role(cand, text, prefix)
    if cand.kind == "count" and cand.role == "value" and _repeats(cand, state):
        return None
    return cand


def _guess_role(c: _Cand, text: str, prefix: str) -> None:
    if c.kind == "duration":
        if _AFTER_RE.search(prefix[-24:]):
            c.role = "after"
        return
    if c.counter in _MONEY:
        c.kind = "amount"
    after_level = _AFTER_RE.search(prefix[-24:]) is not None
    direction = None
    for d in _DIRECTION_RE.finditer(prefix):
        direction = d
    if direction is not None:
        gap = _GAP_NOISE_RE.sub("", prefix[direction.end() :])
        if len(gap) > 6:
            direction = None
    sign = -1 if direction is not None and words.direction_of(direction.group()) == "down" else 1
    if c.counter in _PP:
        c.role, c.kind = "change_pp", "change"
        c.value, c.value_high = _signed(c.value, sign), _signed(c.value_high, sign)
        return
    if after_level:
        c.role, c.kind = "after", "change"
        return
    if c.counter == "%":
        if direction is not None:
            c.role, c.kind = "change_pct", "change"
            c.value, c.value_high = _signed(c.value, sign), _signed(c.value_high, sign)
        else:
            c.kind = "share"
        return
    if c.counter == "倍" and (direction is not None or c.form == "doubling"):
        c.kind = "change"
        return
    if (
        direction is not None
        and len(direction.group()) > 1
        and not _gap_of_a_list(prefix[direction.end() :])
        and _CLAUSE_END_RE.match(text, c.end)
    ):
        # 同比减少9个, 较年初增加86.4亿元, 分别减少12件、8件: a change in the counter's own unit,
        # when the number closes its clause (not 提升599万农村人口供水保障水平).
        c.role, c.kind = "change_abs", "change"
        c.value, c.value_high = _signed(c.value, sign), _signed(c.value_high, sign)
        return
    if c.counter in _MONEY:
        return
    before = _PART_BEFORE_RE.search(prefix[-12:])
    if before is None:
        cut = _CUT_RE.search(text, c.end, c.end + 16)
        suffix = text[c.end : cut.start() if cut else c.end + 16]
        before = _PART_AFTER_RE.match(suffix.strip(_BLANKS))
    if before is not None:
        c.part = before.lastgroup or ""
    elif prefix.strip(_BLANKS).removeprefix("已") in _BARE_CLOSED:
        c.part = "closed"


def _gap_of_a_list(between: str) -> str:
    """What stands between a direction word and its number besides earlier items of a list
    (12个、), 了, 达, 约 ...: empty when the number is what the word changes."""
    return _GAP_NOISE_RE.sub("", _LIST_ITEM_RE.sub("", between))


def _signed(value: Decimal | None, sign: int) -> Decimal | None:
    if value is None or sign > 0:
        return value
    return -value


# --- structure: headings, clauses, pairs -------------------------------------------


def _heading(line: str, known: frozenset[str], under_title: bool) -> str | None:
    s = line.strip(_BLANKS)
    if not s or len(s) > 30:
        return None
    s = _LIST_MARKER_RE.sub("", s).rstrip("】]：:").strip(_BLANKS)
    if s in known:
        return s
    if (
        under_title
        and 2 < len(s) <= 20
        and not _HEADING_NOISE_RE.search(s)
        and s.endswith(_BODY_SUFFIXES)
        and " " not in s
    ):
        return s
    return None


def _is_title(line: str) -> bool:
    s = line.strip(_BLANKS)
    return 0 < len(s) <= 30 and not re.search(r"[，。；！？,;!?]", s)


def _pair(cands: list[_Cand]) -> None:
    """Closure groups (total + parts) and before/after pairs, within sentences."""
    i = 0
    n = len(cands)
    while i < n:
        c = cands[i]
        if c.role == "after":
            for j in range(i - 1, max(-1, i - _PAIR_SCAN), -1):
                b = cands[j]
                if b.sentence != c.sentence or b.clause != c.clause:
                    break
                if b.role == "value" and b.counter == c.counter and not b.part:
                    b.role, b.kind = "before", "change"
                    c.pairs_with = j
                    break
            i += 1
            continue
        if not c.part:
            i += 1
            continue
        run = [i]
        k = i + 1
        while k < n and cands[k].part and cands[k].sentence == c.sentence:
            run.append(k)
            k += 1
        total = None
        for j in range(i - 1, max(-1, i - _PAIR_SCAN), -1):
            t = cands[j]
            if t.sentence != c.sentence or t.clause < c.clause - 3:
                break
            if t.role in ("value", "total") and t.kind == "count" and not t.part:
                if t.counter == c.counter or (t.counter in _COUNT_FAMILY and c.counter in _COUNT_FAMILY):
                    total = j
                break
        if total is None:
            total = _earlier_total(cands, i, sum(cands[r].value for r in run))
        if total is not None or len(run) > 1:
            anchor = total if total is not None else run[0]
            if total is not None:
                cands[total].role = "total"
                cands[total].kind = "closure"
            for r in run:
                cands[r].role = cands[r].part
                cands[r].kind = "closure"
                if r != anchor:
                    cands[r].pairs_with = anchor
        i = k


def _earlier_total(cands: list[_Cand], i: int, parts: Decimal) -> int | None:
    """A total named in the sentence before its parts (发现问题93起，涉及…；已解决89起): the
    nearest count there in the same counter, if it is at least the ``parts`` together."""
    c = cands[i]
    for j in range(i - 1, max(-1, i - _PAIR_SCAN), -1):
        t = cands[j]
        if t.sentence < c.sentence - 1 or t.part:
            return None
        if t.sentence == c.sentence or t.counter != c.counter:
            continue
        return j if t.role == "value" and t.kind == "count" and t.value >= parts else None
    return None


def _evidence(c: _Cand, text: str) -> str:
    s, e = max(c.tight_start, c.start - _EVIDENCE_CHARS), min(c.tight_end, c.end + _EVIDENCE_CHARS)
    piece = text[s : c.start] + text[c.end : e]
    if not _CJK_RE.search(piece):
        s, e = max(c.wide_start, c.start - _EVIDENCE_CHARS), min(c.wide_end, c.end + _EVIDENCE_CHARS)
    while s < c.start and text[s] in _BLANKS:
        s += 1
    while e > c.end and text[e - 1] in _BLANKS:
        e -= 1
    return text[s:e]


# --- public API ----------------------------------------------------------------------


def extract(text: str, bodies: list[str] | None = None) -> list[Proposal]:
    """Proposed figures of ``text`` in text order (see the module docstring for the rules).

    ``bodies`` are body names recognised as section headings (default: ``name_zh``
    of ``data/bodies.csv``); headings that look like a body are recognised anyway.
    """
    if not isinstance(text, str):
        raise TypeError(f"extract expects str, got {type(text).__name__}")
    known = _default_bodies() if bodies is None else frozenset(bodies)
    original, text = text, simplified(text)  # matched in Simplified characters, quoted as given
    state = {
        "original": original,
        "body": "",
        "section": 0,
        "seen": {},
        "tight_start": 0,
        "wide_start": 0,
        "sentence": 0,
        "clause": 0,
    }
    cands: list[_Cand] = []
    pending_tight: list[_Cand] = []
    pending_wide: list[_Cand] = []
    line_start = 0
    prev_title = False
    for m in _scanner().finditer(text):
        group = m.lastgroup
        if group == "num":
            cand = _candidate(m, text, state)
            if cand is not None:
                cands.append(cand)
                pending_tight.append(cand)
                pending_wide.append(cand)
            continue
        if group == "skip":
            continue
        p, q = m.span()
        for c in pending_tight:
            c.tight_end = p
        pending_tight.clear()
        state["tight_start"] = q
        ch = text[p]
        if ch not in "、":
            for c in pending_wide:
                c.wide_end = p
            pending_wide.clear()
            state["wide_start"] = q
            state["clause"] += 1
        if group == "nl" or ch in _SENTENCE_END:
            state["sentence"] += 1
        if group == "nl":
            line = text[line_start:p]
            body = _heading(line, known, prev_title)
            if body is None and original is not text:
                body = _heading(original[line_start:p], known, prev_title)
            if body is not None:
                state["body"] = body
                state["section"] += 1
            if line.strip(_BLANKS):
                prev_title = body is None and _is_title(line)
            line_start = q
    for c in pending_tight:
        c.tight_end = len(text)
    for c in pending_wide:
        c.wide_end = len(text)
    _pair(cands)
    return [
        Proposal(
            id=i + 1,
            body_zh=c.body,
            as_written=c.as_written,
            value=c.value,
            value_high=c.value_high,
            counter=c.counter,
            qualifier=c.qualifier,
            role=c.role,
            kind=c.kind,
            pairs_with=None if c.pairs_with is None else c.pairs_with + 1,
            evidence=_evidence(c, original),
            start=c.start,
            end=c.end,
        )
        for i, c in enumerate(cands)
    ]


def read_text(path: str | Path) -> str:
    """The text of a file in UTF-8 (with or without BOM) or, failing that, GBK/GB18030.

    Raises ``OSError`` when the file cannot be read and ``ValueError`` when it is
    neither valid UTF-8 nor valid GB18030.
    """
    from metrics.tablefile import UnreadableFile, read_file

    try:
        return decode(read_file(path))
    except UnreadableFile as error:
        raise OSError(f"{path}: {error}") from error
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


def to_frame(proposals: list[Proposal]):
    """A pandas DataFrame with :data:`COLUMNS`; values stay exact ``Decimal`` objects."""
    import pandas as pd

    frame = pd.DataFrame([[getattr(p, name) for name in COLUMNS] for p in proposals], columns=COLUMNS)
    for name in ("id", "pairs_with", "start", "end"):
        frame[name] = frame[name].astype("Int64")
    for name in ("body_zh", "as_written", "counter", "qualifier", "role", "kind", "evidence"):
        frame[name] = frame[name].astype(object)
    return frame


def to_records(proposals: list[Proposal]) -> list[dict]:
    """Proposals as JSON-ready dicts (numbers as int or float; exact values are in CSV)."""

    def number(value: Decimal | None):
        if value is None:
            return None
        try:
            return int(value) if value == value.to_integral_value() else float(value)
        except (InvalidOperation, OverflowError):
            return str(value)

    return [
        {
            name: number(getattr(p, name)) if name in ("value", "value_high") else getattr(p, name)
            for name in COLUMNS
        }
        for p in proposals
    ]
