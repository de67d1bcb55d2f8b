"""Tests for metrics.numbers: hand-written tables plus hypothesis round trips."""

import dataclasses
import doctest
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from metrics import numbers
from metrics.numbers import (
    QUALIFIER_LABELS,
    QUALIFIER_WORDS,
    Quantity,
    format_number,
    format_percent,
    parse_number,
    parse_quantity,
    read_quantity,
)
from metrics.textio import simplified

D = Decimal

# --- parse_number -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Arabic digits
        ("0", "0"),
        ("166", "166"),
        ("77.6", "77.6"),
        ("7461", "7461"),
        ("12156", "12156"),
        ("1,234,567", "1234567"),
        ("1，234", "1234"),
        ("1,234.5", "1234.5"),
        (" 42 ", "42"),
        ("-77.6", "-77.6"),
        # full-width
        ("１６６", "166"),
        ("７７．６", "77.6"),
        ("１，０００", "1000"),
        # Chinese numerals
        ("零", "0"),
        ("〇", "0"),
        ("一", "1"),
        ("两", "2"),
        ("十", "10"),
        ("十二", "12"),
        ("二十", "20"),
        ("二十三", "23"),
        ("二十五", "25"),
        ("一百", "100"),
        ("一百零五", "105"),
        ("一百一十", "110"),
        ("三千五百", "3500"),
        ("一千零五十", "1050"),
        ("两千", "2000"),
        ("一万", "10000"),
        ("十万", "100000"),
        ("一万零五", "10005"),
        ("十万零五百", "100500"),
        ("三亿五千万", "350000000"),
        ("一万亿", "1000000000000"),
        ("二〇二三", "2023"),
        ("三万五", "35000"),
        ("两千五", "2500"),
        ("一百五", "150"),
        # mixed
        ("1.33万", "13300"),
        ("12.2万", "122000"),
        ("599万", "5990000"),
        ("1000亿", "100000000000"),
        ("1,000亿", "100000000000"),
        ("3万5千", "35000"),
        ("3亿2000万", "320000000"),
        ("1.2万亿", "1200000000000"),
        ("5千", "5000"),
        ("0.5万", "5000"),
        ("１．３３万", "13300"),
    ],
)
def test_parse_number(text, expected):
    result = parse_number(text)
    assert result == D(expected)
    assert str(result) == expected  # canonical: no exponent, no trailing zeros


def test_parse_number_is_exact_not_float():
    assert str(parse_number("1.33万")) == "13300"
    assert parse_number("0.1万") + parse_number("0.2万") == D(3000)
    assert parse_number("1234567890123456789.123456789") == D("1234567890123456789.123456789")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "%",
        "万",
        "亿",
        "十百",  # units out of order
        "一亿亿",
        "一万万",
        "三四",  # "three or four", not 34
        "两三",
        "1,00",  # bad thousands grouping
        "1,0000",
        "1.",
        ".5",
        "1.2.3",
        "3至5",
        "3年半",  # only parse_quantity knows 半
        "77.6%",
        "12三",
        "3万5",  # ambiguous
        "-",
    ],
)
def test_parse_number_rejects(text):
    with pytest.raises(ValueError, match="not a number"):
        parse_number(text)


def test_parse_number_rejects_non_str():
    with pytest.raises(TypeError):
        parse_number(12)


