"""Chinese number parsing and display formatting.

Pure functions, standard library only. All arithmetic uses ``Decimal`` so that
``1.33万`` is exactly ``13300``.

>>> parse_number("1.33万")
Decimal('13300')
>>> parse_quantity("3000多个")
Quantity(value=Decimal('3000'), counter='个', qualifier='more_than', as_written='3000多个')
>>> format_number(100000000000, "zh", "元")
'1000亿元'
>>> format_number(5990000, "en")
'5.99 m'
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, Inexact, InvalidOperation, localcontext

__all__ = [
    "MISSING",
    "QUALIFIER_LABELS",
    "QUALIFIER_WORDS",
    "Quantity",
    "format_number",
    "format_percent",
    "parse_number",
    "parse_quantity",
]

#: Placeholder shown for missing values (None / NaN).
MISSING = "–"

# --- character tables -------------------------------------------------------

_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋", "0123456789.-+")
_DIGITS = {
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
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10**4, "亿": 10**8}
_CN_CHARS = "".join(_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS)

# Thousands separator: a comma between a digit and a group of exactly 3 digits.
_THOUSANDS_RE = re.compile(r"(?<=[0-9])[,，](?=[0-9]{3}(?![0-9]))")
_TOKEN_RE = re.compile(rf"[0-9]+(?:\.[0-9]+)?|[{_CN_CHARS}]")
# Leading span of a written number inside a quantity (before normalisation).
_NUM_SPAN_RE = re.compile(
    rf"[+\-−－＋]?(?:[0-9０-９]|[.．](?=[0-9０-９])"
    rf"|(?<=[0-9０-９])[,，](?=[0-9０-９]{{3}}(?![0-9０-９]))|[{_CN_CHARS}])+"
)
_ANY_DIGIT_RE = re.compile(r"[0-9０-９]")

# --- qualifiers -------------------------------------------------------------

_LEADING_QUALIFIERS = {
    "超过": "more_than",
    "超": "more_than",
    "逾": "more_than",
    "至少": "at_least",
    "不少于": "at_least",
    "将近": "about",
    "大约": "about",
    "近": "about",
    "约": "about",
    "不到": "less_than",
    "不足": "less_than",
}
# Words that may follow the number directly (before 万/亿 and the counter).
_AFTER_NUMBER_QUALIFIERS = {"多": "more_than", "余": "more_than"}
# Words that may close the whole quantity (after the counter).
_TRAILING_QUALIFIERS = {
    "以上": "more_than",
    "多": "more_than",
    "余": "more_than",
    "左右": "about",
}

#: Every qualifier word mapped to its code (exact, more_than, at_least, about, less_than).
QUALIFIER_WORDS: dict[str, str] = {
    **_LEADING_QUALIFIERS,
    **_AFTER_NUMBER_QUALIFIERS,
    **_TRAILING_QUALIFIERS,
}

#: Display labels per language for each qualifier code.
QUALIFIER_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "exact": "",
        "more_than": "以上/多",
        "at_least": "至少",
        "about": "约",
        "less_than": "不到",
    },
    "en": {
        "exact": "",
        "more_than": "more than",
        "at_least": "at least",
        "about": "about",
        "less_than": "less than",
    },
}

# Counters that begin with a numeral character (``5千米`` is 5 km, ``500万千瓦``
# is 5 million kW). They are split off when preceded by an Arabic digit or 万/亿.
_NUMERAL_COUNTERS = ("千米", "千克", "千瓦", "千帕", "千公顷", "百分点")
# Counter characters that take a following 半: 3年半 = 3.5 年, 两个半月 = 2.5 个月.
_HALF_AFTER = "年个天倍岁周月"
_RANGE_SEPARATORS = "至到-~～—–－−"


# --- parsing ----------------------------------------------------------------


def canonical(value: Decimal) -> Decimal:
    """Canonical form: integers without exponent, others without trailing zeros."""
    if value == 0:
        return Decimal(0)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _exact_mul(value: Decimal, factor: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 100
        return value * factor


def _positional(tokens: list[str]) -> Decimal | None:
    """Digit-by-digit numerals such as 二〇二三; None if not that form."""
    if len(tokens) < 2 or not all(t in _DIGITS for t in tokens):
        return None
    if "两" in tokens or (len(tokens) < 3 and "〇" not in tokens):
        # 三四 / 两三 mean "three or four" / "two or three": not a number.
        return None
    return Decimal("".join(str(_DIGITS[t]) for t in tokens))


def _evaluate(tokens: list[str], text: str) -> Decimal:
    positional = _positional(tokens)
    if positional is not None:
        return positional

    def fail(reason: str) -> ValueError:
        return ValueError(f"not a number: {text!r} ({reason})")

    total = Decimal(0)  # everything up to the last 亿
    wan = Decimal(0)  # the 万 part after the last 亿
    section = Decimal(0)  # the part below 万
    cur: Decimal | None = None  # pending digit(s)
    cur_arabic = False
    last_small = 10**4  # small units must descend inside a section
    last_unit = 0
    prev_kind = ""  # kind of the previous token: digit, zero, unit
    seen_wan = seen_yi = seen_value = False

    for tok in tokens:
        if tok[0] in "0123456789":
            if cur is not None:
                raise fail("two numbers in a row")
            cur, cur_arabic, prev_kind = Decimal(tok), True, "digit"
            seen_value = True
        elif tok in ("零", "〇"):
            if cur is not None:
                raise fail(f"unexpected {tok}")
            prev_kind, seen_value = "zero", True
        elif tok in _DIGITS:
            if cur is not None:
                raise fail("two digits in a row")
            cur, cur_arabic, prev_kind = Decimal(_DIGITS[tok]), False, "digit"
            seen_value = True
        elif tok in _SMALL_UNITS:
            unit = _SMALL_UNITS[tok]
            if unit >= last_small:
                raise fail(f"{tok} out of order")
            section += (Decimal(1) if cur is None else cur) * unit
            cur, last_small, last_unit, prev_kind = None, unit, unit, "unit"
            seen_value = True
        elif tok == "万":
            if seen_wan:
                raise fail("万 repeated")
            if cur is None and section == 0:
                raise fail("万 without a number")
            wan = (section + (cur or 0)) * 10**4
            section, cur = Decimal(0), None
            last_small, last_unit, prev_kind, seen_wan = 10**4, 10**4, "unit", True
        else:  # 亿
            if seen_yi:
                raise fail("亿 repeated")
            if cur is None and section == 0 and wan == 0:
                raise fail("亿 without a number")
            total = (total + wan + section + (cur or 0)) * 10**8
            wan, section, cur = Decimal(0), Decimal(0), None
            last_small, last_unit, prev_kind = 10**4, 10**8, "unit"
            seen_wan, seen_yi = False, True

    if not seen_value:
        raise fail("no digits")
    if cur is not None and prev_kind == "digit" and len(tokens) > 1:
        before = tokens[-2]
        if before in _SMALL_UNITS or before in _BIG_UNITS:
            if cur_arabic and last_unit > 10:
                raise fail("ambiguous trailing Arabic digits after a unit")
            # Colloquial abbreviation: 三万五 = 35000, 两千五 = 2500, 二十五 = 25.
            cur *= last_unit // 10
    return total + wan + section + (cur or 0)


def parse_number(text: str) -> Decimal:
    """Exact value of a number in Arabic digits, Chinese numerals or a mix.

    >>> parse_number("一百零五"), parse_number("1.33万"), parse_number("１，０００亿")
    (Decimal('105'), Decimal('13300'), Decimal('100000000000'))
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_number expects str, got {type(text).__name__}")
    s = re.sub(r"\s+", "", text).translate(_FULLWIDTH).replace("−", "-")
    s = _THOUSANDS_RE.sub("", s)
    sign = Decimal(1)
    if s[:1] in ("-", "+"):
        sign = Decimal(-1) if s[0] == "-" else Decimal(1)
        s = s[1:]
    if s.startswith("负"):
        sign, s = Decimal(-1), s[1:]
    if not s:
        raise ValueError(f"not a number: {text!r} (empty)")
    tokens = _TOKEN_RE.findall(s)
    if "".join(tokens) != s:
        bad = next(c for c in _TOKEN_RE.sub(" ", s) if c != " ")
        raise ValueError(f"not a number: {text!r} (unexpected {bad!r})")
    with localcontext() as ctx:
        ctx.prec = 100
        ctx.traps[Inexact] = True
        try:
            return canonical(sign * _evaluate(tokens, text))
        except Inexact as exc:
            raise ValueError(f"not a number: {text!r} (too many digits)") from exc


