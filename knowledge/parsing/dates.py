"""Dates as written in Chinese documents: 2024年3月15日, 二〇二四年三月十五日, 2024-03-15."""

from __future__ import annotations

import datetime as dt
import re

from knowledge.numerals import cn_to_int

_CN = "〇零一二三四五六七八九十两○"
DATE_RE = re.compile(
    rf"(?P<y>[0-9]{{4}}|[{_CN}]{{4}})\s*年\s*(?P<m>[0-9]{{1,2}}|[{_CN}]{{1,3}})\s*月"
    rf"\s*(?P<d>[0-9]{{1,2}}|[{_CN}]{{1,3}})\s*日"
)
ISO_RE = re.compile(r"(?<![0-9])(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?![0-9])")
FILE_DATE_RE = re.compile(r"[(（]\s*(\d{4}-\d{2}-\d{2})\s*[)）]")


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD``, or None."""
    for match in DATE_RE.finditer(text):
        iso = _iso(match.group("y"), match.group("m"), match.group("d"))
        if iso:
            return iso
    for match in ISO_RE.finditer(text):
        iso = _iso(*match.groups())
        if iso:
            return iso
    return None


def all_dates(text: str) -> list[str]:
    found = [_iso(m.group("y"), m.group("m"), m.group("d")) for m in DATE_RE.finditer(text)]
    return [d for d in found if d]


def normalise_date(value: object) -> str | None:
    """A YAML date, ISO string or Chinese date → ISO string."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return parse_date(str(value)) or str(value)


def file_date(stem: str) -> str | None:
    """``民事诉讼法(2021-12-24)`` → ``2021-12-24``."""
    match = FILE_DATE_RE.search(stem)
    return match.group(1) if match else None


def _iso(year: str, month: str, day: str) -> str | None:
    try:
        return dt.date(cn_to_int(year), cn_to_int(month), cn_to_int(day)).isoformat()
    except ValueError:
        return None
