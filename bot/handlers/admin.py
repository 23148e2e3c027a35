"""/admin for the chat ids in HESHI_ADMIN_CHAT_IDS: statistics chart, mediator invites, communities,
knowledge documents."""

from __future__ import annotations

import asyncio
import io
import logging
import tempfile
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import BufferedInputFile, CallbackQuery, Message, TelegramObject, User

import prompts
from bot.callbacks import AdminCb
from bot.keyboards import in_rows, inline, paged
from bot.render import state_name
from bot.replies import sent_at_once
from bot.services import Backend, Services
from bot.settings import BotSettings
from bot.states import AdminForm
from prompts import t

router = Router(name="admin")
log = logging.getLogger(__name__)


class IsAdmin(Filter):
    async def __call__(
        self, event: TelegramObject, settings: BotSettings, event_from_user: User | None = None
    ) -> bool:
        return event_from_user is not None and event_from_user.id in settings.admin_chat_ids


@router.message(Command("admin"), ~IsAdmin())
async def not_admin(message: Message, lang: str) -> None:
    await message.answer(t("bot.admin.not_admin", lang))


@router.message(Command("admin"), IsAdmin())
async def admin_menu(message: Message, lang: str) -> None:
    actions = ("stats", "invite", "community", "upload")
    labels = {"stats": "stats", "invite": "invite", "community": "add_community", "upload": "upload"}
    buttons = [(t(f"bot.admin.{labels[a]}", lang), AdminCb(action=a)) for a in actions]
    await message.answer(t("bot.admin.menu", lang), reply_markup=inline(in_rows(buttons, 2)))


@router.callback_query(AdminCb.filter(), ~IsAdmin())
async def not_admin_button(query: CallbackQuery, lang: str) -> None:
    await query.answer(t("bot.admin.not_admin", lang), show_alert=True)


@router.callback_query(AdminCb.filter(F.action == "stats"))
async def stats(query: CallbackQuery, services: Services, lang: str) -> None:
    await query.answer()
    figures = await services.cases.stats()
    total = sum(figures.get("state", {}).values())
    if not isinstance(query.message, Message):
        return
    if not total:
        await query.message.answer(t("bot.admin.stats_empty", lang))
        return
    image = await asyncio.to_thread(stats_chart, figures, lang)
    await query.message.answer_photo(
        BufferedInputFile(image, filename="stats.png"),
        caption=t("bot.admin.stats_caption", lang, total=total),
    )


# A subset of Noto Sans CJK SC holding every character of the Chinese catalogs (prompts/fonts/OFL.txt):
# servers rarely have a Chinese font, and without one every label of the chart is drawn as a box.
CHART_FONT = Path(prompts.__file__).resolve().parent / "fonts" / "HeshiSansSC-Regular.otf"


def stats_chart(figures: dict[str, dict[str, int]], lang: str = "zh") -> bytes:
    """A PNG with two bar charts: cases by category and by state, labelled in the reader's language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(CHART_FONT))
    family = font_manager.FontProperties(fname=str(CHART_FONT)).get_name()
    titles = {"category": t("bot.admin.chart_category", lang), "state": t("bot.admin.chart_state", lang)}
    with plt.rc_context({"font.family": [family, "DejaVu Sans"]}):
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for axis, key in zip(axes, ("category", "state"), strict=True):
            items = sorted(figures.get(key, {}).items(), key=lambda kv: -kv[1])
            labels = [state_name(k, lang) if key == "state" else k for k, _ in items]
            axis.bar(labels, [v for _, v in items], color="#3b7dd8")
            axis.set_title(titles[key])
            axis.tick_params(axis="x", rotation=45)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        plt.close(fig)
    return buffer.getvalue()


@router.callback_query(AdminCb.filter(F.action == "invite"))
async def invite(
    query: CallbackQuery, callback_data: AdminCb, services: Services, bot: Bot, lang: str
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if not callback_data.value:
        await query.message.answer(
            t("bot.admin.choose_community", lang),
            reply_markup=inline(paged(await _invite_buttons(services), 0, _invite_page, lang)),
        )
        return
    invite = await services.mediators.create_invite(callback_data.value, query.from_user.id)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start=med_{invite.token}"
    text = (
        t("bot.admin.invite_link", lang, link=link)
        + "\n"
        + t("invite.single_use", lang, hours=invite.valid_hours)
    )
    await query.message.answer(text)


async def _invite_buttons(services: Services) -> list[tuple[str, AdminCb]]:
    return [(c.name, AdminCb(action="invite", value=c.code)) for c in await services.communities.list()]


def _invite_page(page: int) -> AdminCb:
    return AdminCb(action="invite_page", value=str(page))


@router.callback_query(AdminCb.filter(F.action == "invite_page"))
async def invite_page(query: CallbackQuery, callback_data: AdminCb, services: Services, lang: str) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        page = paged(await _invite_buttons(services), callback_data.value, _invite_page, lang)
        await query.message.edit_reply_markup(reply_markup=inline(page))


async def _ask_for(
    query: CallbackQuery, state: FSMContext, form_state: State, prompt_key: str, lang: str
) -> None:
    """A menu button that opens a one-step admin form: remember the step, show its prompt."""
    await query.answer()
    await state.set_state(form_state)
    if isinstance(query.message, Message):
        await query.message.answer(t(prompt_key, lang))


@router.callback_query(AdminCb.filter(F.action == "community"))
async def community_prompt(query: CallbackQuery, state: FSMContext, lang: str) -> None:
    await _ask_for(query, state, AdminForm.community, "bot.admin.community_prompt", lang)


@router.message(AdminForm.community, F.text, IsAdmin())
async def community_add(message: Message, services: Services, state: FSMContext, lang: str) -> None:
    parts = (message.text or "").split()
    if len(parts) not in (2, 3):
        await message.answer(t("bot.admin.community_bad", lang))
        return
    code, name = parts[0].upper(), parts[1]
    parent = parts[2].upper() if len(parts) == 3 else None
    await services.communities.add(code, name, parent, "grid" if parent and "-" in code else "village")
    await state.clear()
    await message.answer(t("bot.admin.community_added", lang, code=code, name=name))


@router.callback_query(AdminCb.filter(F.action == "upload"))
async def upload_prompt(query: CallbackQuery, state: FSMContext, lang: str) -> None:
    await _ask_for(query, state, AdminForm.upload, "bot.admin.upload_prompt", lang)


@router.message(AdminForm.upload, F.document, IsAdmin())
async def upload(message: Message, bot: Bot, backend: Backend, state: FSMContext, lang: str) -> None:
    assert message.document is not None
    name = message.document.file_name or "document.txt"
    with sent_at_once():  # the progress message is shown at once and edited when the ingest ends
        progress = await message.answer(t("bot.admin.ingesting", lang, name=name))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(name).name
            await bot.download(message.document, destination=path)
            community = (message.caption or "").strip().upper() or None
            try:
                units = await backend.ingest_document(path, community)
            except Exception as error:
                log.exception("ingest of %s failed", name)
                await progress.edit_text(t("bot.admin.ingest_failed", lang, error=type(error).__name__))
                return
        await state.clear()
        await progress.edit_text(t("bot.admin.ingested", lang, name=name, units=units))
