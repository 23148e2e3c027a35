"""Turning service data into chat text: long-message splitting, timelines, notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.services import CaseView
from prompts import catalog, t

TELEGRAM_LIMIT = 4096


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at paragraph, then line, then sentence boundaries; a hard cut only as the last resort."""
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = _cut_point(text[:limit], limit)
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def _cut_point(window: str, limit: int) -> int:
    for separator in ("\n\n", "\n", "。", "；", "！", "？", "，", " "):
        index = window.rfind(separator)
        if index >= limit // 2:
            return index + len(separator)
    return limit


def ago(moment: datetime, lang: str, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now()) - moment).total_seconds()))
    if seconds < 60:
        return t("bot.ago.just_now", lang)
    if seconds < 3600:
        return t("bot.ago.minutes", lang, n=seconds // 60)
    if seconds < 86400:
        return t("bot.ago.hours", lang, n=seconds // 3600)
    return t("bot.ago.days", lang, n=seconds // 86400)


def state_name(state: str, lang: str) -> str:
    key = f"bot.state.{state}"
    return t(key, lang) if catalog().has(key) else state


def timeline(case: CaseView, lang: str) -> str:
    lines = [
        t(
            "bot.mycases.case",
            lang,
            case_no=case.case_no,
            category=case.category,
            state=state_name(case.state, lang),
        )
    ]
    for event in case.events:
        key = f"bot.event.{event.action}"
        action = t(key, lang) if catalog().has(key) else event.action
        lines.append(t("bot.mycases.event", lang, at=f"{event.at:%m-%d %H:%M}", action=action))
    return "\n".join(lines)


class _Blank(dict[str, Any]):
    """Formatting parameters where a field the payload lacks renders as a dash, never an error."""

    def __missing__(self, key: str) -> str:
        return "—"


_DATE_FIELDS = ("due_at", "deadline", "expires_at", "due")


def notification_text(kind: str, payload: dict[str, Any], lang: str, namespace: str = "bot.notify") -> str:
    key = f"{namespace}.{kind}"
    if not catalog().has(key):
        return t("bot.notify.generic", lang, kind=kind) + f" {payload.get('case_no', '')}".rstrip()
    params = _Blank({k: ("" if v is None else v) for k, v in payload.items()})
    if payload.get("created_at"):
        params["ago"] = ago(_naive_local(datetime.fromisoformat(str(payload["created_at"]))), lang)
    if payload.get("state"):
        params["state_name"] = state_name(str(payload["state"]), lang)
    for field in _DATE_FIELDS:
        if payload.get(field):
            params[field] = str(payload[field])[:10]
    params.setdefault("note", "")
    return catalog().get(key, lang).format_map(params).replace("  ", " ").strip()


def _naive_local(moment: datetime) -> datetime:
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment
