"""A report's proposed figures as rows of the import format (issue #12).

``import_rows(text, catalogue)`` turns what :func:`metrics.extract.extract` proposes into
rows that ``python -m metrics import`` accepts: each figure under a body (a known one, or a new
one described with a guessed kind and region), a theme and an indicator of the catalogue (the
nearest by label, kind and counter, or a new indicator that is a comparable group of its own),
a Chinese measure label, the source (title from the text's heading, as-of from the caller or
the text). Pure: no Streamlit, no writing; :func:`importable` checks the rows against a store
and leaves out, with the reason, the rows an import would refuse, so what it returns passes.

How a figure is labelled: its *subject* is the text of its clause before the number, after the
previous figure of the clause (累计排查问题1,205个、已整改1,187个 -> 排查问题, 整改), without
filler words (累计, 其中, 共 …); a figure under 分别 takes its item of the list (会议、文件分别
减少31.2%、27.5% -> 会议, 文件). The parts of a closure and a before/after pair take the label of
the figure they pair with, so they form one measure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from metrics import extract, ingest, validate
from metrics import vocabulary as words
from metrics.textio import simplified
from metrics.validate import Problem

#: Columns of the rows, in the import template's order.
COLUMNS = list(ingest.IMPORT_COLUMNS)
#: Where each row's figure is in the text (not import columns: for highlighting it).
SPANS = ["start", "end"]

_CLAUSE_END = set("，。；：！？,;:!?\n（）()")
_TIMES = (
    r"今年上半年|今年下半年|上半年|下半年|前三季度|[一二三四]季度|今年以来|近年来|近期|此前|截至目前|"
    r"今年|去年|全年|当年|本年度|年内|期间|以来"
)
_FILLER_START = re.compile(
    rf"^(?:[、，和及与并且]|其中|累计|共计|总计|合计|共|{_TIMES}|全省|全市|全区|全县|全系统|全行|"
    r"先后|已经|已|目前|当前|同比|环比|分别|并|还|又|约|近|达到|达)+"
)
_FILLER_END = re.compile(
    r"(?:达到|达|为|共|计|约|近|有|了|超过|逾|多|余|分别|同比|环比|累计|共计|是|由|从|的|至|到|"
    r"较(?:去年|上年|年初|上月|上季度)?同期|较(?:去年|上年|年初|上月|上季度)|比(?:去年|上年|年初))+$"
)
_DIRECTION_END = re.compile(rf"(?:{words.DIRECTION_PATTERN})+$")
# Words after which the rest of a long subject says what is counted (厅党组对照中央…督察反馈的
# 问题 -> 中央…督察反馈的问题 is still long; 对照 is where the frame ends).
_FRAME = re.compile(r"^.*(?:对照|针对|围绕|聚焦|通过|其中|累计|共计|共)")
_LONG = 12
_AFTER_NOUN = re.compile(
    r"([\u4e00-\u9fff]{1,10}?)(?=[已将被为是在由中的有均全都，。；：、！？（(0-9０-９]|$)|([\u4e00-\u9fff]{1,4})"
)
_NOT_WORD = re.compile(r"[^\u4e00-\u9fffA-Za-z]")
_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*年\s*(?:(?P<m>1[0-2]|0?[1-9])\s*月\s*(?:(?P<d>3[01]|[12]\d|0?[1-9])\s*日)?)?"
)
_AS_OF_WORDS = re.compile(r"(?:截至|截止|截止到|截至到)\s*$")
_HEAD_LINES = 5
_NOT_A_TITLE = re.compile(r"[>＞›»]|https?://|www\.|(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
UNSTATED = "（原文未注明）"

# A new body's kind from how its name ends (the first rule that matches), and how its short
# name is made: the name without these endings.
_KIND_RULES = (
    ("guidance_group", re.compile(r"(?:指导组|督导组|巡视组)$")),
    ("financial_institution", re.compile(r"(?:银行|保险|证券|信托|资产管理|金融)\S*(?:党委|党组)$")),
    ("central_enterprise", re.compile(r"(?:集团|公司|总公司|有限公司)\S*(?:党委|党组)?$")),
    ("province", re.compile(r"(?:省委|自治区党委|^(?:中共)?(?:北京|天津|上海|重庆)市委)$")),
    ("local", re.compile(r"(?:市委|县委|区委|州委|盟委|旗委|纪委监委|纪委|监委|工委)$")),
    ("central_department", re.compile(r"(?:部|局|委|署|办|院|会|总局|委员会|办公室)(?:党组|党委)$")),
)
_SHORT_ENDINGS = re.compile(r"(?:省委|自治区党委|市委|党组|党委)$")
_BODY_NAME = re.compile(
    r"(?:中共)?[\u4e00-\u9fff]{2,14}?(?:省委|自治区党委|市委|县委|区委|州委|纪委监委|党组|党委|指导组)"
)
_PARTY = re.compile(r"^(?:中共|中国共产党)")
# A body-like stretch that starts with a preposition or verb is not a name (按照市委…).
_NOT_A_NAME = re.compile(r"^(?:按照|根据|依据|经过|经|在|对|由|向|按|据|受|请|召开|接受|配合|会同|以)")


@dataclass
class Catalogue:
    """What the store knows: reference tables and its measures with their counter families."""

    bodies: pd.DataFrame  # body_id, name_zh, short_zh, name_en, short_en, body_kind, region
    themes: pd.DataFrame  # theme_id, name_zh
    indicators: pd.DataFrame  # indicator_id, name_zh, direction, family
    measures: pd.DataFrame  # measure_id, body_id, theme_id, indicator_id, kind, label_zh, counter_family
    counters: dict[str, str] = field(default_factory=dict)  # counter -> family
    body_kinds: list[str] = field(default_factory=list)  # every kind, in their order

    @classmethod
    def of(cls, con) -> Catalogue:
        """The catalogue of an open store (``Store.connect()``)."""
        measures = con.execute(
            """SELECT m.measure_id, m.body_id, m.theme_id, m.indicator_id, m.kind, m.label_zh,
                      any_value(coalesce(c.counter_family, f.counter)) AS counter_family
               FROM measures m JOIN figures f USING (measure_id)
               LEFT JOIN counters c ON c.counter = f.counter
               GROUP BY ALL"""
        ).df()
        return cls(
            bodies=con.execute("SELECT * FROM bodies").df().fillna(""),
            themes=con.execute("SELECT theme_id, name_zh FROM themes").df(),
            indicators=con.execute("SELECT indicator_id, name_zh, direction, family FROM indicators").df(),
            measures=measures.fillna(""),
            counters=dict(con.execute("SELECT counter, counter_family FROM counters").fetchall()),
            body_kinds=[
                k for (k,) in con.execute("SELECT body_kind FROM body_kinds ORDER BY sort_order").fetchall()
            ],
        )

    @property
    def labels(self) -> pd.DataFrame:
        """Each distinct label of a measure with its indicator, kind and counter family."""
        return self.measures.drop_duplicates(["label_zh", "indicator_id", "kind", "counter_family"])

    def family(self, counter: str) -> str:
        return self.counters.get(counter, counter)

    def theme_name(self, theme_id: str) -> str:
        return str(self.themes.set_index("theme_id").name_zh.get(theme_id, theme_id))

    def direction(self, indicator: str) -> str:
        """The direction of the catalogue indicator named (or with id) ``indicator``; 'none'
        for one the catalogue does not have."""
        known = self.indicators[
            (self.indicators.name_zh == indicator) | (self.indicators.indicator_id == indicator)
        ]
        return str(known.direction.iloc[0]) if len(known) else "none"


@dataclass(frozen=True)
class Left:
    """A proposal that is not in the rows, and why."""

    as_written: str
    body: str
    evidence: str
    reason: str
    start: int = -1
    end: int = -1


# --- similarity --------------------------------------------------------------------------------


def _grams(s: str) -> set[str]:
    s = _NOT_WORD.sub("", ingest.BRACKETED.sub("", s))
    return {s[i : i + 2] for i in range(len(s) - 1)} or set(s)


def similarity(subject: str, label: str) -> float:
    """How much ``label`` reads like ``subject``: the mean of the share of the subject's
    character pairs found in the label and their Dice coefficient (0..1)."""
    a, b = _grams(subject), _grams(label)
    if not a or not b:
        return 0.0
    common = len(a & b)
    return (common / len(a) + 2 * common / (len(a) + len(b))) / 2


# --- bodies ------------------------------------------------------------------------------------


def _names(bodies: pd.DataFrame) -> dict[str, str]:
    found = {}
    for column in ("name_zh", "short_zh", "body_id"):
        found.update({str(k): i for k, i in zip(bodies[column], bodies.body_id, strict=True) if k})
    return found


def without_party(name: str) -> str:
    """A body's name without 中共 / 中国共产党 before it."""
    return _PARTY.sub("", name)


