"""Check the hand-made gold files of tests/import_reports (not a pytest module; run it directly).

    python tests/import_reports/check_gold.py [--uncovered] [DIR ...]

For every NAME.txt with a NAME.gold.csv under DIR (default: dev/ and blind/ next to this file):

- the text is UTF-8 (no BOM) and the CSV header is exactly the gold header;
- ``text[start:start+len(as_written)] == as_written`` (``start`` a Python str index);
- ``evidence`` occurs in the text at a place that contains that span;
- ``value`` parses as a number, ``qualifier`` and ``role`` are known codes;
- ``value`` agrees with an independent reading of ``as_written`` (magnitude, counter and
  qualifier words), and a change (change_pct / change_pp / change_abs) is negative exactly when
  the nearest direction word before it says down;
- ``body_zh`` is the name line of the section the figure is in (or, in a report without
  sections, the unit named in the title or first sentence);
- rows are in text order without overlaps, and each report has 50 to 80 figures.

``--uncovered`` also lists every digit or Chinese-numeral run of the text that no gold row
covers (dates, ordinals, names, set phrases…: what the gold leaves out on purpose).
Standard library only. Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from pathlib import Path

HEADER = ["as_written", "value", "counter", "qualifier", "role", "body_zh", "start", "evidence"]
QUALIFIERS = {"exact", "more_than", "at_least", "about", "less_than"}
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
CHANGES = {"change_pct", "change_pp", "change_abs"}

# Traditional -> Simplified for the few characters the independent reader needs.
T2S = str.maketrans(
    "萬億兩餘約個項條處塊戶噸點鐘類與減壓簡縮長", "万亿两余约个项条处块户吨点钟类与减压简缩长"
)
FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")
CN_DIGITS = {
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
CN_SMALL = {"十": 10, "百": 100, "千": 1000}
CN_BIG = {"万": 10**4, "亿": 10**8}
CN = "".join(CN_DIGITS) + "".join(CN_SMALL) + "".join(CN_BIG)
LEADING = {
    "超过": "more_than",
    "逾": "more_than",
    "至少": "at_least",
    "近": "about",
    "约": "about",
    "不到": "less_than",
    "不足": "less_than",
}
TRAILING = {"以上": "more_than", "左右": "about"}
DOWN = ("减少", "下降", "压减", "压缩", "精简", "压降", "缩短", "降幅", "降至", "降低", "减")
UP = ("增长", "增加", "提高", "提升", "翻")


def cn_int(s: str) -> int:
    total = section = num = 0
    for ch in s:
        if ch in CN_DIGITS:
            num = CN_DIGITS[ch]
        elif ch in CN_SMALL:
            section += (num or 1) * CN_SMALL[ch]
            num = 0
        elif ch in CN_BIG:
            total += (section + num) * CN_BIG[ch]
            section = num = 0
    return total + section + num


def number(s: str) -> float:
    s = s.replace(",", "")
    return float(s) if re.fullmatch(r"\d+(\.\d+)?", s) else float(cn_int(s))


NUM = rf"(\d[\d,]*(?:\.\d+)?|[{CN}]+)"


def read(written: str):
    """(magnitude, counter, qualifier) of ``as_written``, read independently of the project."""
    s = written.translate(FULLWIDTH).translate(T2S)
    qualifier = "exact"
    for word, code in LEADING.items():
        if s.startswith(word):
            s, qualifier = s[len(word) :], code
            break
    for word, code in TRAILING.items():
        if s.endswith(word):
            s, qualifier = s[: -len(word)], code
    if re.fullmatch(r"翻(了)?一番", s):
        return 2.0, "倍", qualifier
    if s == "百分之百":
        return 100.0, "%", qualifier
    if s == "一半":
        return 50.0, "%", qualifier
    m = re.fullmatch(rf"([{CN}]+)分之([{CN}]+)", s)
    if m:
        return cn_int(m.group(2)) / cn_int(m.group(1)) * 100, "%", qualifier
    m = re.fullmatch(rf"([{CN}]+)成", s)
    if m:
        return cn_int(m.group(1)) * 10.0, "%", qualifier
    m = re.fullmatch(rf"{NUM}(?:[至到—\-~～]{NUM})?(多|余)?([万亿]*)(多|余)?(.*)", s)
    if not m:
        return None, None, qualifier
    low, high, q1, scale, q2, counter = m.groups()
    value = number(low)
    for ch in scale:
        value *= CN_BIG[ch]
    if high is not None:
        qualifier = "at_least"
    if q1 or q2:
        qualifier = "more_than"
    return value, counter, qualifier


def direction_before(text: str, start: int, reach: int = 16) -> str:
    window = text[max(0, start - reach) : start].translate(T2S)
    best, where = "", -1
    for words, name in ((DOWN, "down"), (UP, "up")):
        for w in words:
            at = window.rfind(w)
            if at > where:
                best, where = name, at
    return best


def check_report(txt: Path, uncovered: bool) -> list[str]:
    problems: list[str] = []
    say = lambda msg: problems.append(f"{txt}: {msg}")  # noqa: E731
    data = txt.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        say("text starts with a BOM")
    text = data.decode("utf-8")
    gold = txt.with_name(txt.stem + ".gold.csv")
    raw = gold.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        say("gold starts with a BOM")
    with open(gold, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader]
    if header != HEADER:
        say(f"header {header} != {HEADER}")
        return problems
    if not 50 <= len(rows) <= 80:
        say(f"{len(rows)} figures (want 50 to 80)")
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]+", text)]
    bodies = {r["body_zh"] for r in rows}
    name_lines = [
        (at + len(line) - len(line.lstrip("　 ")), line.strip("　 "))
        for at, line in lines
        if line.strip("　 ") in bodies
    ]
    sectioned = bool(name_lines)
    prev_end = -1
    for n, r in enumerate(rows, start=2):
        where = f"row {n} ({r['as_written']})"
        written = r["as_written"]
        try:
            start = int(r["start"])
        except ValueError:
            say(f"{where}: start {r['start']!r} is not an integer")
            continue
        if not written or text[start : start + len(written)] != written:
            say(f"{where}: text[{start}:{start + len(written)}] is {text[start : start + len(written)]!r}")
            continue
        if start < prev_end:
            say(f"{where}: starts at {start}, before the end of the previous row ({prev_end})")
        prev_end = start + len(written)
        ev = r["evidence"]
        spans = [m.start() for m in re.finditer(re.escape(ev), text)] if ev else []
        if not any(a <= start and start + len(written) <= a + len(ev) for a in spans):
            say(f"{where}: evidence does not contain the figure at {start}: {ev!r}")
        try:
            value = float(r["value"])
            assert math.isfinite(value)
        except (ValueError, AssertionError):
            say(f"{where}: value {r['value']!r} is not a number")
            continue
        if r["qualifier"] not in QUALIFIERS:
            say(f"{where}: qualifier {r['qualifier']!r}")
        if r["role"] not in ROLES:
            say(f"{where}: role {r['role']!r}")
        magnitude, counter, qualifier = read(written)
        if magnitude is None:
            say(f"{where}: the independent reader cannot read it")
        else:
            if not math.isclose(abs(value), magnitude, rel_tol=1e-9):
                say(f"{where}: value {value} but as_written reads {magnitude}")
            if counter != r["counter"].translate(T2S):
                say(f"{where}: counter {r['counter']!r} but as_written has {counter!r}")
            if qualifier != r["qualifier"]:
                say(f"{where}: qualifier {r['qualifier']} but as_written says {qualifier}")
        if r["role"] in CHANGES:
            direction = direction_before(text, start)
            if not direction:
                say(f"{where}: a change without a direction word before it")
            elif (value < 0) != (direction == "down"):
                say(f"{where}: value {value} but the direction word says {direction}")
        elif value < 0:
            say(f"{where}: negative value for role {r['role']}")
        body = r["body_zh"]
        if not body:
            say(f"{where}: empty body_zh")
        elif sectioned:
            before = [name for at, name in name_lines if at < start]
            if not before or before[-1] != body:
                say(f"{where}: body {body!r} but the section is {before[-1] if before else None!r}")
        elif (
            body not in text[: text.find("\n　　", text.find(body) if body in text else 0) + 80]
            or text.find(body) > start
        ):
            say(f"{where}: body {body!r} is not named before the figures")
    if sectioned and not 3 <= len(bodies) <= 6:
        say(f"{len(bodies)} unit sections (want 3 to 6)")
    if uncovered:
        covered = [(int(r["start"]), int(r["start"]) + len(r["as_written"])) for r in rows]
        for m in re.finditer(rf"[0-9０-９]+|[{CN}兩萬億]+", text):
            if not any(a <= m.start() < b for a, b in covered):
                context = text[max(0, m.start() - 8) : m.end() + 8].replace("\n", "⏎")
                print(f"  left out  {m.group(0)!r:>14}  …{context}…")
    return problems


def main(argv: list[str]) -> int:
    uncovered = "--uncovered" in argv
    dirs = [Path(a) for a in argv if a != "--uncovered"]
    here = Path(__file__).resolve().parent
    dirs = dirs or [here / "dev", here / "blind"]
    problems: list[str] = []
    for d in dirs:
        for txt in sorted(d.glob("*.txt")):
            with open(txt.with_name(txt.stem + ".gold.csv"), encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            units = list(dict.fromkeys(r["body_zh"] for r in rows))
            print(
                f"{txt.parent.name}/{txt.name}: {len(rows)} figures, {len(units)} unit(s): {', '.join(units)}"
            )
            problems += check_report(txt, uncovered)
    for p in problems:
        print(p, file=sys.stderr)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
