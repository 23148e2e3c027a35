"""Callback data of every inline button, short enough for Telegram's 64-byte limit."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class StartCb(CallbackData, prefix="s"):
    action: str  # community, page, grid, consent
    value: str = ""


class FormCb(CallbackData, prefix="f"):
    action: str  # pick, back, cancel, skip, done, confirm, edit, field
    value: str = ""


class OfferCb(CallbackData, prefix="o"):
    action: str  # case, suggestion, report


class CaseCb(CallbackData, prefix="c"):
    action: str  # accept, decline, contacted, meeting, agreement, failed, refer, note, close
    case_no: str


class ReasonCb(CallbackData, prefix="r"):
    index: int


class FeedbackCb(CallbackData, prefix="fb"):
    case_no: str
    score: int


class PrivacyCb(CallbackData, prefix="p"):
    action: str  # export, delete, confirm


class AdminCb(CallbackData, prefix="a"):
    action: str  # stats, invite, invite_page, community, upload
    value: str = ""


class LanguageCb(CallbackData, prefix="lg"):
    code: str  # zh, en


class StaffCb(CallbackData, prefix="st"):
    action: str  # in_progress, fixed (a hazard report), reply (a suggestion), more_reports/_suggestions
    item: int  # the item; for more_*: the id of the last card shown
