"""Masking of personal data (phone and ID numbers) for logs and for people who may not see it."""

from __future__ import annotations

import logging
import re

# Mainland mobile numbers (optionally +86), landlines with area code, 18-digit resident ID numbers.
_ID_NUMBER = re.compile(r"(?<![0-9])([1-9]\d{5})(\d{8})(\d{3}[0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])((?:\+?86[- ]?)?1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?![0-9])")


def mask_id_number(text: str) -> str:
    return _ID_NUMBER.sub(lambda m: m.group(1)[:4] + "*" * 10 + m.group(3)[-4:], text)


def mask_phone(text: str) -> str:
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)


def mask_pii(text: str) -> str:
    """ID numbers first (an ID number contains digit runs that look like phone numbers)."""
    return mask_phone(mask_id_number(text))


class PiiMaskingFilter(logging.Filter):
    """Rewrites every record's message with phone and ID numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's problem; do not lose the record
            return True
        masked = mask_pii(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


def install_pii_filter(logger: logging.Logger | None = None) -> PiiMaskingFilter:
    """Attach the filter to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    pii_filter = PiiMaskingFilter()
    for handler in target.handlers:
        handler.addFilter(pii_filter)
    target.addFilter(pii_filter)
    return pii_filter