def known_body(name: str, bodies: pd.DataFrame) -> str | None:
    """The id of the stored body ``name`` stands for (中共天津市委 and 天津市委 alike), or None."""
    names = _names(bodies)
    for candidate in (name, _PARTY.sub("", name), simplified(name), _PARTY.sub("", simplified(name))):
        if candidate in names:
            return names[candidate]
    return None


@dataclass(frozen=True)
class NewBody:
    """How a body the store does not know is described in the import rows."""

    short: str
    name_zh: str
    kind: str
    region: str


def guess_body(name: str, text: str, taken: set[str]) -> NewBody:
    """A new body's short name, kind and region, guessed from its name (and the text, for the
    province a city or county is in)."""
    name = simplified(name).strip()
    plain = _PARTY.sub("", name)
    kind = next((k for k, rule in _KIND_RULES if rule.search(plain)), "local")
    short = plain
    if kind in ("province", "central_department", "central_enterprise", "financial_institution"):
        short = _SHORT_ENDINGS.sub("", plain) or plain
    if short in taken:
        short = plain
    region = ""
    if kind == "province":
        region = re.sub(r"(?:省|自治区|市)$", "", short)
    elif kind == "local":
        place = re.sub(r"(?:市委|县委|区委|州委|盟委|旗委|纪委监委|纪委|监委|工委)$", "", plain)
        m = re.search(rf"([\u4e00-\u9fff]{{2,3}}?)(?:省|自治区){re.escape(place)}", simplified(text))
        region = m.group(1) if m else ""
    return NewBody(short=short, name_zh=name, kind=kind, region=region)