# --- parse_quantity ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "counter", "qualifier"),
    [
        ("166起", "166", "起", "exact"),
        ("77.6%", "77.6", "%", "exact"),
        ("77.6％", "77.6", "%", "exact"),
        ("1.33万件", "13300", "件", "exact"),
        ("12.2万", "122000", "", "exact"),
        ("599万", "5990000", "", "exact"),
        ("1000亿元", "100000000000", "元", "exact"),
        ("3000多个", "3000", "个", "more_than"),
        ("1900多人次", "1900", "人次", "more_than"),
        ("一百余", "100", "", "more_than"),
        ("逾90%", "90", "%", "more_than"),
        ("超过40%", "40", "%", "more_than"),
        ("2个百分点", "2", "个百分点", "exact"),
        ("3年半", "3.5", "年", "exact"),
        ("四项", "4", "项", "exact"),
        ("两个方面", "2", "个方面", "exact"),
        ("七大", "7", "大", "exact"),
        ("二十五", "25", "", "exact"),
        ("7461个", "7461", "个", "exact"),
        ("12156件次", "12156", "件次", "exact"),
        ("近3000人", "3000", "人", "about"),
        ("约50%", "50", "%", "about"),
        ("50%左右", "50", "%", "about"),
        ("至少3家", "3", "家", "at_least"),
        ("不到10种", "10", "种", "less_than"),
        ("1000人以上", "1000", "人", "more_than"),
        ("十多条", "10", "条", "more_than"),
        ("3000多万人", "30000000", "人", "more_than"),
        ("1万多", "10000", "", "more_than"),
        ("3年多", "3", "年", "more_than"),
        ("两个半月", "2.5", "个月", "exact"),
        ("百分之七十", "70", "%", "exact"),
        ("500万千瓦", "5000000", "千瓦", "exact"),
        ("1,234元", "1234", "元", "exact"),
        ("-1.5个百分点", "-1.5", "个百分点", "exact"),
        (" 166 起 ", "166", "起", "exact"),
        # one value of a range: its low end, at least
        ("3至5个", "3", "个", "at_least"),
        ("三至五个", "3", "个", "at_least"),
        ("3-5个", "3", "个", "at_least"),
        ("3~5%", "3", "%", "at_least"),
        ("约3至5个", "3", "个", "about"),
        # shares are percentages however written
        ("八成", "80", "%", "exact"),
        ("四分之一", "25", "%", "exact"),
        # counters
        ("5块", "5", "块", "exact"),
        ("12家", "12", "家", "exact"),
        ("30户", "30", "户", "exact"),
        ("6宗", "6", "宗", "exact"),
        ("3座", "3", "座", "exact"),
        ("5处", "5", "处", "exact"),
        ("2所", "2", "所", "exact"),
        ("4辆", "4", "辆", "exact"),
        ("9次", "9", "次", "exact"),
        ("104974.4万元", "1049744000", "元", "exact"),
    ],
)
def test_parse_quantity(text, value, counter, qualifier):
    q = parse_quantity(text)
    assert q == Quantity(D(value), counter, qualifier, text.strip())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "起",
        "个百分点",
        "多",
        "约",
        "超过",
        "百分之",
        "5至3个",  # a range's ends out of order
        "3至个",  # a range without its high end
        "30%—50人",  # a range whose ends count different things
        "两三至五个",
        "3个5",  # two numbers
        "1.",
        "1,00",
        "约50%以上",  # conflicting qualifiers
        "3.5年半",
    ],
)
def test_parse_quantity_rejects(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


# --- read_quantity: the reader shared by extract, import and validation -------

# text, value, high, counter, qualifier, form, direction ("" none), average
READINGS = [
    # ranges: value is the low end, high the high end; one value of a range is "at least"
    ("2至4个", "2", "4", "个", "at_least", "number", "", False),
    ("3到5项", "3", "5", "项", "at_least", "number", "", False),
    ("2-4个", "2", "4", "个", "at_least", "number", "", False),
    ("2～4个", "2", "4", "个", "at_least", "number", "", False),
    ("二至三期", "2", "3", "期", "at_least", "number", "", False),
    ("30%—50%", "30", "50", "%", "at_least", "number", "", False),
    ("3至5万人次", "30000", "50000", "人次", "at_least", "number", "", False),
    ("3万至5万人次", "30000", "50000", "人次", "at_least", "number", "", False),
    ("8000至1万元", "8000", "10000", "元", "at_least", "number", "", False),
    ("约3至5个", "3", "5", "个", "about", "number", "", False),
    ("两三个", "2", "3", "个", "about", "number", "", False),
    ("七八成", "70", "80", "%", "about", "tenths", "", False),
    # tenths, halves, fractions: counter %
    ("八成", "80", None, "%", "exact", "tenths", "", False),
    ("八成以上", "80", None, "%", "more_than", "tenths", "", False),
    ("不到八成", "80", None, "%", "less_than", "tenths", "", False),
    ("近两成", "20", None, "%", "about", "tenths", "", False),
    ("一半", "50", None, "%", "exact", "half", "", False),
    ("一半以上", "50", None, "%", "more_than", "half", "", False),
    ("四分之一", "25", None, "%", "exact", "fraction", "", False),
    ("八分之三", "37.5", None, "%", "exact", "fraction", "", False),
    ("三分之一", "33.3333333333333", None, "%", "exact", "fraction", "", False),
    ("三分之二以上", "66.6666666666667", None, "%", "more_than", "fraction", "", False),
    ("约三分之一", "33.3333333333333", None, "%", "about", "fraction", "", False),
    ("百分之九十五点五", "95.5", None, "%", "exact", "number", "", False),
    # multiples
    ("3倍", "3", None, "倍", "exact", "multiple", "", False),
    ("1.5倍", "1.5", None, "倍", "exact", "multiple", "", False),
    ("翻一番", "2", None, "倍", "exact", "doubling", "", False),
    ("翻了两番", "4", None, "倍", "exact", "doubling", "", False),
    ("翻一番多", "2", None, "倍", "more_than", "doubling", "", False),
    # signed changes
    ("同比减少9个", "-9", None, "个", "exact", "number", "down", False),
    ("减少9个", "-9", None, "个", "exact", "number", "down", False),
    ("压缩了3项", "-3", None, "项", "exact", "number", "down", False),
    ("环比增加3.5%", "3.5", None, "%", "exact", "number", "up", False),
    ("同比增长1.2万件", "12000", None, "件", "exact", "number", "up", False),
    ("减少近两成", "-20", None, "%", "about", "tenths", "down", False),
    ("同比下降三分之一", "-33.3333333333333", None, "%", "exact", "fraction", "down", False),
    ("下降2至3个百分点", "-2", "-3", "个百分点", "at_least", "number", "down", False),
    # qualifiers and averages
    ("不到10起", "10", None, "起", "less_than", "number", "", False),
    ("不超过5%", "5", None, "%", "less_than", "number", "", False),
    ("1000人以上", "1000", None, "人", "more_than", "number", "", False),
    ("一百余人", "100", None, "人", "more_than", "number", "", False),
    ("3000多万元", "30000000", None, "元", "more_than", "number", "", False),
    ("3个多月", "3", None, "个月", "more_than", "number", "", False),
    ("平均3天", "3", None, "天", "exact", "number", "", True),
    ("人均约2.5万元", "25000", None, "元", "about", "number", "", True),
    ("平均办结率超过90%", None, None, None, None, None, None, None),  # not a quantity
    # Arabic-Chinese mixes and Chinese decimals
    ("104974.4万", "1049744000", None, "", "exact", "number", "", False),
    ("1.33万件", "13300", None, "件", "exact", "number", "", False),
    ("三点五万人", "35000", None, "人", "exact", "number", "", False),
    # Traditional characters: read as Simplified, counter Simplified
    ("1.33萬件", "13300", None, "件", "exact", "number", "", False),
    ("3000多個", "3000", None, "个", "more_than", "number", "", False),
    ("兩千五百億元", "250000000000", None, "元", "exact", "number", "", False),
    ("逾九成", "90", None, "%", "more_than", "tenths", "", False),
    ("同比減少9個", "-9", None, "个", "exact", "number", "down", False),
]


@pytest.mark.parametrize(
    ("text", "value", "high", "counter", "qualifier", "form", "direction", "average"),
    READINGS,
    ids=[r[0] for r in READINGS],
)
def test_read_quantity(text, value, high, counter, qualifier, form, direction, average):
    if value is None:
        with pytest.raises(ValueError):
            read_quantity(text)
        return
    r = read_quantity(text)
    assert (str(r.value), None if r.high is None else str(r.high)) == (value, high)
    assert (r.counter, r.qualifier, r.form, r.direction, r.average) == (
        counter,
        qualifier,
        form,
        direction,
        average,
    )
    assert r.as_written == text  # as given, Traditional characters included


@pytest.mark.parametrize(
    "text",
    [
        "5至3个",  # ends out of order
        "3至3个",
        "3至个",
        "30%—50人",
        "2至3年半",
        "约50%以上",
        "减少-5个",  # a sign and a direction word
        "三分之",
        "零分之一",
        "分之一",
        "翻番",
        "一半人",
        "降至5%",  # a level reached, not a quantity
        "点五",
        "3点5",
    ],
)
def test_read_quantity_rejects(text):
    with pytest.raises(ValueError):
        read_quantity(text)


def test_a_range_as_one_value_is_its_low_end_at_least():
    assert parse_quantity("2至4个") == Quantity(D(2), "个", "at_least", "2至4个")
    assert parse_quantity("两三个") == Quantity(D(2), "个", "about", "两三个")
    assert read_quantity("166起").high is None


def test_one_value_reads_what_the_reader_reads():
    for text, value, *_ in READINGS:
        if value is not None:
            r, q = read_quantity(text), parse_quantity(text)
            assert (q.value, q.counter, q.qualifier, q.as_written) == (
                r.value,
                r.counter,
                r.qualifier,
                r.as_written,
            )


def test_fraction_digits_are_those_the_store_keeps():
    from metrics.validate import DOUBLE_DIGITS, unstorable

    assert numbers.FRACTION_DIGITS == DOUBLE_DIGITS
    for text in ("三分之一", "七分之二", "九分之八以上"):
        value = read_quantity(text).value
        assert unstorable(value, str(value)) == [], text


@given(
    low=st.integers(min_value=0, max_value=10**6),
    width=st.integers(min_value=1, max_value=10**6),
    sep=st.sampled_from(list("至到-~～—")),
    counter=st.sampled_from(["个", "项", "人次", "元", "%", "家"]),
)
def test_any_range_keeps_both_ends(low, width, sep, counter):
    r = read_quantity(f"{low}{sep}{low + width}{counter}")
    assert (r.value, r.high, r.counter, r.qualifier) == (low, low + width, counter, "at_least")


@given(
    value=st.integers(min_value=1, max_value=10**9),
    word=st.sampled_from(["减少", "下降", "压减", "压缩", "削减", "缩减", "增加", "增长", "提高", "扩大"]),
    comparison=st.sampled_from(["", "同比", "环比"]),
)
def test_a_direction_word_signs_the_value(value, word, comparison):
    r = read_quantity(f"{comparison}{word}{value}件")
    down = word in ("减少", "下降", "压减", "压缩", "削减", "缩减")
    assert r.value == (-value if down else value)
    assert r.direction == ("down" if down else "up")


@pytest.mark.parametrize(
    ("traditional", "simple"),
    [
        ("處理問責1.33萬件", "处理问责1.33万件"),
        ("天津市委查處問題80起，處理101人。", "天津市委查处问题80起，处理101人。"),
        ("貸款餘額增加86.4億元", "贷款余额增加86.4亿元"),
        ("一目瞭然", "一目了然"),  # a phrase: 瞭 alone stays
    ],
)
def test_simplified_converts_one_character_for_one(traditional, simple):
    assert simplified(traditional) == simple
    assert len(simplified(traditional)) == len(traditional)


def test_simplified_leaves_simplified_text_as_it_is():
    text = "目前群众反映的870件具体问题，已办结621件；显著。"
    assert simplified(text) is text  # nothing to convert: not even copied
    assert simplified("乾隆年间，乾坤") == "乾隆年间，乾坤"  # 乾 alone may be 干, not in these words


def test_quantity_is_frozen():
    q = parse_quantity("166起")
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.value = D(1)


# --- qualifiers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("多", "more_than"),
        ("余", "more_than"),
        ("逾", "more_than"),
        ("超过", "more_than"),
        ("以上", "more_than"),
        ("至少", "at_least"),
        ("近", "about"),
        ("约", "about"),
        ("左右", "about"),
        ("不到", "less_than"),
    ],
)
def test_qualifier_words(word, code):
    assert QUALIFIER_WORDS[word] == code


