"""The number reader (Chinese numbers and quantities) and display formatting.

One reader for the whole product: :func:`read_quantity` reads a written quantity, and the
extractor (``metrics.extract``), the checks of curated and imported figures
(``metrics.validate``) and so the import all read with it; :func:`parse_quantity` is its
one-value view. The words it knows are those of :mod:`metrics.vocabulary`. All arithmetic
uses ``Decimal`` so that ``1.33万`` is exactly ``13300``.

>>> parse_number("1.33万")
Decimal('13300')
>>> parse_quantity("3000多个")
Quantity(value=Decimal('3000'), counter='个', qualifier='more_than', as_written='3000多个')
>>> r = read_quantity("2至4个")
>>> r.value, r.high, r.counter, r.qualifier
(Decimal('2'), Decimal('4'), '个', 'at_least')
>>> format_number(100000000000, "zh", "元")
'1000亿元'
>>> format_number(5990000, "en")
'5.99 m'

What the reader reads
---------------------
- Arabic, full-width and Chinese numerals and their mixes (1.33万件, 104974.4万, 两千五,
  三点五万), thousands separators, a leading sign.
- Qualifiers (:data:`metrics.vocabulary.QUALIFIER_WORDS`): 多/余/逾/超过/以上 -> more_than,
  至少/不少于 -> at_least, 近/约/左右 -> about, 不到/不足/不超过 -> less_than. Two words that
  disagree (约50%以上) are refused.
- 平均/人均/年均... before the number: ``average`` is set and the qualifier is not changed
  (平均 says what is measured, an average, not how precise the number is).
- **Ranges** (2至4个, 3到5项, 2-4个, 30%—50%, 3至5万人次, 两三个, 七八成): ``value`` is the
  low end and ``high`` the high end. As one value a range is its low end with qualifier
  ``at_least`` (so 2至4个 is stored as "at least 2", as_written 2至4个); adjacent Chinese
  digits (两三个) are ``about``. A qualifier written with the range wins (约3至5个: about).
  A 千/万/亿 written only after the high end scales the low end too when that keeps the ends
  in order (3至5万 = 30000..50000, 五至七千 = 5000..7000; 8000至1万 = 8000..10000). Ends out
  of order are refused.
- **Shares**: 百分之三十 = 30 %, 八成 = 80 % (``form`` tenths), 5‰ = 0.5 % (per_mille),
  一半 = 50 % (half) and
  **fractions** 四分之一 = 25 % (fraction): the counter of every share is ``%``, as in the
  curated data. A fraction that does not end in decimals (三分之一) is rounded to
  :data:`FRACTION_DIGITS` significant digits (33.3333333333333), the most the store keeps
  exactly, so that the value checks against the quantity as written.
- **Multiples**: N倍 is read as written (3倍: value 3, counter 倍, form multiple); whether
  it is a ratio (是…的3倍) or an increase (增长3倍) the context says. 翻一番 is the ratio
  2 (翻两番 = 4; counter 倍, form doubling).
- **Signed changes**: a direction word before the number (:data:`metrics.vocabulary.DOWN_WORDS`
  / ``UP_WORDS``), optionally after 同比/环比, signs the value: 同比减少9个 = -9 个 with
  ``direction`` down; a figure of that kind has the role ``change_abs``.
- Counters are whatever follows the number (块, 家, 户, 宗, 座, 处, 所, 辆, 次, 个方面 ...);
  N年半 / N个半月 add one half, N个多月 is more_than N 个月.
- Traditional characters are read as their Simplified forms (1.33萬件 = 13300 件, 3000多個
  = 3000 个); ``as_written`` keeps the text as given, the counter is Simplified.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, Inexact, InvalidOperation, localcontext

from metrics import vocabulary as words
from metrics.textio import simplified

__all__ = [
    "FRACTION_DIGITS",
    "MISSING",
    "QUALIFIER_LABELS",
    "QUALIFIER_WORDS",
    "Quantity",
    "Reading",
    "format_number",
    "format_percent",
    "parse_number",
    "parse_quantity",
    "read_quantity",
]

#: Placeholder shown for missing values (None / NaN).
MISSING = "–"
#: Significant digits of a fraction that does not end (三分之一): the store's DOUBLE keeps 15
#: exactly (``metrics.validate.DOUBLE_DIGITS``).
FRACTION_DIGITS = 15

# --- character tables -------------------------------------------------------

_FULLWIDTH = words.FULLWIDTH
_DIGITS = words.DIGITS
_SMALL_UNITS = words.SMALL_UNITS
_BIG_UNITS = words.BIG_UNITS
_CN_CHARS = words.NUMERAL_CHARS
_CN_DIGIT_CHARS = "".join(_DIGITS)

# Thousands separator: a comma between a digit and a group of exactly 3 digits.
_THOUSANDS_RE = re.compile(r"(?<=[0-9])[,，](?=[0-9]{3}(?![0-9]))")
_TOKEN_RE = re.compile(rf"[0-9]+(?:\.[0-9]+)?|[{_CN_CHARS}]")
# Leading span of a written number inside a quantity (before normalisation); 点 is a decimal
# point between Chinese numerals (九十五点五).
_NUM_SPAN_RE = re.compile(
    rf"[+\-−－＋]?(?:[0-9０-９]|[.．](?=[0-9０-９])"
    rf"|(?<=[0-9０-９])[,，](?=[0-9０-９]{{3}}(?![0-9０-９]))|[{_CN_CHARS}]"
    rf"|(?<=[{_CN_CHARS}]){words.DECIMAL_POINT}(?=[{_CN_DIGIT_CHARS}]))+"
)
_ANY_DIGIT_RE = re.compile(r"[0-9０-９]")
_PUNCTUATION_RE = re.compile(r"[.．,，、;；:：]")
# Arabic digits (a decimal too) and a counter (Chinese characters or %), none of which asks for more than reading
# the digits (tenths, multiples, halves, qualifiers, scales, numerals, fractions, ranges).
_PLAIN_RE = re.compile(r"([0-9]{1,28}(?:\.[0-9]{1,28})?)([\u4e00-\u9fff%]{1,4})")
_SPECIAL = frozenset("成倍半多余以上左右点分之至到番" + _CN_CHARS + words.PER_MILLE)
_SCALE_AT_END_RE = re.compile("千?[万亿]*$")
_CN_DECIMAL_RE = re.compile(rf"([{_CN_DIGIT_CHARS}]+)([万亿]*)")
# Adjacent Chinese digits: 两三 (2 or 3), 七八十 (70 or 80).
_APPROX_RE = re.compile(r"([一二两三四五六七八九])([二三四五六七八九])([十百千万]?)")
_CHANGE_HEAD_RE = re.compile(
    rf"(?:{'|'.join(words.COMPARISON_WORDS)})?(?P<word>{words.DIRECTION_PATTERN})了?"
)
_DOUBLING_RE = re.compile(rf"{words.DOUBLING[0]}了?(?P<n>[一二两三四五六七八九1-9]){words.DOUBLING[1]}")

# --- qualifiers -------------------------------------------------------------

_LEADING_QUALIFIERS = words.LEADING_QUALIFIERS
_AFTER_NUMBER_QUALIFIERS = words.AFTER_NUMBER_QUALIFIERS
_TRAILING_QUALIFIERS = words.TRAILING_QUALIFIERS

#: Every qualifier word mapped to its code (exact, more_than, at_least, about, less_than).
QUALIFIER_WORDS: dict[str, str] = words.QUALIFIER_WORDS

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

_NUMERAL_COUNTERS = words.NUMERAL_COUNTERS
_HALF_AFTER = words.HALF_AFTER
_RANGE_SEPARATORS = words.RANGE_SEPARATORS


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


def _chinese_decimal(s: str, text: str) -> Decimal:
    """九十五点五 = 95.5, 三点五万 = 35000: a whole number, 点, digits, then 万/亿 if any."""
    whole, _, fraction = s.partition(words.DECIMAL_POINT)
    match = _CN_DECIMAL_RE.fullmatch(fraction)
    if not whole or match is None or any(c in _BIG_UNITS for c in whole):
        raise ValueError(f"not a number: {text!r} (misplaced {words.DECIMAL_POINT})")
    integer = _evaluate(_TOKEN_RE.findall(whole), text) if _TOKEN_RE.sub("", whole) == "" else None
    if integer is None or integer != integer.to_integral_value():
        raise ValueError(f"not a number: {text!r} (misplaced {words.DECIMAL_POINT})")
    value = Decimal(f"{integer}." + "".join(str(_DIGITS[d]) for d in match[1]))
    for unit in match[2]:
        value *= _BIG_UNITS[unit]
    return value


def parse_number(text: str) -> Decimal:
    """Exact value of a number in Arabic digits, Chinese numerals or a mix.

    >>> parse_number("一百零五"), parse_number("1.33万"), parse_number("１，０００亿")
    (Decimal('105'), Decimal('13300'), Decimal('100000000000'))
    >>> parse_number("九十五点五"), parse_number("104974.4万"), parse_number("3億")
    (Decimal('95.5'), Decimal('1049744000'), Decimal('300000000'))
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_number expects str, got {type(text).__name__}")
    return _parse_number(simplified(text), text)