def single_body(text: str) -> str:
    """The body a report without section headings is by: the first body-like name in its first
    lines (the title, the first sentence), or ''."""
    head = simplified("\n".join(text.strip().splitlines()[:4]))[:400]
    for m in _BODY_NAME.finditer(head):
        if not _NOT_A_NAME.match(m.group(0)):
            return m.group(0)
    return ""


# --- source ------------------------------------------------------------------------------------


def title_of(text: str) -> str:
    """The report's heading: the first of its first lines that reads as a title (not a
    breadcrumb 网 > 频道 > 正文, an address, a dateline or a note in brackets), or ''."""
    lines = [s for line in text.splitlines() if (s := line.strip(" \t\r\u3000\ufeff"))]
    for s in lines[:_HEAD_LINES]:
        if _NOT_A_TITLE.search(s) or s.startswith(("（", "(", "【")):
            continue
        return s[:120] if not re.search(r"[，。；！？]", s) else ""
    return ""


def _iso(m: re.Match) -> str:
    parts = [m["y"]] + [f"{int(m[k]):02d}" for k in ("m", "d") if m[k]]
    return "-".join(parts)


def as_of_of(text: str) -> str:
    """The report's as-of date (YYYY, YYYY-MM or YYYY-MM-DD): the last date written after 截至,
    else the latest date in its first lines (a dateline, a meeting's date); '' otherwise. A year
    further in the text is often a baseline (较2016年减少…), never taken for the date."""
    s = simplified(text)
    stated = [m for m in _DATE.finditer(s) if _AS_OF_WORDS.search(s[max(0, m.start() - 5) : m.start()])]
    if stated:
        return _iso(stated[-1])
    head = "\n".join([line for line in s.splitlines() if line.strip()][:_HEAD_LINES])
    return max((_iso(m) for m in _DATE.finditer(head)), default="")