def test_qualifier_labels():
    codes = {"exact", "more_than", "at_least", "about", "less_than"}
    assert set(QUALIFIER_LABELS) == {"zh", "en"}
    assert set(QUALIFIER_LABELS["zh"]) == codes
    assert set(QUALIFIER_LABELS["en"]) == codes
    assert set(QUALIFIER_WORDS.values()) <= codes
    assert QUALIFIER_LABELS["en"]["more_than"] == "more than"
    assert QUALIFIER_LABELS["en"]["about"] == "about"
    assert QUALIFIER_LABELS["zh"]["about"] == "约"
    assert QUALIFIER_LABELS["zh"]["at_least"] == "至少"
    assert QUALIFIER_LABELS["zh"]["less_than"] == "不到"
    assert QUALIFIER_LABELS["zh"]["exact"] == QUALIFIER_LABELS["en"]["exact"] == ""


# --- format_number ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "counter", "expected"),
    [
        (0, "", "0"),
        (870, "", "870"),
        (7461, "", "7461"),
        (7461, "个", "7461个"),
        (13300, "", "13300"),
        (12156, "", "12156"),
        (99999, "", "99999"),
        (100000, "", "10万"),
        (122000, "", "12.2万"),
        (123456, "", "12.35万"),
        (5990000, "", "599万"),
        (5990000, "元", "599万元"),
        (12345678, "", "1235万"),
        (99995000, "", "1亿"),  # rounding overflow moves up a tier
        (100000000, "", "1亿"),
        (100000000000, "元", "1000亿元"),
        (1200000000000, "元", "1.2万亿元"),
        (D("77.60"), "%", "77.6%"),
        (77.6, "%", "77.6%"),
        (77.6, "％", "77.6%"),
        (-77.6, "%", "-77.6%"),
        (-122000, "", "-12.2万"),
        (2, "个百分点", "2个百分点"),
        (D("1.50"), "", "1.5"),
        (D("1E+3"), "", "1000"),
        (D("-0"), "", "0"),
        (None, "元", "–"),
        (float("nan"), "%", "–"),
        (D("NaN"), "", "–"),
    ],
)
def test_format_number_zh(value, counter, expected):
    assert format_number(value, "zh", counter) == expected