def _parse_number(s: str, text: str) -> Decimal:
    """parse_number of ``s``, already in Simplified characters (``text`` as given, for errors)."""
    if s.isascii() and s.isdigit() and len(s) < 30:
        return Decimal(s)  # the common case
    s = re.sub(r"\s+", "", s).translate(_FULLWIDTH).replace("−", "-")
    s = _THOUSANDS_RE.sub("", s)
    sign = Decimal(1)
    if s[:1] in ("-", "+"):
        sign = Decimal(-1) if s[0] == "-" else Decimal(1)
        s = s[1:]
    if s.startswith("负"):
        sign, s = Decimal(-1), s[1:]
    if not s:
        raise ValueError(f"not a number: {text!r} (empty)")
    with localcontext() as ctx:
        ctx.prec = 100
        ctx.traps[Inexact] = True
        try:
            if words.DECIMAL_POINT in s:
                return canonical(sign * _chinese_decimal(s, text))
            tokens = _TOKEN_RE.findall(s)
            if "".join(tokens) != s:
                bad = next(c for c in _TOKEN_RE.sub(" ", s) if c != " ")
                raise ValueError(f"not a number: {text!r} (unexpected {bad!r})")
            return canonical(sign * _evaluate(tokens, text))
        except Inexact as exc:
            raise ValueError(f"not a number: {text!r} (too many digits)") from exc