@dataclass(frozen=True)
class Quantity:
    """A written quantity: value, counter (unit word), qualifier code, original text.

    >>> parse_quantity("逾90%")
    Quantity(value=Decimal('90'), counter='%', qualifier='more_than', as_written='逾90%')
    """

    value: Decimal
    counter: str
    qualifier: str
    as_written: str


def _split_number_span(rest: str) -> str:
    """Leading number span of ``rest``, minus a counter such as 千瓦 glued to it."""
    match = _NUM_SPAN_RE.match(rest)
    if not match:
        return ""
    span = match.group()
    for i in range(1, len(span)):
        glued = span[i - 1] in "万亿" or _ANY_DIGIT_RE.match(span[i - 1])
        if glued and any(rest.startswith(word, i) for word in _NUMERAL_COUNTERS):
            return span[:i]
    return span


def parse_quantity(text: str) -> Quantity:
    """Parse a whole quantity such as ``逾90%``, ``1900多人次`` or ``3年半``.

    >>> q = parse_quantity("1000亿元")
    >>> q.value, q.counter, q.qualifier
    (Decimal('100000000000'), '元', 'exact')
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_quantity expects str, got {type(text).__name__}")
    written = text.strip()
    rest = re.sub(r"\s+", "", written)

    lead = ""
    for word in sorted(_LEADING_QUALIFIERS, key=len, reverse=True):
        if rest.startswith(word):
            lead, rest = _LEADING_QUALIFIERS[word], rest[len(word) :]
            break
    percent_words = rest.startswith("百分之")
    if percent_words:
        rest = rest[3:]

    span = _split_number_span(rest)
    if not span:
        raise ValueError(f"no number in quantity {text!r}")
    try:
        value = parse_number(span)
    except ValueError as exc:
        raise ValueError(f"cannot parse quantity {text!r}: {exc}") from exc
    rest = rest[len(span) :]
    if rest and rest[0] in _RANGE_SEPARATORS:
        raise ValueError(f"ranges are not supported: {text!r}")

    trail = ""
    if rest[:1] in _AFTER_NUMBER_QUALIFIERS:
        trail, rest = _AFTER_NUMBER_QUALIFIERS[rest[0]], rest[1:]
        while rest[:1] in ("万", "亿"):  # 3000多万 = more than 30 million
            value = _exact_mul(value, _BIG_UNITS[rest[0]])
            rest = rest[1:]
    for word in sorted(_TRAILING_QUALIFIERS, key=len, reverse=True):
        if rest.endswith(word):
            code = _TRAILING_QUALIFIERS[word]
            if trail and trail != code:
                raise ValueError(f"conflicting qualifiers in {text!r}")
            trail, rest = code, rest[: -len(word)]
            break

    counter = rest
    if len(counter) >= 2 and counter[1] == "半" and counter[0] in _HALF_AFTER:
        if value != value.to_integral_value():
            raise ValueError(f"half added to a fraction in {text!r}")
        with localcontext() as ctx:
            ctx.prec = 100
            value += Decimal("0.5")
        counter = counter[0] + counter[2:]
    if percent_words:
        if counter:
            raise ValueError(f"unexpected counter after 百分之 in {text!r}")
        counter = "%"
    if re.search(r"[.．,，、;；:：]", counter):
        raise ValueError(f"unexpected punctuation after the number in {text!r}")
    if _ANY_DIGIT_RE.search(counter):
        raise ValueError(f"more than one number in {text!r}")
    if counter and counter[0] in _RANGE_SEPARATORS:
        raise ValueError(f"ranges are not supported: {text!r}")
    if lead and trail and lead != trail:
        raise ValueError(f"conflicting qualifiers in {text!r}")
    counter = counter.replace("％", "%")
    return Quantity(canonical(value), counter, lead or trail or "exact", written)


# --- formatting -------------------------------------------------------------


def _to_decimal(value: object) -> Decimal | None:
    """Decimal for int/float/Decimal (numpy scalars too); None when missing."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return None  # None, pandas.NA, pandas.NaT (checked without importing pandas)
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, Decimal):
        dec = value
    elif hasattr(value, "__index__"):  # int, numpy integers
        dec = Decimal(operator.index(value))
    elif isinstance(value, float) or hasattr(value, "__float__"):
        as_float = float(value)
        if math.isnan(as_float):
            return None
        dec = Decimal(repr(as_float))  # shortest repr: 77.6 stays 77.6
    else:
        raise TypeError(f"cannot format {type(value).__name__} as a number")
    if dec.is_nan():
        return None
    if dec.is_infinite():
        raise ValueError("cannot format an infinite value")
    return dec