@pytest.mark.parametrize(
    ("value", "counter", "expected"),
    [
        (0, "", "0"),
        (870, "", "870"),
        (7461, "件", "7,461"),  # counters are not appended in English
        (13300, "", "13,300"),
        (122000, "人", "122,000"),
        (999999, "", "999,999"),
        (1000000, "", "1 m"),
        (5990000, "", "5.99 m"),
        (1234567, "", "1.235 m"),
        (999999999, "", "1 bn"),
        (100000000000, "元", "100 bn"),
        (1234500000000, "", "1,234.5 bn"),
        (77.6, "%", "77.6%"),
        (D("77.60"), "％", "77.6%"),
        (-77.6, "%", "-77.6%"),
        (2, "个百分点", "2 pp"),
        (-1.5, "个百分点", "-1.5 pp"),
        (D("1234.50"), "", "1,234.5"),
        (None, "", "–"),
        (float("nan"), "", "–"),
    ],
)
def test_format_number_en(value, counter, expected):
    assert format_number(value, "en", counter) == expected


def test_format_number_default_is_zh():
    assert format_number(5990000) == "599万"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("12", TypeError),
        (True, TypeError),
        (float("inf"), ValueError),
    ],
)
def test_format_number_rejects(value, error):
    with pytest.raises(error):
        format_number(value)


