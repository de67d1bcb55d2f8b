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
)

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
        "3至5个",  # ranges are out of scope
        "三至五个",
        "3-5个",
        "3~5%",
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