@dataclass(frozen=True)
class Quantity:
    """A written quantity as one value: value, counter (unit word), qualifier code, original text.

    A range is its low end with qualifier ``at_least`` (see :func:`read_quantity` for both ends).

    >>> parse_quantity("逾90%")
    Quantity(value=Decimal('90'), counter='%', qualifier='more_than', as_written='逾90%')
    """

    value: Decimal
    counter: str
    qualifier: str
    as_written: str


@dataclass(frozen=True)
class Reading:
    """Everything a written quantity says (:func:`read_quantity`).

    - ``value``: the number, scaled (1.33万 -> 13300), signed when a direction word is written
      (减少9个 -> -9); the low end of a range.
    - ``high``: the high end of a range (2至4个 -> 4), else None.
    - ``counter``: the unit word in Simplified characters; ``%`` for every share (30%, 百分之三十,
      八成, 一半, 四分之一); ``倍`` for multiples and 翻番.
    - ``qualifier``: exact, more_than, at_least, about or less_than.
    - ``form``: number, tenths (八成), per_mille (5‰), half (一半), fraction (四分之一),
      multiple (3倍) or doubling (翻一番).
    - ``direction``: ``down`` or ``up`` when a direction word is written before the number.
    - ``average``: 平均/人均... is written before the number.
    """

    value: Decimal
    counter: str
    qualifier: str
    as_written: str
    high: Decimal | None = None
    form: str = "number"
    direction: str = ""
    average: bool = False


def _split_number_span(rest: str) -> str:
    """Leading number span of ``rest``, minus a counter such as 千瓦 glued to it."""
    match = _NUM_SPAN_RE.match(rest)
    if not match:
        return ""
    span = match.group()
    for i in range(1, len(span)):
        if span[i] not in "千百":  # where every counter of NUMERAL_COUNTERS begins
            continue
        glued = span[i - 1] in "万亿" or _ANY_DIGIT_RE.match(span[i - 1])
        if glued and any(rest.startswith(word, i) for word in _NUMERAL_COUNTERS):
            return span[:i]
    return span