# --- labels ------------------------------------------------------------------------------------


def _clause_start(text: str, at: int) -> int:
    i = at
    while i > 0 and text[i - 1] not in _CLAUSE_END:
        i -= 1
    return i


def _clean(subject: str, change: bool = False) -> str:
    """What a subject says is counted: without numbers, filler and (for a change) the direction
    word; a long one from where its frame ends."""
    s = re.sub(r"[0-9０-９.,%％]+", "", subject).strip(" \t\u3000、，")
    if len(s) > _LONG:
        s = _FRAME.sub("", s) or s
    for _ in range(3):
        s = _FILLER_END.sub("", _FILLER_START.sub("", s))
        if change:
            s = _DIRECTION_END.sub("", s) or s
    return s


def subjects(text: str, proposals: list[extract.Proposal]) -> dict[int, str]:
    """Each proposal's subject (see the module docstring) by proposal id."""
    plain = simplified(text)
    found: dict[int, str] = {}
    previous_end, previous = 0, ""
    listed: list[str] = []
    for p in proposals:
        change = p.kind == "change"
        start = max(_clause_start(plain, p.start), previous_end)
        raw = plain[start : p.start]
        if "分别" in raw:
            items, _, verb = raw.partition("分别")
            listed = [i for i in re.split(r"[、和及与]", _clean(items, change)) if i]
            listed = [f"{i}{_clean(verb, change)}" if len(listed) == 1 else i for i in listed]
        elif _clean(raw, change):
            listed = []
        subject = listed.pop(0) if listed else _clean(raw, change)
        if not subject or (raw.endswith("的") and not listed):
            # 15项问题已全部整改到位, 全县12个乡镇: the noun after the number; 群众反映的900件
            # 具体问题: what 的 qualifies
            after = _AFTER_NOUN.match(plain, p.end + (plain[p.end : p.end + 1] == "的"))
            noun = (after.group(1) or after.group(2)) if after else ""
            subject = f"{subject}的{noun}" if subject and noun else subject or noun
        if len(subject) < 2 or _DIRECTION_END.fullmatch(subject):
            # 营业收入486.7亿元，同比增长11.3% -> the change of 营业收入
            sentence_start = max(plain.rfind(c, 0, p.start) for c in "。；！？\n")
            subject = previous if previous and previous_end > sentence_start else subject
        found[p.id] = subject
        previous_end, previous = p.end, subject or previous
    return found


# --- the mapping -------------------------------------------------------------------------------

#: The least similarity for a figure to join an indicator of the catalogue (else it is new).
INDICATOR_CUTOFF = 0.55
_FAMILY_OF_COUNTER = {"person": "people", "item": "problems", "%": "outcomes"}


def _nearest(measures: pd.DataFrame, cat: Catalogue, subject: str, kind: str, family: str):
    """(similarity, measure) of the measure of ``measures`` of this kind and counter family whose
    label or indicator name reads most like ``subject``; (0, None) when there is none."""
    same = measures[(measures.kind == kind) & (measures.counter_family == family)]
    names = dict(zip(cat.indicators.indicator_id, cat.indicators.name_zh, strict=True))
    best, row = 0.0, None
    for m in same.itertuples():
        score = max(similarity(subject, m.label_zh), similarity(subject, names[m.indicator_id]))
        if score > best:
            best, row = score, m
    return best, row


_NAME_PARTS = re.compile(r"[/／（）()、·]")


def _says_enough(subject: str, measure, cat: Catalogue) -> bool:
    """Whether ``subject`` is enough to join ``measure``'s indicator: three characters or more,
    or a shorter one that begins its label or a part of its indicator's name (处理 joins 问责/处理
    人数; 方面 does not join 调研方面)."""
    if len(subject) >= 3:
        return True
    name = cat.indicators.set_index("indicator_id").name_zh[measure.indicator_id]
    return any(part.startswith(subject) for part in [measure.label_zh, *_NAME_PARTS.split(name)])


