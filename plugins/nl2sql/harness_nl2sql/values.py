"""Numbers and values as people write them in Chinese questions, and where a value sits in a question.

Shared by the data generator (to write a value differently from the table), by label derivation
for training (TableQA gives no value spans: they are found in the question, as the post does) and
by both models (to turn a tagged span into a SQL value). Pure Python: imported on every run.
"""

from __future__ import annotations

import difflib
import math
import re

OPS = {0: ">", 1: "<", 2: "==", 3: "!="}
AGGS = {0: "", 1: "AVG", 2: "MAX", 3: "MIN", 4: "COUNT", 5: "SUM"}
CONNS = {0: "", 1: "and", 2: "or"}

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def canonical_number(value: float) -> str:
    """The one string a number is stored as in SQL values: no trailing zeros, no exponent."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _small_cn(text: str) -> float | None:
    """Chinese numerals below 10,000 ("三", "十二", "两千五百", "三千零五")."""
    if not text:
        return None
    if all(c in CN_DIGITS for c in text) and len(text) > 1:  # digit by digit, e.g. 二零一九
        return float("".join(str(CN_DIGITS[c]) for c in text))
    total, digit = 0, None
    for char in text:
        if char in CN_DIGITS:
            digit = CN_DIGITS[char]
        elif char in CN_UNITS:
            total += (1 if digit is None else digit) * CN_UNITS[char]
            digit = None
        else:
            return None
    return float(total + (digit or 0))


def parse_number(text: str) -> float | None:
    """Read "350", "3.5", "1.2万", "两千", "三", "5%", "1亿" as a number; None if it is not one.

    A trailing 万/亿 multiplies (the caller strips it first where the column's unit is already 万).
    """
    text = text.strip().replace(",", "").replace("，", "")
    if text.startswith("百分之"):  # 百分之二十 = 20%
        text = text[3:]
    text = text.rstrip("%％")
    if not text:
        return None
    factor = 1.0
    while text and text[-1] in BIG_UNITS:
        factor *= BIG_UNITS[text[-1]]
        text = text[:-1]
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        return float(text) * factor
    if text[-1] in CN_DIGITS and len(text) >= 2 and text[-2] in "千百" and text[-1] != "零":
        # "两千五" means 2500: a trailing digit after 千/百 is the next place down.
        head = _small_cn(text[:-1])
        if head is not None:
            return (head + CN_DIGITS[text[-1]] * CN_UNITS[text[-2]] / 10) * factor
    small = _small_cn(text)
    return None if small is None else small * factor


def to_chinese(n: int) -> str:
    """An integer 0-99,999 in Chinese numerals (两 for a leading 2 before 千/百)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    parts, zero = [], False
    for unit, name in ((10_000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // unit % 10 if unit < 10_000 else n // unit
        if d:
            if zero:
                parts.append("零")
            word = "两" if d == 2 and name in ("千", "百", "万") else digits[d]
            parts.append(word + name)
            zero = False
        elif parts:
            zero = True
    return "".join(parts)


def number_forms(value: float) -> list[str]:
    """Ways a question may write a number, most literal first (used to find it in a question)."""
    forms = [canonical_number(value)]
    if value == int(value):
        n = int(value)
        if 0 < n < 100_000 and n % 10_000 != 0 and n >= 10_000:
            forms.append(canonical_number(n / 10_000) + "万")
        if n >= 10_000 and n % 10_000 == 0:
            forms += [canonical_number(n / 10_000) + "万", to_chinese(n // 10_000) + "万"]
        if n >= 100_000_000 and n % 10_000_000 == 0:
            forms.append(canonical_number(n / 100_000_000) + "亿")
        if 0 < n <= 99 or (100 <= n < 10_000 and n % 100 == 0):
            forms.append(to_chinese(n))
        if 1000 <= n < 10_000 and n % 100 == 0:
            forms.append(canonical_number(n / 1000) + "千")
    return forms


_NUMERAL = re.compile(r"-?\d+(?:\.\d+)?[万亿]*[%％]?|百分之.+|[零〇一二两三四五六七八九十百千]+[万亿]*")


def text_cell(cell: object) -> str | None:
    """A text column's cell as stored: real TableQA text columns hold numbers too (5.0), kept as "5"."""
    if cell is None:
        return None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and math.isfinite(cell):
        return canonical_number(float(cell))
    return str(cell)


def normalise_value(value: object) -> str:
    """A hashable canonical form for comparing values as a set.

    TableQA writes every condition value as a string ("20", "3.17") and models may read a number
    from the question as 二十, 2万 or 20%: every form `parse_number` reads as a numeral compares by
    its number (20 = 20.0 = 二十 = 20%; 2万 = 20000); anything else by its trimmed text.
    """
    text = str(value).strip()
    if _NUMBER.fullmatch(text):
        return canonical_number(float(text))
    if _NUMERAL.fullmatch(text):
        number = parse_number(text)
        if number is not None:
            return canonical_number(number)
    return text


def locate(question: str, value: str, numeric: bool) -> tuple[int, int] | None:
    """Character span of a condition value in the question, or None if it is not recognisably there.

    Tries the value verbatim, then (for numbers) the usual ways to write it, then the closest
    window by character similarity (abbreviations such as 北京市 -> 北京, 清华大学 -> 清华) that
    shares the value's first character.
    """
    value = str(value).strip()
    if not value:
        return None
    candidates = [value]
    number = parse_number(value) if numeric or _NUMBER.fullmatch(value) else None
    if number is not None:
        candidates += number_forms(number)
    for candidate in candidates:
        start = _find_standalone(question, candidate)
        if start is not None:
            return start, start + len(candidate)
    if number is not None:
        return None
    best, best_ratio = None, 0.0
    for i, char in enumerate(question):
        if char != value[0]:
            continue
        for j in range(i + 2, min(len(question), i + len(value) + 1) + 1):
            ratio = difflib.SequenceMatcher(None, question[i:j], value).ratio()
            if ratio > best_ratio:
                best, best_ratio = (i, j), ratio
    return best if best_ratio >= 0.6 else None


def _find_standalone(question: str, candidate: str) -> int | None:
    """First occurrence not glued to a longer number (finding "3" inside "35" would be wrong)."""
    start = question.find(candidate)
    while start >= 0:
        before = question[start - 1] if start else ""
        after = question[start + len(candidate)] if start + len(candidate) < len(question) else ""
        digit_like = candidate[:1].isdigit() or candidate[:1] in CN_DIGITS
        if not digit_like or (not _numeric_char(before) and not _numeric_char(after)):
            return start
        start = question.find(candidate, start + 1)
    return None


def _numeric_char(char: str) -> bool:
    return bool(char) and (char.isdigit() or char == "." or char in CN_DIGITS or char in CN_UNITS)


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def snap(value: str, choices: list[str]) -> str:
    """The post's rule for "==" values: a value not in the table becomes its closest table value.

    Closeness is edit distance, ties broken by shared characters (北大 is closer to 北京大学 than to 南京大学).
    """
    if not choices or value in choices:
        return value
    number = parse_number(value) if _NUMERAL.fullmatch(value.strip()) else None
    if number is not None:  # a number in a text column ("二十" for the cell "20"): snap by value first
        same = [c for c in choices if (n := parse_number(c)) is not None and math.isclose(n, number, abs_tol=1e-9)]
        if same:
            return same[0]
    return min(choices, key=lambda c: (edit_distance(value, c) - len(set(value) & set(c)), len(c)))


def span_value(span: str, column_type: str, header: str) -> str:
    """Turn a tagged question span into a SQL value for a column of the given type and header."""
    span = span.strip().strip("的“”\"'")
    if column_type != "real":
        return span
    text = span.rstrip("%％元块个件人辆台家所座部本套平米岁分次手股")
    unit_in_header = next((u for u in ("亿", "万") if u in header), "")
    if unit_in_header and text.endswith(unit_in_header):
        text = text[: -len(unit_in_header)]
    number = parse_number(text)
    return canonical_number(number) if number is not None else span