def test_pandas_missing_values_are_dashes():
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    assert format_number(pd.NA) == "–"
    assert format_number(pd.NaT, "en") == "–"
    assert format_percent(pd.NA) == "–"
    assert format_number(np.float64("nan")) == "–"
    assert format_number(np.int64(12156), "en") == "12,156"
    assert format_number(np.int64(122000)) == "12.2万"
    assert format_percent(np.float64(0.71379)) == "71.4%"


def test_format_number_rejects_unknown_language():
    with pytest.raises(ValueError):
        format_number(1, "fr")


# --- format_percent ---------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "lang", "digits", "expected"),
    [
        (0.71379, "zh", 1, "71.4%"),
        (0.71379, "en", 1, "71.4%"),
        (0.71379, "zh", 2, "71.38%"),
        (0.71379, "zh", 0, "71%"),
        (D("0.5"), "zh", 1, "50.0%"),
        (1, "zh", 1, "100.0%"),
        (0.00049, "zh", 1, "0.0%"),
        (-0.00001, "zh", 1, "0.0%"),
        (-0.25, "zh", 1, "-25.0%"),
        (0.0005, "zh", 1, "0.1%"),  # half up
        (12.5, "en", 0, "1,250%"),
        (12.5, "zh", 0, "1250%"),
        (None, "zh", 1, "–"),
        (float("nan"), "en", 1, "–"),
    ],
)
def test_format_percent(ratio, lang, digits, expected):
    assert format_percent(ratio, lang, digits) == expected