def _theme(cat: Catalogue, evidence: str) -> str:
    """The theme of the stored measure whose label (or theme name) the evidence reads most like."""
    scored = [
        (similarity(label, evidence), t) for label, t in zip(cat.measures.label_zh, cat.measures.theme_id)
    ]
    scored += [(similarity(name, evidence), t) for name, t in zip(cat.themes.name_zh, cat.themes.theme_id)]
    return max(scored, default=(0, "campaign_general"))[1]


def _new_name(subject: str, counter: str, taken: dict, catalogue: Catalogue) -> str:
    """A new indicator's name: the subject, or with its counter when an indicator of that name
    counts something else (追缴资金 in 元 and 追缴资金（件）)."""
    names = set(taken.values()) | set(catalogue.indicators.name_zh)
    if subject not in names:
        return subject
    for name in (f"{subject}（{counter}）", *(f"{subject}（{counter}{n}）" for n in range(2, 99))):
        if name not in names:
            return name
    return subject


def _source(text: str, as_of: str, source: dict[str, str] | None) -> dict[str, str]:
    """The source columns: as given, else the text's title, not stated, the as-of date."""
    given = dict(source or {})
    return {
        "source_title": given.get("source_title") or title_of(text),
        "source_publisher": given.get("source_publisher") or UNSTATED,
        "source_published": given.get("source_published") or as_of,
        "source_reference": given.get("source_reference") or UNSTATED,
    }


class _Mapper:
    """What one report's proposals become: each one's body (known, or new and described), and
    its theme, indicator and measure label (see the module docstring)."""

    def __init__(self, text: str, catalogue: Catalogue):
        self.text, self.cat = text, catalogue
        self.taken = set(_names(catalogue.bodies))
        self.new_bodies: dict[str, NewBody] = {}
        self.new_indicators: dict[tuple[str, str, str], str] = {}
        self.used: dict[tuple, int] = {}

    def body(self, name: str) -> tuple[str, str | None, dict[str, str]]:
        """(the body as the import names it, its id if stored, the columns describing a new one)."""
        described = dict.fromkeys(ingest.DESCRIBING["body"], "")
        body_id = known_body(name, self.cat.bodies)
        if body_id is not None:
            short = self.cat.bodies.loc[self.cat.bodies.body_id == body_id, "short_zh"].iloc[0]
            return str(short or body_id), body_id, described
        new = self.new_bodies.setdefault(name, guess_body(name, self.text, self.taken))
        self.taken.add(new.short)
        described.update(body_kind=new.kind, body_name_zh=new.name_zh, body_region=new.region)
        return new.short, None, described

    def place(self, subject: str, kind: str, family: str, body_id: str | None, evidence: str):
        """(subject, theme, matched measure or None): a body's own measure first (a later
        report of it lands on the same measure), then the indicator of any body's measure."""
        measures = self.cat.measures
        own = measures[measures.body_id == body_id] if body_id else measures.iloc[:0]
        score, nearest = _nearest(own, self.cat, subject, kind, family)
        if nearest is not None and score >= INDICATOR_CUTOFF:
            return nearest.label_zh, self.cat.theme_name(nearest.theme_id), nearest
        score, nearest = _nearest(self.cat.labels, self.cat, subject, kind, family)
        theme = self.cat.theme_name(_theme(self.cat, evidence))
        joins = nearest is not None and score >= INDICATOR_CUTOFF and _says_enough(subject, nearest, self.cat)
        return subject, theme, nearest if joins else None

    def indicator(self, subject: str, kind: str, family: str, counter: str, matched) -> tuple[str, str, dict]:
        """(indicator name, the measure's direction, the columns describing a new indicator)."""
        if matched is not None:
            known = self.cat.indicators.set_index("indicator_id").loc[matched.indicator_id]
            return known.name_zh, known.direction, {}
        name = self.new_indicators.setdefault(
            (subject, kind, family), _new_name(subject, counter, self.new_indicators, self.cat)
        )
        described = {
            "indicator_family": _FAMILY_OF_COUNTER.get(family, "other"),
            "indicator_direction": "none",
            "indicator_definition_zh": f"报告中“{name}”的数字；由报告提取提出，口径待核定。",
        }
        return name, "none", described

    def label(self, key: tuple, subject: str) -> str:
        """The measure's label: the subject, numbered when the same measure would get a second
        figure of one role (two 处理 figures in one section)."""
        self.used[key] = self.used.get(key, 0) + 1
        return subject if self.used[key] == 1 else f"{subject}（{self.used[key]}）"


