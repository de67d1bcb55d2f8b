"""metrics.vocabulary: one list of each kind of word, used by the reader, the extractor, the
checks and the exports alike."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import duckdb
import pytest

from metrics import export, extract, numbers, validate, vocabulary
from metrics.vocabulary import (
    DIRECTION_PATTERN,
    DOWN_WORDS,
    QUALIFIER_CODES,
    QUALIFIER_WORDS,
    UP_WORDS,
    direction_of,
    looks_like_formula,
)

METRICS = Path(__file__).resolve().parent.parent / "metrics"


def test_docstring_examples():
    result = doctest.testmod(vocabulary)
    assert result.attempted > 0 and result.failed == 0


def test_direction_words_are_one_list_each():
    assert len(set(DOWN_WORDS)) == len(DOWN_WORDS) and len(set(UP_WORDS)) == len(UP_WORDS)
    assert not set(DOWN_WORDS) & set(UP_WORDS)
    # the words the checks knew before and the ones only the extractor knew, in one list
    for word in (
        "减少",
        "下降",
        "降低",
        "压减",
        "缩减",
        "精简",
        "减",
        "压缩",
        "削减",
        "缩短",
        "回落",
        "降幅",
    ):
        assert direction_of(word) == "down", word
    for word in ("增长", "增加", "提高", "上升", "提升", "增", "扩大", "攀升", "增幅"):
        assert direction_of(word) == "up", word
    assert direction_of("完成") == direction_of("") == ""


@pytest.mark.parametrize(
    ("evidence", "last"),
    [
        ("较一季度分别减少77.6%", "减少"),  # the longer word, not 减
        ("会议压缩20%", "压缩"),
        ("降幅约0.6%", "降幅"),
        ("先下降后回升3%", "升"),
        ("比上年增加3个百分点", "增加"),
    ],
)
def test_direction_pattern_is_read_alike_by_python_and_duckdb(evidence, last):
    assert re.findall(DIRECTION_PATTERN, evidence)[-1] == last
    with duckdb.connect() as con:
        sql = "SELECT regexp_extract_all($e, $p)[-1]"
        (found,) = con.execute(sql, {"e": evidence, "p": DIRECTION_PATTERN}).fetchone()
    assert found == last


def test_qualifier_words_have_the_dictionarys_codes():
    assert set(QUALIFIER_WORDS.values()) <= set(QUALIFIER_CODES)
    assert QUALIFIER_WORDS["不超过"] == "less_than"  # not "超过" (more_than) read inside it


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("=1+1", True),
        ('=HYPERLINK("http://x.example","点我")', True),
        ("@SUM(A1:A2)", True),
        ("+查处问题5起", True),
        ("-2+3", True),  # missed by the import's own pattern (^-[^0-9.])
        ("-1.5个百分点", True),
        ("\t=1", True),
        ("-77.6", False),
        ("-77.6%", False),
        ("+5", False),
        ("-.5", False),
        ("12156", False),
        ("天津市委", False),
        ("", False),
    ],
)
def test_looks_like_formula(text, formula):
    assert looks_like_formula(text) is formula
    assert (export.escape_cell(text) == "'" + text) is formula  # the exports escape exactly these


def test_every_module_uses_the_one_vocabulary():
    assert validate.DOWN_WORDS is vocabulary.DOWN_WORDS
    assert validate.DIRECTION_WORD.pattern == DIRECTION_PATTERN
    assert numbers.QUALIFIER_WORDS is vocabulary.QUALIFIER_WORDS
    assert export.looks_like_formula is vocabulary.looks_like_formula
    assert extract._DIRECTION_RE.pattern == DIRECTION_PATTERN
    assert extract._COUNT_COUNTERS is vocabulary.COUNT_COUNTERS
    # no module keeps its own copy of a numeral table or a list of direction words
    copies = re.compile(r'^\s*_?(?:DOWN|UP)(?:_WORDS)?\s*=|"零": 0|"减少\|', re.M)
    for path in METRICS.glob("*.py"):
        if path.name != "vocabulary.py":
            assert not copies.search(path.read_text(encoding="utf-8")), path.name