def _value_of(span: str, text: str) -> tuple[Decimal, Decimal | None]:
    """The value of a number span; adjacent Chinese digits (两三, 七八十) give (low, high)."""
    try:
        return _parse_number(span, span), None
    except ValueError as exc:
        approx = _APPROX_RE.fullmatch(span)
        if approx is None:
            raise ValueError(f"cannot parse quantity {text!r}: {exc}") from exc
        low, high = _DIGITS[approx[1]], _DIGITS[approx[2]]
        if high != low + 1:
            raise ValueError(f"cannot parse quantity {text!r}: {exc}") from exc
        unit = {"": 1, "十": 10, "百": 100, "千": 1000, "万": 10**4}[approx[3]]
        return Decimal(low * unit), Decimal(high * unit)


def _alternation(table) -> re.Pattern:
    return re.compile("|".join(re.escape(w) for w in words.longest_first(table)))


_AVERAGE_RE = _alternation(words.AVERAGE_WORDS)
_LEADING_RE = _alternation(_LEADING_QUALIFIERS)
_TRAILING_RE = re.compile(f"(?:{_alternation(_TRAILING_QUALIFIERS).pattern})$")


def _strip_leading(rest: str, pattern: re.Pattern) -> tuple[str, str]:
    """(the word of ``pattern`` that ``rest`` starts with or "", rest without it)."""
    match = pattern.match(rest)
    return (match.group(), rest[match.end() :]) if match else ("", rest)


def _trailing(rest: str) -> tuple[str, str]:
    """(qualifier code or "", rest without it) for a word closing the quantity."""
    match = _TRAILING_RE.search(rest)
    return (_TRAILING_QUALIFIERS[match.group()], rest[: match.start()]) if match else ("", rest)


def _fraction(den: Decimal, num: Decimal, text: str) -> Decimal:
    """100 * num / den, exact when it ends within FRACTION_DIGITS digits, else rounded to them."""
    if den == 0 or den != den.to_integral_value() or den < 0 or num < 0:
        raise ValueError(f"not a fraction: {text!r}")
    with localcontext() as ctx:
        ctx.prec = 100
        exact = num * 100 / den
    with localcontext() as ctx:
        ctx.prec = FRACTION_DIGITS
        ctx.rounding = ROUND_HALF_UP
        return +exact