def _kind(p: extract.Proposal) -> str:
    if p.role in validate.ROLES_BY_KIND["change"]:
        return "change"
    return "count" if p.kind == "change" else p.kind  # a multiple (翻了一番, 1.5倍) counts times


def import_rows(
    text: str,
    catalogue: Catalogue,
    as_of: str = "",
    source: dict[str, str] | None = None,
    body: str = "",
) -> tuple[pd.DataFrame, list[Left]]:
    """The proposals of ``text`` as import rows (columns ``COLUMNS``), and those left out.
    ``body``: the body of the figures before any section heading (default: the body the title
    or first sentence names)."""
    as_of = as_of or as_of_of(text)
    source = _source(text, as_of, source)
    known = [str(n) for n in catalogue.bodies.name_zh] + [str(n) for n in catalogue.bodies.short_zh]
    proposals = extract.extract(text, bodies=known)
    label = subjects(text, proposals)
    by_id = {p.id: p for p in proposals}
    fallback_body = body or single_body(text)
    mapper = _Mapper(text, catalogue)
    rows, left = [], []
    for p in proposals:
        name = p.body_zh or fallback_body
        why = "" if name else "no body: the text names none before it"
        why = why or ("" if as_of else "no as-of date in the text: give --as-of")
        anchor = by_id[p.pairs_with or p.id]  # the parts of a closure, a before/after pair
        kind, family = _kind(p), catalogue.family(anchor.counter)
        if not why:
            body_name, body_id, described = mapper.body(name)
            subject, theme, matched = mapper.place(
                label[anchor.id] or label[p.id], kind, family, body_id, anchor.evidence
            )
            why = "" if subject or matched else "no label: nothing before the number says what it counts"
        if why:
            left.append(Left(p.as_written, name, p.evidence, why, p.start, p.end))
            continue
        indicator, direction, about = mapper.indicator(subject, kind, family, anchor.counter, matched)
        row = dict.fromkeys(COLUMNS, "") | described | about
        row.update(
            body=body_name,
            theme=theme,
            indicator=indicator,
            measure_kind=kind,
            label_zh=mapper.label((body_name, theme, indicator, subject, p.role), subject),
            direction=direction,
            role=p.role,
            value=str(p.value),
            counter=p.counter,
            qualifier=p.qualifier,
            as_written=p.as_written,
            as_of=as_of,
            evidence=p.evidence,
            start=p.start,
            end=p.end,
            **source,
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS + SPANS), left


def importable(
    rows: pd.DataFrame,
    check: Callable[[bytes, str], list[Problem]],
    file_name: str = "proposals.csv",
    rounds: int = 5,
) -> tuple[pd.DataFrame, list[tuple[dict, str]]]:
    """``rows`` without those an import would refuse, and each refused row with its reasons.
    ``check(data, file_name)`` returns the problems of an import of ``data`` (the import
    columns of ``rows``)."""
    refused: list[tuple[dict, str]] = []
    for _ in range(rounds):
        if rows.empty:
            break
        data = csv_bytes(rows)
        problems = check(data, file_name)
        if not problems:
            break
        by_line: dict[int, list[str]] = {}
        for p in problems:
            by_line.setdefault(int(p.row or 0), []).append(
                f"{p.column}: {p.reason}" if p.column else p.reason
            )
        if set(by_line) <= {0, 1}:  # the file as a whole: nothing to leave out row by row
            refused += [
                (r, "; ".join(by_line.get(0, []) + by_line.get(1, []))) for r in rows.to_dict("records")
            ]
            return rows.iloc[0:0], refused
        bad = [line - 2 for line in by_line if line >= 2]
        for line in bad:
            refused.append((rows.iloc[line].to_dict(), "; ".join(by_line[line + 2])))
        rows = rows.drop(rows.index[bad]).reset_index(drop=True)
    return rows, refused


