"""/start: choose the community (and grid) by buttons, code or deep link; consent; mediator invites."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import StartCb
from bot.keyboards import in_rows, inline, main_menu, paged
from bot.services import Community, Resident, ServiceError, Services
from bot.settings import BotSettings
from prompts import t

router = Router(name="start")
INVITE_PREFIX = "med_"


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    services: Services,
    resident: Resident | None,
    lang: str,
    state: FSMContext,
) -> None:
    assert message.from_user is not None
    payload = (command.args or "").strip()
    if payload.startswith(INVITE_PREFIX):
        await _redeem_invite(message, services, payload[len(INVITE_PREFIX) :], lang)
        return
    if payload:
        community = await services.communities.get(payload)
        if community is not None:
            await message.answer(t("bot.start.welcome", lang))
            await _choose_grid_or_consent(
                message, services, community, message.from_user.id, message.from_user.full_name, lang
            )
            return
        await message.answer(t("bot.start.unknown_community", lang, code=payload))
    if resident is not None and resident.consented and not payload:
        await message.answer(t("bot.start.back_again", lang), reply_markup=main_menu(lang))
        return
    await message.answer(t("bot.start.welcome", lang))
    await _ask_community(message, services, lang)


async def _community_buttons(services: Services) -> list[tuple[str, StartCb]]:
    communities = [c for c in await services.communities.list() if c.level in ("village", "community")]
    if not communities:
        communities = await services.communities.list()
    return [(c.name, StartCb(action="community", value=c.code)) for c in communities]


def _turn_to(page: int) -> StartCb:
    return StartCb(action="page", value=str(page))


async def _ask_community(message: Message, services: Services, lang: str) -> None:
    buttons = await _community_buttons(services)
    if not buttons:
        await message.answer(t("bot.start.no_communities", lang))
        return
    await message.answer(
        t("bot.start.choose_community", lang), reply_markup=inline(paged(buttons, 0, _turn_to, lang))
    )


@router.callback_query(StartCb.filter(F.action == "page"))
async def community_page(query: CallbackQuery, callback_data: StartCb, services: Services, lang: str) -> None:
    """Another page of the community buttons, in the same message."""
    await query.answer()
    buttons = await _community_buttons(services)
    if buttons and isinstance(query.message, Message):
        page = paged(buttons, callback_data.value, _turn_to, lang)
        await query.message.edit_reply_markup(reply_markup=inline(page))


async def _choose_grid_or_consent(
    message: Message, services: Services, community: Community, chat_id: int, name: str, lang: str
) -> None:
    await services.residents.register(chat_id, name, community.code, None, lang)
    await message.answer(t("bot.start.community_set", lang, name=community.name))
    if community.grids:
        buttons = [(grid, StartCb(action="grid", value=grid)) for grid in community.grids]
        buttons.append((t("bot.start.grid_skip", lang), StartCb(action="grid", value="")))
        await message.answer(t("bot.start.choose_grid", lang), reply_markup=inline(in_rows(buttons, 2)))
        return
    await _ask_consent(message, lang)


async def _ask_consent(message: Message, lang: str) -> None:
    await message.answer(
        t("bot.start.privacy", lang),
        reply_markup=inline(
            [
                [
                    (t("bot.start.agree", lang), StartCb(action="consent", value="yes")),
                    (t("bot.start.disagree", lang), StartCb(action="consent", value="no")),
                ]
            ]
        ),
    )


async def _redeem_invite(message: Message, services: Services, token: str, lang: str) -> None:
    assert message.from_user is not None
    try:
        community = await services.mediators.redeem_invite(
            token, message.from_user.id, message.from_user.full_name
        )
    except ServiceError as error:
        await message.answer(t(error.key, lang, **error.params))
        return
    await message.answer(t("bot.start.mediator_welcome", lang, community=community))


@router.message(StateFilter(None), F.text.regexp(r"^[A-Za-z]{2,5}(-\d{1,3})?$"), F.text.as_("code"))
async def community_code(
    message: Message, code: str, services: Services, resident: Resident | None, lang: str
) -> None:
    """A bare community code typed by someone who has not chosen a community yet."""
    community = await services.communities.get(code)
    if community is None or (resident is not None and resident.community):
        raise SkipHandler()  # an ordinary short word: the free-message triage handles it
    assert message.from_user is not None
    await _choose_grid_or_consent(
        message, services, community, message.from_user.id, message.from_user.full_name, lang
    )


@router.callback_query(StartCb.filter(F.action == "community"))
async def picked_community(
    query: CallbackQuery, callback_data: StartCb, services: Services, lang: str
) -> None:
    community = await services.communities.get(callback_data.value)
    await query.answer()
    if community is None or not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    await _choose_grid_or_consent(
        query.message, services, community, query.from_user.id, query.from_user.full_name, lang
    )


@router.callback_query(StartCb.filter(F.action == "grid"))
async def picked_grid(
    query: CallbackQuery, callback_data: StartCb, services: Services, resident: Resident | None, lang: str
) -> None:
    await query.answer()
    if resident is None or resident.community is None or not isinstance(query.message, Message):
        return
    await services.residents.register(
        query.from_user.id, resident.name, resident.community, callback_data.value or None, lang
    )
    await query.message.edit_reply_markup(reply_markup=None)
    await _ask_consent(query.message, lang)


@router.callback_query(StartCb.filter(F.action == "consent"))
async def consent(
    query: CallbackQuery,
    callback_data: StartCb,
    services: Services,
    resident: Resident | None,
    lang: str,
    settings: BotSettings,
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.value != "yes" or resident is None:
        await query.message.answer(t("bot.start.declined_consent", lang), reply_markup=main_menu(lang))
        return
    await services.residents.consent(query.from_user.id, settings.privacy_version)
    await query.message.answer(t("bot.start.consented", lang), reply_markup=main_menu(lang))
