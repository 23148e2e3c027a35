"""Chinese ↔ Arabic numerals as written in statute article numbers (第一千二百六十条).

``cn_to_int`` reads what people and statutes write: 十, 一十, 二百零五, 两千, 〇/零, 一〇五 (digit by
digit), Arabic and full-width digits. ``int_to_cn`` writes the statute style: 十 (not 一十) at the
start, 零 for each run of missing places, 一百一十 inside larger numbers.
"""

from __future__ import annotations

DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0,
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}
UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
MYRIAD = {"万": 10_000, "萬": 10_000}
NUMERAL_CHARS = "".join(DIGITS) + "".join(UNITS) + "".join(MYRIAD) + "0123456789０１２３４５６７８９"

_WRITE_DIGITS = "零一二三四五六七八九"
_WRITE_UNITS = ((1000, "千"), (100, "百"), (10, "十"))
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def cn_to_int(text: str) -> int:
    """Parse a Chinese, Arabic or full-width number; ``ValueError`` when it is none of these."""
    s = text.strip().translate(_FULLWIDTH)
    if not s:
        raise ValueError("empty numeral")
    if s.isascii() and s.isdigit():
        return int(s)
    if any(ch not in DIGITS and ch not in UNITS and ch not in MYRIAD for ch in s):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if not any(ch in UNITS or ch in MYRIAD for ch in s):
        # 一〇五 / 二〇二四: digit by digit, as in years.
        return int("".join(str(DIGITS[ch]) for ch in s))
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch in UNITS:
            section += (1 if digit is None else digit) * UNITS[ch]
            digit = None
        else:  # 万
            section += digit or 0
            total += (section or 1) * MYRIAD[ch]
            section, digit = 0, None
    return total + section + (digit or 0)


def int_to_cn(n: int) -> str:
    """Write ``n`` (0..99,999,999) the way Chinese statutes number articles."""
    if n < 0:
        raise ValueError("negative numbers have no article label")
    if n == 0:
        return "零"
    if n >= 10_000:
        high, low = divmod(n, 10_000)
        if low == 0:
            return f"{int_to_cn(high)}万"
        return f"{int_to_cn(high)}万{'零' if low < 1000 else ''}{_below_myriad(low, leading=False)}"
    return _below_myriad(n, leading=True)


def _below_myriad(n: int, *, leading: bool) -> str:
    out: list[str] = []
    pending_zero = False
    for value, unit in _WRITE_UNITS:
        digit, n = divmod(n, value)
        if digit:
            if pending_zero:
                out.append("零")
                pending_zero = False
            # 十一 at the very start, but 一百一十 further in.
            if not (unit == "十" and digit == 1 and leading and not out):
                out.append(_WRITE_DIGITS[digit])
            out.append(unit)
        elif out:
            pending_zero = True
    if n:
        if pending_zero:
            out.append("零")
        out.append(_WRITE_DIGITS[n])
    return "".join(out)


def article_label(number: int, suffix: int | str | None = None) -> str:
    """``第二百九十六条``; with ``suffix`` 1 → ``第一百二十条之一``."""
    label = f"第{int_to_cn(number)}条"
    if suffix is None:
        return label
    suffix_text = int_to_cn(suffix) if isinstance(suffix, int) else suffix
    return f"{label}之{suffix_text}"