def read_quantity(text: str) -> Reading:
    """Read a whole written quantity: ``逾90%``, ``1900多人次``, ``3年半``, ``2至4个``, ``八成以上``,
    ``三分之一``, ``翻一番``, ``同比减少9个``, ``平均3天`` (see the module docstring).

    >>> r = read_quantity("同比减少9个")
    >>> r.value, r.counter, r.direction
    (Decimal('-9'), '个', 'down')
    >>> read_quantity("八成以上").value, read_quantity("四分之一").value
    (Decimal('80'), Decimal('25'))
    """
    if not isinstance(text, str):
        raise TypeError(f"read_quantity expects str, got {type(text).__name__}")
    written = text.strip()
    rest = simplified(written)
    if not rest.isprintable() or " " in rest:
        rest = re.sub(r"\s+", "", rest)
    plain = _PLAIN_RE.fullmatch(rest)
    if plain and _SPECIAL.isdisjoint(plain[2]):  # 166起, 80个: the common case, read at once
        number = Decimal(plain[1])
        return Reading(canonical(number) if "." in plain[1] else number, plain[2], "exact", written)

    direction = ""
    head = _CHANGE_HEAD_RE.match(rest)
    if head:
        direction, rest = words.direction_of(head["word"]), rest[head.end() :]
    average_word, rest = _strip_leading(rest, _AVERAGE_RE)
    lead_word, rest = _strip_leading(rest, _LEADING_RE)
    codes = [_LEADING_QUALIFIERS[lead_word]] if lead_word else []
    high: Decimal | None = None
    form = "number"
    implied = ""  # the qualifier of a range when none is written

    doubling = _DOUBLING_RE.match(rest)
    if doubling:
        times = _parse_number(doubling["n"], text)
        value, counter, form = Decimal(2) ** int(times), words.MULTIPLE, "doubling"
        code, rest = _trailing(rest[doubling.end() :])
        if rest:
            raise ValueError(f"unexpected {rest!r} after 翻番 in {text!r}")
        codes += [code] if code else []
    elif rest.startswith("一" + words.HALF):
        value, counter, form = Decimal(50), "%", "half"
        code, rest = _trailing(rest[2:])
        if rest:
            raise ValueError(f"unexpected {rest!r} after 一半 in {text!r}")
        codes += [code] if code else []
    elif words.FRACTION in rest and not rest.startswith(words.PERCENT_WORDS):
        den_text, _, num_text = rest.partition(words.FRACTION)
        code, num_text = _trailing(num_text)
        if _split_number_span(den_text) != den_text or _split_number_span(num_text) != num_text:
            raise ValueError(f"cannot parse fraction {text!r}")
        value = _fraction(_parse_number(den_text, text), _parse_number(num_text, text), text)
        counter, form = "%", "fraction"
        codes += [code] if code else []
    else:
        percent_words = rest.startswith(words.PERCENT_WORDS)
        if percent_words:
            rest = rest[len(words.PERCENT_WORDS) :]
        span = _split_number_span(rest)
        if not span:
            raise ValueError(f"no number in quantity {text!r}")
        value, high = _value_of(span, text)
        if high is not None:
            implied = "about"
        rest = rest[len(span) :]
        if rest[:1] in _AFTER_NUMBER_QUALIFIERS:
            codes.append(_AFTER_NUMBER_QUALIFIERS[rest[0]])
            rest = rest[1:]
            while rest[:1] in ("万", "亿"):  # 3000多万 = more than 30 million
                value = _exact_mul(value, _BIG_UNITS[rest[0]])
                high = None if high is None else _exact_mul(high, _BIG_UNITS[rest[0]])
                rest = rest[1:]
        first_counter = ""
        if rest[:1] in "%％" and rest[1:2] and rest[1] in _RANGE_SEPARATORS:
            first_counter, rest = "%", rest[1:]  # 30%—50%
        if rest[:1] and rest[0] in _RANGE_SEPARATORS and high is None:
            value, high, rest = _high_end(span, value, rest[1:], text)
            implied = "at_least"
            if rest[:1] in _AFTER_NUMBER_QUALIFIERS:  # 3至5万余人
                codes.append(_AFTER_NUMBER_QUALIFIERS[rest[0]])
                rest = rest[1:]
        code, rest = _trailing(rest)
        codes += [code] if code else []
        counter = rest
        if counter.startswith("个") and counter[1:2] in _AFTER_NUMBER_QUALIFIERS:
            codes.append(_AFTER_NUMBER_QUALIFIERS[counter[1]])  # 3个多月
            counter = "个" + counter[2:]
        if len(counter) >= 2 and counter[1] == words.HALF and counter[0] in _HALF_AFTER:
            if value != value.to_integral_value() or high is not None:
                raise ValueError(f"half added to a fraction or a range in {text!r}")
            with localcontext() as ctx:
                ctx.prec = 100
                value += Decimal("0.5")
            counter = counter[0] + counter[2:]
        if first_counter and counter.replace("％", "%") != first_counter:
            raise ValueError(f"the ends of the range {text!r} have different counters")
        if percent_words:
            if counter:
                raise ValueError(f"unexpected counter after 百分之 in {text!r}")
            counter = "%"
        elif counter == words.TENTHS:
            value = _exact_mul(value, 10)
            high = None if high is None else _exact_mul(high, 10)
            counter, form = "%", "tenths"
        elif counter == words.PER_MILLE:  # 5‰ = 0.5 %
            value = value / 10
            high = None if high is None else high / 10
            counter, form = "%", "per_mille"
        elif counter == words.MULTIPLE:
            form = "multiple"
        if _PUNCTUATION_RE.search(counter):
            raise ValueError(f"unexpected punctuation after the number in {text!r}")
        if _ANY_DIGIT_RE.search(counter):
            raise ValueError(f"more than one number in {text!r}")
        if counter and counter[0] in _RANGE_SEPARATORS:
            raise ValueError(f"not a range: {text!r}")
        counter = counter.replace("％", "%")

    if len(set(codes)) > 1:
        raise ValueError(f"conflicting qualifiers in {text!r}")
    if direction:
        if value < 0:
            raise ValueError(f"a sign and a direction word in {text!r}")
        if direction == "down":
            value, high = -value, None if high is None else -high
    return Reading(
        value=canonical(value),
        counter=counter,
        qualifier=codes[0] if codes else implied or "exact",
        as_written=written,
        high=None if high is None else canonical(high),
        form=form,
        direction=direction,
        average=bool(average_word),
    )