def _plain(value: Decimal, grouping: bool = False) -> str:
    """Fixed-point text with trailing zeros trimmed."""
    text = format(canonical(value), ",f" if grouping else "f")
    return "0" if text in ("-0", "0") else text


def _round_significant(value: Decimal, digits: int) -> Decimal:
    places = max(0, digits - (value.adjusted() + 1))
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _scaled(value: Decimal, tiers: list[tuple[int, str]], fit) -> tuple[Decimal, str]:
    """Pick the largest tier not above ``value``; move up if rounding overflows."""
    index = next(i for i, (size, _) in enumerate(tiers) if value >= size)
    while True:
        size, suffix = tiers[index]
        mantissa = fit(value.scaleb(-(len(str(size)) - 1)))
        if index > 0 and mantissa * size >= tiers[index - 1][0]:
            index -= 1
            continue
        return mantissa, suffix


_ZH_TIERS = [(10**12, "万亿"), (10**8, "亿"), (10**4, "万")]
_EN_TIERS = [(10**9, " bn"), (10**6, " m")]
_PP_COUNTERS = ("个百分点", "百分点", "pp")


def format_number(value: object, lang: str = "zh", counter: str = "") -> str:
    """Display text for a number, one style for the whole app.

    zh: exact digits below 10万, then 万/亿/万亿 with at most 4 significant
    digits; the counter is appended. en: thousands separators below a million,
    then ``m``/``bn`` with up to 3 decimals; only ``%`` and ``pp`` are appended.

    >>> format_number(12156), format_number(122000, counter="人"), format_number(77.6, counter="%")
    ('12156', '12.2万人', '77.6%')
    >>> format_number(7461, "en"), format_number(2, "en", "个百分点")
    ('7,461', '2 pp')
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"unsupported language {lang!r}")
    dec = _to_decimal(value)
    if dec is None:
        return MISSING
    counter = (counter or "").replace("％", "%")
    with localcontext() as ctx:
        ctx.prec = 100
        size = abs(dec)
        if lang == "zh":
            if size < 10**5:
                body = _plain(size)
            else:
                mantissa, suffix = _scaled(size, _ZH_TIERS, lambda m: _round_significant(m, 4))
                body = _plain(mantissa) + suffix
            tail = counter
        else:
            if size < 10**6:
                body = _plain(size, grouping=True)
            else:
                mantissa, suffix = _scaled(
                    size,
                    _EN_TIERS,
                    lambda m: m.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP),
                )
                body = _plain(mantissa, grouping=True) + suffix
            if counter == "%":
                tail = "%"
            elif counter in _PP_COUNTERS:
                tail = " pp"
            else:
                tail = ""
    sign = "-" if dec < 0 and body != "0" else ""
    return f"{sign}{body}{tail}"


def format_percent(ratio: object, lang: str = "zh", digits: int = 1) -> str:
    """A ratio as a percentage with a fixed number of decimals.

    >>> format_percent(0.71379), format_percent(12.5, "en", 0), format_percent(None)
    ('71.4%', '1,250%', '–')
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"unsupported language {lang!r}")
    if digits < 0:
        raise ValueError("digits must be >= 0")
    dec = _to_decimal(ratio)
    if dec is None:
        return MISSING
    with localcontext() as ctx:
        ctx.prec = 100
        try:
            pct = (dec * 100).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
        except InvalidOperation as exc:
            raise ValueError(f"cannot format {ratio!r} as a percentage") from exc
    if pct == 0:
        pct = abs(pct)
    return format(pct, ",f" if lang == "en" else "f") + "%"