def csv_bytes(rows: pd.DataFrame) -> bytes:
    """The import file of ``rows`` (their import columns)."""
    from metrics import export

    return export.csv_bytes(rows[[c for c in rows.columns if c in ingest.IMPORT_COLUMNS]], bom=False)


@dataclass
class Proposed:
    """What :func:`propose` makes of a report: the import rows that pass (with ``SPANS``), and
    the proposals left out (as_written, body, evidence, reason, start, end)."""

    rows: pd.DataFrame
    left: pd.DataFrame

    def lines(self) -> list[str]:
        """One line per proposal left out: what, where and why."""
        return [
            f"{r.as_written}{f' [{r.body}]' if r.body else ''}: {r.reason} — {r.evidence}"
            for r in self.left.itertuples()
        ]


def propose(
    text: str, store, as_of: str = "", source: dict[str, str] | None = None, body: str = ""
) -> Proposed:
    """The import rows of ``text`` that an import into ``store`` (``metrics.store.Store``, its
    published build) accepts with ``text`` kept as the report, and the proposals left out."""
    with store.connect() as con:
        catalogue = Catalogue.of(con)
    rows, left = import_rows(text, catalogue, as_of, source, body)
    rows, refused = importable(rows, lambda data, name: store.check(data, name, text).problems)
    out = [(i.as_written, i.body, i.evidence, i.reason, i.start, i.end) for i in left]
    out += [(r["as_written"], r["body"], r["evidence"], why, r["start"], r["end"]) for r, why in refused]
    columns = ["as_written", "body", "evidence", "reason", "start", "end"]
    return Proposed(rows, pd.DataFrame(out, columns=columns).sort_values("start", kind="stable"))


# --- the review: figures, and the bodies, themes and indicators they add, as separate tables ---

#: What staff review per figure.
REVIEW = [
    "body",
    "theme",
    "indicator",
    "measure_kind",
    "label_zh",
    "role",
    "value",
    "counter",
    "qualifier",
    "as_written",
    "evidence",
]
#: What describes a new body (theme, indicator), one row each, keyed by its first column.
NEW = {
    "body": ["body", "body_name_zh", "body_kind", "body_region", "body_name_en", "body_short_en"],
    "theme": ["theme", "theme_name_en"],
    "indicator": ["indicator", *ingest.DESCRIBING["indicator"]],
}


def review_tables(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """``rows`` as the review table (``REVIEW`` and ``SPANS``) and one table per kind of thing
    they add (``NEW``): a new body is described once, not on each of its figures."""
    described = {
        "body": rows.body_kind != "",
        "theme": rows.theme_name_en != "",
        "indicator": rows.indicator_family != "",
    }
    new = {
        what: rows.loc[described[what], columns].drop_duplicates(what).reset_index(drop=True)
        for what, columns in NEW.items()
    }
    return rows[REVIEW + SPANS].reset_index(drop=True), new


def from_review(
    review: pd.DataFrame,
    new: dict[str, pd.DataFrame],
    catalogue: Catalogue,
    as_of: str,
    source: dict[str, str],
) -> pd.DataFrame:
    """Import rows (``COLUMNS``) from the reviewed tables: every figure whose body (theme,
    indicator) is one of ``new`` carries its description; a measure's direction is its
    indicator's (a new indicator's own, 'none' if it has none)."""
    tables = {what: frame.fillna("").astype(str) for what, frame in new.items()}
    described = {
        what: {r[what]: r for r in frame.to_dict("records") if r[what]} for what, frame in tables.items()
    }
    rows = []
    for figure in review.fillna("").astype(str).to_dict("records"):
        row = dict.fromkeys(COLUMNS, "")
        row.update({c: figure.get(c, "") for c in REVIEW})
        for what in NEW:
            row.update(described[what].get(row[what], {}))
        new_indicator = described["indicator"].get(row["indicator"])
        row["direction"] = (
            (new_indicator["indicator_direction"] or "none")
            if new_indicator
            else catalogue.direction(row["indicator"])
        )
        row.update(as_of=as_of, **source)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