def _high_end(span: str, low: Decimal, rest: str, text: str) -> tuple[Decimal, Decimal, str]:
    """(low, high, rest after the high end) of a range whose separator has just been read."""
    span2 = _split_number_span(rest)
    if not span2 or span2[0] in "+-−－＋":
        raise ValueError(f"a range without its high end: {text!r}")
    high, approx = _value_of(span2, text)
    if approx is not None:
        raise ValueError(f"cannot parse the high end of {text!r}")
    rest = rest[len(span2) :]
    scale = _SCALE_AT_END_RE.search(span2)
    if scale.group() and scale.start() > 0 and not any(c in "千万亿" for c in span):
        factor = 1
        for unit in scale.group():
            factor *= {**_BIG_UNITS, "千": 1000}[unit]
        if low * factor <= high:  # 3至5万, 五至七千: the unit of the high end scales the low end
            low = _exact_mul(low, factor)
    if high <= low:
        raise ValueError(f"the ends of the range {text!r} are not in order")
    return low, high, rest


def parse_quantity(text: str) -> Quantity:
    """A whole quantity such as ``逾90%``, ``1900多人次`` or ``3年半`` as one value
    (:func:`read_quantity`; a range is its low end, ``at_least``).

    >>> q = parse_quantity("1000亿元")
    >>> q.value, q.counter, q.qualifier
    (Decimal('100000000000'), '元', 'exact')
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_quantity expects str, got {type(text).__name__}")
    reading = read_quantity(text)
    return Quantity(reading.value, reading.counter, reading.qualifier, reading.as_written)


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
_EN_TAILS = {"%": "%"} | dict.fromkeys(_PP_COUNTERS, " pp")


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
    plain = _plain_exact(value, _EXACT_BELOW[lang], grouping=lang == "en")
    if plain is not None:
        body, negative = plain
    else:
        dec = _to_decimal(value)
        if dec is None:
            return MISSING
        body, negative = _scaled_text(abs(dec), lang), dec < 0
    counter = (counter or "").replace("％", "%")
    # English appends only % and pp; Chinese every counter.
    tail = counter if lang == "zh" else _EN_TAILS.get(counter, "")
    sign = "-" if negative and body != "0" else ""
    return f"{sign}{body}{tail}"


# Numbers below these are written in full (exact digits); larger ones in 万/亿 or m/bn.
_EXACT_BELOW = {"zh": 10**5, "en": 10**6}


def _scaled_text(size: Decimal, lang: str) -> str:
    """``size`` (not negative) as ``format_number`` writes it, without sign or counter."""
    with localcontext() as ctx:
        ctx.prec = 100
        if size < _EXACT_BELOW[lang]:
            return _plain(size, grouping=lang == "en")
        if lang == "zh":
            mantissa, suffix = _scaled(size, _ZH_TIERS, lambda m: _round_significant(m, 4))
            return _plain(mantissa) + suffix
        mantissa, suffix = _scaled(
            size, _EN_TIERS, lambda m: m.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        )
        return _plain(mantissa, grouping=True) + suffix


def _plain_exact(value: object, below: int, grouping: bool) -> tuple[str, bool] | None:
    """(``_plain`` of its size, whether it is negative) for a Python int or float (numpy floats
    too) smaller than ``below`` whose shortest repr has no exponent: most numbers a page labels,
    written without the cost of a Decimal (a table of thousands of rows labels tens of thousands
    of numbers). None for any other value, which takes the Decimal way."""
    if type(value) is int:
        size = abs(value)
        return (f"{size:,}" if grouping else str(size), value < 0) if size < below else None
    if not isinstance(value, float):
        return None
    size = abs(float(value))
    if not size < below:  # NaN too
        return None
    text = repr(size)
    if "e" in text:
        return None
    whole, _, fraction = text.partition(".")
    whole = f"{int(whole):,}" if grouping else whole
    return (whole if fraction in ("", "0") else f"{whole}.{fraction}"), value < 0


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