def test_format_percent_default_args():
    assert format_percent(0.71379) == "71.4%"


def test_docstring_examples():
    result = doctest.testmod(numbers)
    assert result.attempted > 0
    assert result.failed == 0


# --- property tests ---------------------------------------------------------

FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def group_thousands(digits: str) -> str:
    """'1234567' -> '1,234,567' (written here, independent of the module)."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ",".join(parts)


def write_arabic(value: Decimal, shift: int, grouped: bool, fullwidth: bool) -> str:
    """Write value / 10**shift in Arabic digits followed by 万 (4) or 亿 (8)."""
    mantissa = format(value.scaleb(-shift), "f")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    if grouped:
        whole, dot, frac = mantissa.partition(".")
        mantissa = group_thousands(whole) + dot + frac
    text = mantissa + {0: "", 4: "万", 8: "亿"}[shift]
    return text.translate(FULLWIDTH) if fullwidth else text


@given(
    value=st.integers(min_value=0, max_value=10**12),
    shift=st.sampled_from([0, 4, 8]),
    grouped=st.booleans(),
    fullwidth=st.booleans(),
)
@example(value=13300, shift=4, grouped=False, fullwidth=False)
@example(value=100000000000, shift=8, grouped=True, fullwidth=False)
def test_arabic_integers_round_trip(value, shift, grouped, fullwidth):
    text = write_arabic(Decimal(value), shift, grouped, fullwidth)
    assert parse_number(text) == value


@given(
    value=st.decimals(min_value=0, max_value=10**12, places=4, allow_nan=False, allow_infinity=False),
    shift=st.sampled_from([0, 4, 8]),
    grouped=st.booleans(),
)
@example(value=Decimal("1.33"), shift=0, grouped=False)
def test_arabic_decimals_round_trip(value, shift, grouped):
    text = write_arabic(value, shift, grouped, fullwidth=False)
    assert parse_number(text) == value


CN_DIGITS = "零一二三四五六七八九"


def cn_below_10000(n: int, liang: bool) -> str:
    """Chinese numerals for 0 < n < 10000, with 零 for skipped places."""
    out = ""
    pending_zero = False
    for place, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // place % 10
        if digit == 0:
            pending_zero = pending_zero or bool(out)
            continue
        if pending_zero:
            out += "零"
            pending_zero = False
        word = "两" if liang and digit == 2 and unit in ("千", "百") else CN_DIGITS[digit]
        out += word + unit
    return out


def write_chinese(n: int, liang: bool, short_ten: bool, ling: str) -> str:
    """Chinese numerals for 0 <= n < 10**8, e.g. 10005 -> 一万零五."""
    if n == 0:
        return ling
    high, low = divmod(n, 10000)
    out = ""
    if high:
        out = cn_below_10000(high, liang) + "万"
    if low:
        if high and low < 1000:
            out += "零"
        out += cn_below_10000(low, liang)
    if short_ten and out.startswith("一十"):
        out = out[1:]
    return out.replace("零", ling)


@pytest.mark.parametrize(
    ("n", "written"),
    [
        (0, "零"),
        (10, "十"),
        (12, "十二"),
        (105, "一百零五"),
        (1050, "一千零五十"),
        (10005, "一万零五"),
        (100500, "十万零五百"),
        (2000, "两千"),
        (35000, "三万五千"),
        (99999999, "九千九百九十九万九千九百九十九"),
    ],
)
def test_chinese_writer_itself(n, written):
    """The test-side writer must be right before it can check the parser."""
    assert write_chinese(n, liang=True, short_ten=True, ling="零") == written


@given(
    n=st.integers(min_value=0, max_value=99_999_999),
    liang=st.booleans(),
    short_ten=st.booleans(),
    ling=st.sampled_from(["零", "〇"]),
)
@example(n=10, liang=False, short_ten=True, ling="零")
@example(n=100500, liang=False, short_ten=True, ling="零")
@example(n=20002000, liang=True, short_ten=False, ling="〇")
def test_chinese_numerals_round_trip(n, liang, short_ten, ling):
    assert parse_number(write_chinese(n, liang, short_ten, ling)) == n


COUNTERS = st.sampled_from(["", "件", "元", "人次", "%", "个百分点", "起"])


@given(value=st.integers(min_value=0, max_value=99_999), counter=COUNTERS)
def test_format_then_parse_exact_region(value, counter):
    text = format_number(value, "zh", counter)
    assert parse_quantity(text) == Quantity(D(value), counter, "exact", text)


@given(
    mantissa=st.integers(min_value=1, max_value=9999),
    power=st.integers(min_value=0, max_value=12),
    counter=COUNTERS,
)
@example(mantissa=1, power=11, counter="元")
@example(mantissa=599, power=4, counter="")
def test_format_then_parse_scaled_exact(mantissa, power, counter):
    # At most 4 significant digits: the 万/亿 form loses nothing.
    value = mantissa * 10**power
    text = format_number(value, "zh", counter)
    q = parse_quantity(text)
    assert q.value == value
    assert q.counter == counter
    assert q.qualifier == "exact"


@given(
    value=st.one_of(
        st.integers(min_value=-(10**7), max_value=10**7),
        st.floats(min_value=-1e7, max_value=1e7),
        st.floats(min_value=-1e-3, max_value=1e-3),
        st.floats(min_value=-2e5, max_value=2e5).map(lambda v: round(v, 1)),
    ),
    lang=st.sampled_from(["zh", "en"]),
    counter=COUNTERS,
)
@example(value=-0.0, lang="zh", counter="")
@example(value=99_999.99, lang="zh", counter="人")
@example(value=1e-05, lang="en", counter="%")
@example(value=999_999.5, lang="en", counter="")
@example(value=float("nan"), lang="en", counter="")
def test_a_python_int_or_float_formats_as_its_decimal_does(value, lang, counter):
    """Python and numpy ints and floats take a way without Decimal; the text is the same as the
    Decimal of their shortest repr gives."""
    import numpy as np

    expected = format_number(None if value != value else Decimal(repr(value)), lang, counter)
    assert format_number(value, lang, counter) == expected
    if isinstance(value, float):
        assert format_number(np.float64(value), lang, counter) == expected
    else:
        assert format_number(np.int64(value), lang, counter) == expected
