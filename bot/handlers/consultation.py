"""众人商量 (community consultations): residents vote with one tap and may change their vote until the
deadline; staff open one with a four-step form. /consult (or typing 众人商量) lists what is open.

Every vote is checked by the consultation service: a forged or stale button, a vote after the deadline
or from another community gets a polite alert and changes nothing. Results come through the outbox
(``render_notification``), counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
)

from bot.keyboards import Button, inline, main_menu
from bot.services import Ballot, ServiceError, Services
from prompts import SUPPORTED_LANGUAGES, t

router = Router(name="consultation")
log = logging.getLogger(__name__)

HOUSEHOLD_REQUIRED = "consultation.errors.household_required"


class ConsultCb(CallbackData, prefix="cs"):
    action: str  # list, vote, new, community, per, publish, cancel, withdraw, withdraw_yes, withdraw_no
    id: int = 0
    option: int = 0
    value: str = ""


class ConsultForm(StatesGroup):
    community = State()
    title = State()
    options = State()
    deadline = State()
    per = State()
    confirm = State()
    household = State()


# ---------------------------------------------------------------------------------------- rendering
def ballot_text(
    *,
    community: str,
    title: str,
    description: str,
    closes: str,
    per: str,
    lang: str,
    chosen: str | None = None,
) -> str:
    text = t(
        "consultation.ballot",
        lang,
        community=community,
        title=title,
        description=f"\n{description}" if description else "",
        closes=closes,
        who=t(f"consultation.per_{per}", lang),
    )
    footer = t("consultation.my_choice", lang, label=chosen) if chosen else t("consultation.not_voted", lang)
    return f"{text}\n{footer}"


def ballot_keyboard(
    consultation_id: int, options: list[tuple[int, str]], chosen: int | None, lang: str
) -> InlineKeyboardMarkup:
    """One big button per option (one per row: easy to hit), the chosen one ticked."""
    mark = t("consultation.chosen_mark", lang)
    return inline(
        [
            [
                (
                    (mark if option_id == chosen else "") + label,
                    ConsultCb(action="vote", id=consultation_id, option=option_id),
                )
            ]
            for option_id, label in options
        ]
    )


def _ballot_message(ballot: Ballot, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    chosen = next((o.label for o in ballot.options if o.id == ballot.my_option_id), None)
    text = ballot_text(
        community=ballot.community_name,
        title=ballot.title,
        description=ballot.description,
        closes=ballot.closes_local,
        per=ballot.per,
        lang=lang,
        chosen=chosen,
    )
    options = [(o.id, o.label) for o in ballot.options]
    return text, ballot_keyboard(ballot.id, options, ballot.my_option_id, lang)


def results_text(payload: dict[str, Any], lang: str, *, staff: bool = False) -> str:
    lines = [
        t(
            "consultation.closed_title",
            lang,
            community=payload.get("community", ""),
            title=payload.get("title", ""),
        )
    ]
    for count in payload.get("counts") or []:
        lines.append(
            t("consultation.count_line", lang, label=count.get("label", ""), votes=count.get("votes", 0))
        )
    votes, eligible, turnout = payload.get("votes", 0), payload.get("eligible", 0), payload.get("turnout")
    if turnout is None:
        lines.append(t("consultation.turnout_unknown", lang, votes=votes))
    else:
        lines.append(
            t("consultation.turnout", lang, votes=votes, eligible=eligible, percent=f"{turnout:.0%}")
        )
    if staff:
        lines.append(t("consultation.staff_note", lang))
    return "\n".join(lines)


def render_notification(
    kind: str, payload: dict[str, Any], lang: str
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """Text and buttons of a consultation notification from the outbox; ``None`` for other kinds."""
    if kind == "consultation_opened":
        options = [(int(o["id"]), str(o["label"])) for o in payload.get("options") or []]
        text = ballot_text(
            community=str(payload.get("community", "")),
            title=str(payload.get("title", "")),
            description=str(payload.get("description", "")),
            closes=str(payload.get("closes_local") or payload.get("closes_at", ""))[:16],
            per=str(payload.get("per", "resident")),
            lang=lang,
        )
        return text, ballot_keyboard(int(payload.get("consultation_id", 0)), options, None, lang)
    if kind == "consultation_reminder":
        rendered = render_notification("consultation_opened", payload, lang)
        assert rendered is not None
        return t("consultation.reminder", lang) + "\n" + rendered[0], rendered[1]
    if kind == "consultation_cancelled":
        text = t(
            "consultation.cancelled_notice",
            lang,
            community=payload.get("community", ""),
            title=payload.get("title", ""),
        )
        return text, None
    if kind in ("consultation_closed", "consultation_results"):
        return results_text(payload, lang, staff=kind == "consultation_results"), None
    return None


def menu_labels() -> set[str]:
    return {t("consultation.menu_label", lang) for lang in SUPPORTED_LANGUAGES}


# ---------------------------------------------------------------------------------------- residents
def entry_button(lang: str) -> InlineKeyboardButton:
    """The way in from another menu (提建议): 众人商量 has no button of its own on the main keyboard,
    which stays at five large buttons for elderly users."""
    return InlineKeyboardButton(
        text=t("consultation.entry", lang), callback_data=ConsultCb(action="list").pack()
    )


@router.message(Command("consult"))
@router.message(F.text.in_(menu_labels()))
async def consult(message: Message, state: FSMContext, services: Services, lang: str) -> None:
    assert message.from_user is not None
    await state.clear()
    await _show(message, message.from_user.id, services, lang)


@router.callback_query(ConsultCb.filter(F.action == "list"))
async def consult_pressed(query: CallbackQuery, state: FSMContext, services: Services, lang: str) -> None:
    await query.answer()
    await state.clear()  # leaving whatever form the button sat under
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await _show(query.message, query.from_user.id, services, lang)


async def _show(message: Message, chat_id: int, services: Services, lang: str) -> None:
    """The open ballots with the person's choices; for staff, turnout so far and the form's button."""
    ballots = await services.consultations.open_for(chat_id)
    for ballot in ballots:
        text, keyboard = _ballot_message(ballot, lang)
        await message.answer(text, reply_markup=keyboard)
    if not await services.consultations.opener_communities(chat_id):
        if not ballots:
            await message.answer(t("consultation.none_open", lang), reply_markup=main_menu(lang))
        return
    overview = await services.consultations.turnout_for_staff(chat_id)
    lines = [
        t(
            "consultation.staff_line",
            lang,
            title=o.title,
            votes=o.votes,
            eligible=o.eligible,
            closes=o.closes_local,
        )
        for o in overview
    ]
    if lines:
        text = t("consultation.staff_overview", lang) + "\n" + "\n".join(lines)
    else:
        text = t("consultation.none_open" if not ballots else "consultation.staff_none", lang)
    rows: list[list[Button]] = [[(t("consultation.form.new", lang), ConsultCb(action="new"))]]
    rows += [
        [(t("consultation.withdraw", lang, title=o.title[:20]), ConsultCb(action="withdraw", id=o.id))]
        for o in overview
    ]
    await message.answer(text, reply_markup=inline(rows))


@router.callback_query(ConsultCb.filter(F.action == "withdraw"))
async def withdraw(query: CallbackQuery, callback_data: ConsultCb, lang: str) -> None:
    """Cancelling voids every vote cast: ask once more before doing it."""
    await query.answer()
    if isinstance(query.message, Message):
        confirm = [
            (t("consultation.withdraw_yes", lang), ConsultCb(action="withdraw_yes", id=callback_data.id)),
            (t("consultation.withdraw_no", lang), ConsultCb(action="withdraw_no")),
        ]
        await query.message.answer(t("consultation.withdraw_confirm", lang), reply_markup=inline([confirm]))


@router.callback_query(ConsultCb.filter(F.action.in_({"withdraw_yes", "withdraw_no"})))
async def withdraw_answer(
    query: CallbackQuery, callback_data: ConsultCb, services: Services, lang: str
) -> None:
    if callback_data.action == "withdraw_no":
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        return
    try:
        title = await services.consultations.cancel(callback_data.id, query.from_user.id)
    except ServiceError as error:
        await _refuse(query, error, lang)
        return
    await query.answer()
    _reply_after_commit(services, query.message, t("consultation.withdrawn", lang, title=title))


def _reply_after_commit(
    services: Services,
    message: object,
    text: str,
    *,
    markup: ReplyKeyboardMarkup | None = None,
    state: FSMContext | None = None,
) -> None:
    """Confirm only once the change and its notices are committed: the buttons go, the text comes."""

    async def reply() -> None:
        if state is not None:
            await state.clear()
        if isinstance(message, Message):
            await message.edit_reply_markup(reply_markup=None)
            await message.answer(text, reply_markup=markup)

    services.on_commit.append(reply)


async def _refuse(query: CallbackQuery, error: ServiceError, lang: str) -> None:
    log.info("consultation refused %s from %s: %s", query.data, query.from_user.id, error.key)
    await query.answer(t(error.key, lang, **error.params), show_alert=True)


async def _cast(services: Services, chat_id: int, consultation_id: int, option_id: int, lang: str) -> str:
    """Vote and return the short confirmation ("已记下：…")."""
    result = await services.consultations.vote(consultation_id, chat_id, option_id)
    key = "unchanged" if result.unchanged else "changed" if result.changed else "voted"
    return t(f"consultation.{key}", lang, label=result.label)


async def _current_ballot(services: Services, chat_id: int, consultation_id: int) -> Ballot | None:
    return next((b for b in await services.consultations.open_for(chat_id) if b.id == consultation_id), None)


@router.callback_query(ConsultCb.filter(F.action == "vote"))
async def vote(
    query: CallbackQuery, callback_data: ConsultCb, services: Services, state: FSMContext, lang: str
) -> None:
    chat_id = query.from_user.id
    try:
        confirmation = await _cast(services, chat_id, callback_data.id, callback_data.option, lang)
    except ServiceError as error:
        if error.key != HOUSEHOLD_REQUIRED:
            await _refuse(query, error, lang)
            return
        await query.answer()
        await state.set_state(ConsultForm.household)
        await state.update_data(consult_vote={"id": callback_data.id, "option": callback_data.option})
        if isinstance(query.message, Message):
            await query.message.answer(
                t("consultation.household_prompt", lang), reply_markup=_with_cancel([], lang)
            )
        return
    ballot = await _current_ballot(services, chat_id, callback_data.id)
    message = query.message

    async def confirm() -> None:
        """After the commit, so that a Telegram hiccup (a query too old to answer, a message that can no
        longer be edited) can never undo the vote itself."""
        try:
            await query.answer(confirmation)
            if ballot is not None and isinstance(message, Message):
                text, keyboard = _ballot_message(ballot, lang)
                if text != (message.text or ""):  # the same option again: nothing new to show
                    await message.edit_text(text, reply_markup=keyboard)
        except TelegramAPIError as error:
            log.info("vote recorded; could not show it on the ballot: %s", error)

    services.on_commit.append(confirm)


@router.message(ConsultForm.household, F.text)
async def household(message: Message, state: FSMContext, services: Services, lang: str) -> None:
    assert message.from_user is not None and message.text is not None
    chat_id = message.from_user.id
    try:
        label = await services.consultations.set_household(chat_id, message.text)
    except ServiceError as error:
        await message.answer(t(error.key, lang, **error.params))
        return
    pending = (await state.get_data()).get("consult_vote") or {}
    await state.clear()
    await message.answer(t("consultation.household_saved", lang, label=label))
    if not pending:
        return
    try:
        confirmation = await _cast(services, chat_id, int(pending["id"]), int(pending["option"]), lang)
    except ServiceError as error:
        await message.answer(t(error.key, lang, **error.params))
        return
    ballot = await _current_ballot(services, chat_id, int(pending["id"]))
    if ballot is not None:
        text, keyboard = _ballot_message(ballot, lang)
        await message.answer(f"{confirmation}\n\n{text}", reply_markup=keyboard)


# ---------------------------------------------------------------------------------------- staff form
def _with_cancel(rows: list[list[Button]], lang: str) -> InlineKeyboardMarkup:
    return inline([*rows, [(t("consultation.cancel", lang), ConsultCb(action="cancel"))]])


async def _ask(message: Message, state: FSMContext, step: State, lang: str, **data: Any) -> None:
    await state.set_state(step)
    if data:
        await state.update_data(**data)
    name = (step.state or "").rsplit(":", 1)[-1]
    if step is ConsultForm.per:
        rows: list[list[Button]] = [
            [(t(f"consultation.form.per_{per}", lang), ConsultCb(action="per", value=per))]
            for per in ("resident", "household")
        ]
        await message.answer(t("consultation.form.per", lang), reply_markup=_with_cancel(rows, lang))
        return
    await message.answer(t(f"consultation.form.{name}", lang), reply_markup=_with_cancel([], lang))


@router.callback_query(ConsultCb.filter(F.action == "new"))
async def new(query: CallbackQuery, state: FSMContext, services: Services, lang: str) -> None:
    communities = await services.consultations.opener_communities(query.from_user.id)
    if not communities:
        await query.answer(t("consultation.form.not_staff", lang), show_alert=True)
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await state.clear()
    if len(communities) == 1:
        await _ask(query.message, state, ConsultForm.title, lang, consult={"community": communities[0][0]})
        return
    rows: list[list[Button]] = [
        [(name, ConsultCb(action="community", value=code))] for code, name in communities
    ]
    await state.set_state(ConsultForm.community)
    await query.message.answer(
        t("consultation.form.choose_community", lang), reply_markup=_with_cancel(rows, lang)
    )


@router.callback_query(ConsultForm.community, ConsultCb.filter(F.action == "community"))
async def community(
    query: CallbackQuery, callback_data: ConsultCb, state: FSMContext, services: Services, lang: str
) -> None:
    allowed = dict(await services.consultations.opener_communities(query.from_user.id))
    if callback_data.value not in allowed:
        await query.answer(t("consultation.errors.access_denied", lang), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await _ask(query.message, state, ConsultForm.title, lang, consult={"community": callback_data.value})


async def _draft(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get("consult") or {})


async def _step(
    message: Message,
    state: FSMContext,
    check: Awaitable[Any],
    key: str,
    then: State,
    lang: str,
    **extra: Any,
) -> None:
    """One text step of the form: the service checks the answer; a bad one is re-asked with a hint
    (the draft so far is kept), a good one is saved and the next step asked."""
    try:
        value = await check
    except ServiceError as error:
        await message.answer(t(error.key, lang))
        return
    draft = {**await _draft(state), key: value, **extra}
    await _ask(message, state, then, lang, consult=draft)


@router.message(ConsultForm.title, F.text)
async def title(message: Message, state: FSMContext, services: Services, lang: str) -> None:
    check = services.consultations.check_title(message.text or "")
    await _step(message, state, check, "title", ConsultForm.options, lang)


@router.message(ConsultForm.options, F.text)
async def options(message: Message, state: FSMContext, services: Services, lang: str) -> None:
    check = services.consultations.check_options((message.text or "").splitlines())
    await _step(message, state, check, "options", ConsultForm.deadline, lang)


@router.message(ConsultForm.deadline, F.text)
async def deadline(message: Message, state: FSMContext, services: Services, lang: str) -> None:
    check = services.consultations.check_deadline(message.text or "")
    await _step(message, state, check, "closes", ConsultForm.per, lang, deadline=message.text or "")


@router.callback_query(ConsultForm.per, ConsultCb.filter(F.action == "per"))
async def per(query: CallbackQuery, callback_data: ConsultCb, state: FSMContext, lang: str) -> None:
    if callback_data.value not in ("resident", "household"):
        await query.answer(t("consultation.errors.bad_per", lang), show_alert=True)
        return
    await query.answer()
    draft = {**await _draft(state), "per": callback_data.value}
    await state.set_state(ConsultForm.confirm)
    await state.update_data(consult=draft)
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    summary = t(
        "consultation.form.confirm",
        lang,
        title=draft.get("title", ""),
        options=" / ".join(draft.get("options") or []),
        closes=draft.get("closes", ""),
        who=t(f"consultation.per_{callback_data.value}", lang),
    )
    publish: list[list[Button]] = [[(t("consultation.form.publish", lang), ConsultCb(action="publish"))]]
    await query.message.answer(summary, reply_markup=_with_cancel(publish, lang))


@router.callback_query(ConsultForm.confirm, ConsultCb.filter(F.action == "publish"))
async def publish(query: CallbackQuery, state: FSMContext, services: Services, lang: str) -> None:
    draft = await _draft(state)
    try:
        ballot = await services.consultations.create(
            query.from_user.id,
            str(draft.get("community", "")),
            str(draft.get("title", "")),
            list(draft.get("options") or []),
            str(draft.get("deadline", "")),
            str(draft.get("per", "resident")),
        )
    except ServiceError as error:
        await _refuse(query, error, lang)
        return
    await query.answer()
    text = t("consultation.form.published", lang, community=ballot.community_name)
    _reply_after_commit(services, query.message, text, markup=main_menu(lang), state=state)


@router.callback_query(StateFilter(ConsultForm), ConsultCb.filter(F.action == "cancel"))
async def cancel(query: CallbackQuery, state: FSMContext, lang: str) -> None:
    voting = await state.get_state() == ConsultForm.household.state
    await query.answer()
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        key = "consultation.not_voted_cancel" if voting else "consultation.cancelled"
        await query.message.answer(t(key, lang), reply_markup=main_menu(lang))


@router.callback_query(ConsultCb.filter(F.action.in_({"community", "per", "publish", "cancel"})))
async def stale_form_button(query: CallbackQuery, lang: str) -> None:
    """A form button pressed outside its step (an old message): nothing happens."""
    await query.answer(t("bot.errors.bad_button", lang), show_alert=True)


@router.message(StateFilter(ConsultForm))
async def reask(message: Message, state: FSMContext, lang: str) -> None:
    """Anything but text inside the form: ask the current step again."""
    current = await state.get_state()
    step = next((s for s in ConsultForm.__states__ if s.state == current), ConsultForm.title)
    if step is ConsultForm.household:
        await message.answer(t("consultation.household_prompt", lang), reply_markup=_with_cancel([], lang))
    elif step in (ConsultForm.community, ConsultForm.confirm):
        await message.answer(t("consultation.form.use_buttons", lang))
    else:
        await _ask(message, state, step, lang)
