"""Deadlines as staff type them (``3天``, ``11月30日18点``, ``2026-11-30 18:00``), in local time."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from intake.errors import InvalidInput

# A deadline must leave residents time to answer, and a consultation must not linger for months.
MIN_DURATION, MAX_DURATION = timedelta(hours=1), timedelta(days=90)
# A day given without a time closes in the evening: late enough to vote after work, early enough that
# the results do not wake anyone.
DEFAULT_CLOSING_TIME = time(20, 0)

_CN_DIGITS = dict(zip("一二两三四五六七八九十", (1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10), strict=True))


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text in _CN_DIGITS:
        return _CN_DIGITS[text]
    if len(text) == 2 and text[0] == "十" and text[1] in _CN_DIGITS:  # 十五
        return 10 + _CN_DIGITS[text[1]]
    if len(text) in (2, 3) and text[1] == "十" and text[0] in _CN_DIGITS:  # 二十, 二十五
        tail = _CN_DIGITS.get(text[2], 0) if len(text) == 3 else 0
        return _CN_DIGITS[text[0]] * 10 + tail
    return None


_NUM = r"(\d+|[一二两三四五六七八九十]{1,3})"
_RELATIVE_DAYS = re.compile(rf"^{_NUM}\s*(天|日|days?|d)后?$", re.IGNORECASE)
_RELATIVE_HOURS = re.compile(rf"^{_NUM}\s*(个?小时|hours?|h)后?$", re.IGNORECASE)
_DATE = re.compile(
    r"^(?:(?P<year>\d{4})\s*[-/.年]\s*)?(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*[日号]?"
    r"(?:\s*(?P<hour>\d{1,2})\s*(?:[:：点时]\s*(?P<minute>\d{1,2})?\s*分?)?)?$"
)
_NAMED_DAYS = {"今天": 0, "明天": 1, "后天": 2, "today": 0, "tomorrow": 1}


def parse_deadline(text: str, now: datetime, timezone: str = "Asia/Shanghai") -> datetime:
    """A deadline as staff type it, in local time: ``3天`` / ``三天后`` / ``3 days`` (that day at 20:00),
    ``12小时`` / ``12h`` (exactly), ``明天`` / ``后天``, ``11-30`` / ``11月30日`` / ``2026-11-30 18:00`` /
    ``11月30日18点``. Returns an aware UTC datetime; refuses one less than an hour or more than 90 days
    away."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()
    moment: datetime | None = None
    if (match := _RELATIVE_HOURS.match(cleaned)) and (hours := _number(match.group(1))) is not None:
        moment = local_now + timedelta(hours=hours)
    elif (match := _RELATIVE_DAYS.match(cleaned)) and (days := _number(match.group(1))) is not None:
        moment = _evening(local_now.date() + timedelta(days=days), zone)
    elif cleaned.rstrip("后") in _NAMED_DAYS:
        moment = _evening(local_now.date() + timedelta(days=_NAMED_DAYS[cleaned.rstrip("后")]), zone)
    elif match := _DATE.match(cleaned):
        moment = _dated(match, local_now, zone)
    if moment is None:
        raise InvalidInput("deadline", "write it like 3天, 11-30 or 2026-11-30 18:00")
    return checked_deadline(moment, now)


def _evening(day: Any, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, DEFAULT_CLOSING_TIME, tzinfo=zone)


def _dated(match: re.Match[str], local_now: datetime, zone: ZoneInfo) -> datetime | None:
    parts = match.groupdict()
    hour = int(parts["hour"]) if parts["hour"] else DEFAULT_CLOSING_TIME.hour
    minute = int(parts["minute"]) if parts["minute"] else 0
    year = int(parts["year"]) if parts["year"] else local_now.year
    try:
        moment = datetime(year, int(parts["month"]), int(parts["day"]), hour, minute, tzinfo=zone)
    except ValueError:
        return None
    if not parts["year"] and moment < local_now:  # "1-5" said in December means next January
        try:
            moment = moment.replace(year=year + 1)
        except ValueError:
            return None
    return moment


def checked_deadline(moment: datetime, now: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInput("deadline", "needs a time zone")
    if moment - now < MIN_DURATION:
        raise InvalidInput("deadline", "must be at least an hour from now")
    if moment - now > MAX_DURATION:
        raise InvalidInput("deadline", "must be within 90 days")
    return moment.astimezone(ZoneInfo("UTC"))
