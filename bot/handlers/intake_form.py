"""The mediation intake form: one question at a time, back/cancel/edit everywhere, saved at every step.

The state lives in the persistent FSM storage, so a restart of the bot resumes the form where the
resident stopped. The data is ``{"form_id", "draft", "done", "editing"}``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import FormCb, OfferCb
from bot.keyboards import Button, in_rows, inline, main_menu, menu_labels
from bot.services import Attachment, CaseDraft, Resident, ServiceError, Services
from bot.states import INTAKE_STEPS, IntakeForm
from intake.lifecycle import CATEGORIES
from prompts import t

router = Router(name="intake_form")
log = logging.getLogger(__name__)

MAX_ATTACHMENTS = 10
TEXT_LIMITS = {
    "description": (5, 5000),
    "respondent": (1, 100),
    "relation": (1, 50),
    "place": (1, 200),
    "outcome": (2, 1000),
}
CANCEL_WORDS = {"取消", "/cancel", "cancel"}
BACK_WORDS = {"返回", "上一步", "/back", "back"}


# ---------------------------------------------------------------------- entry points
async def begin(
    message: Message, state: FSMContext, resident: Resident | None, lang: str, draft: CaseDraft | None = None
) -> None:
    if resident is None or not resident.consented or not resident.community:
        await message.answer(t("bot.ask.not_registered", lang))
        return
    current = await state.get_state()
    if current and current.startswith(IntakeForm.__name__) and draft is None:
        await message.answer(t("bot.form.resumed", lang))
        await ask(message, state, current.split(":")[1], lang)
        return
    draft = draft or CaseDraft()
    done = [step for step in ("category", "description") if getattr(draft, step)]
    await state.set_state(None)
    await state.set_data(
        {"form_id": uuid.uuid4().hex[:8], "draft": draft.as_dict(), "done": done, "editing": False}
    )
    await message.answer(t("bot.form.start", lang))
    await ask(message, state, _next_step(None, done), lang)


@router.message(Command("mediate"))
@router.message(F.text.in_(menu_labels("mediate")))
async def start_form(message: Message, state: FSMContext, resident: Resident | None, lang: str) -> None:
    await begin(message, state, resident, lang)


@router.callback_query(OfferCb.filter(F.action == "case"))
async def start_offered(
    query: CallbackQuery, state: FSMContext, resident: Resident | None, lang: str
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    offered = (await state.get_data()).get("offer_draft")
    await query.message.edit_reply_markup(reply_markup=None)
    await begin(
        query.message, state, resident, lang, CaseDraft.from_dict(offered) if offered else CaseDraft()
    )


# ---------------------------------------------------------------------- asking
def _next_step(current: str | None, done: list[str]) -> str:
    start = INTAKE_STEPS.index(current) + 1 if current else 0
    for step in INTAKE_STEPS[start:]:
        if step not in done:
            return step
    return "confirm"


def _nav(lang: str, step: str) -> list[Button]:
    row: list[Button] = []
    if step != INTAKE_STEPS[0]:
        row.append((t("bot.form.back", lang), FormCb(action="back")))
    row.append((t("bot.form.cancel", lang), FormCb(action="cancel")))
    return row


def _keyboard(step: str, lang: str) -> InlineKeyboardMarkup:
    rows: list[list[Button]] = []
    if step == "category":
        rows = in_rows([(c, FormCb(action="pick", value=str(i))) for i, c in enumerate(CATEGORIES)], 3)
    elif step == "relation":
        relations = t("bot.form.relations", lang).split(",")
        rows = in_rows([(r, FormCb(action="pick", value=str(i))) for i, r in enumerate(relations)], 4)
    elif step == "place":
        rows = [[(t("bot.form.skip", lang), FormCb(action="skip"))]]
    elif step == "attachments":
        rows = [[(t("bot.form.done", lang), FormCb(action="done"))]]
    elif step == "anonymity":
        rows = [
            [
                (t("bot.form.anonymous_yes", lang), FormCb(action="pick", value="1")),
                (t("bot.form.anonymous_no", lang), FormCb(action="pick", value="0")),
            ]
        ]
    elif step == "confirm":
        rows = [
            [
                (t("bot.form.confirm", lang), FormCb(action="confirm")),
                (t("bot.form.edit", lang), FormCb(action="edit")),
            ]
        ]
    return inline([*rows, _nav(lang, step)])


def summary(draft: CaseDraft, lang: str) -> str:
    none = t("bot.form.none", lang)
    return t(
        "bot.form.summary",
        lang,
        category=draft.category or none,
        description=draft.description or none,
        respondent=draft.respondent or none,
        relation=draft.relation or none,
        place=draft.place or none,
        outcome=draft.outcome or none,
        attachments=len(draft.attachments),
        anonymous=t("bot.form.answer_yes" if draft.anonymous else "bot.form.answer_no", lang),
    )


async def ask(message: Message, state: FSMContext, step: str, lang: str) -> None:
    await state.set_state(getattr(IntakeForm, step))
    if step == "confirm":
        draft = CaseDraft.from_dict((await state.get_data())["draft"])
        await message.answer(summary(draft, lang), reply_markup=_keyboard(step, lang))
        return
    await message.answer(t(f"bot.form.{step}", lang), reply_markup=_keyboard(step, lang))


async def _store(state: FSMContext, step: str, update: dict[str, Any]) -> dict[str, Any]:
    data = await state.get_data()
    data["draft"] = {**data["draft"], **update}
    if step not in data["done"]:
        data["done"] = [*data["done"], step]
    await state.set_data(data)
    return data


async def _after(message: Message, state: FSMContext, step: str, lang: str) -> None:
    data = await state.get_data()
    nxt = "confirm" if data.get("editing") else _next_step(step, data["done"])
    await ask(message, state, nxt, lang)


def _step(current: str | None) -> str:
    return (current or "").split(":")[-1]


# ---------------------------------------------------------------------- answers by text, voice, media
@router.message(IntakeForm.attachments, F.photo | F.voice | F.document | F.audio | F.video)
async def attachment(message: Message, state: FSMContext, lang: str) -> None:
    data = await state.get_data()
    draft = CaseDraft.from_dict(data["draft"])
    if len(draft.attachments) >= MAX_ATTACHMENTS:
        await message.answer(
            t("bot.form.attachment_limit", lang, n=MAX_ATTACHMENTS),
            reply_markup=_keyboard("attachments", lang),
        )
        return
    draft.attachments.append(_attachment_of(message))
    data["draft"] = draft.as_dict()
    await state.set_data(data)
    await message.answer(
        t("bot.form.attachment_saved", lang, n=len(draft.attachments)),
        reply_markup=_keyboard("attachments", lang),
    )


def _attachment_of(message: Message) -> Attachment:
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id)
    if message.voice:
        return Attachment("voice", message.voice.file_id)
    if message.document:
        return Attachment("document", message.document.file_id)
    if message.audio:
        return Attachment("voice", message.audio.file_id)
    assert message.video is not None
    return Attachment("video", message.video.file_id)


@router.message(StateFilter(IntakeForm))
async def answer(message: Message, state: FSMContext, lang: str) -> None:
    step = _step(await state.get_state())
    text = (message.text or message.caption or "").strip()
    if text.lower() in CANCEL_WORDS:
        await _cancel(message, state, lang)
        return
    if text.lower() in BACK_WORDS:
        await _back(message, state, step, lang)
        return
    if message.voice and step in TEXT_LIMITS:
        data = await state.get_data()
        draft = CaseDraft.from_dict(data["draft"])
        draft.attachments.append(Attachment("voice", message.voice.file_id))
        await state.update_data(draft=draft.as_dict())
        await _store(state, step, {step: t("bot.form.voice_saved", lang)})
        await _after(message, state, step, lang)
        return
    if message.location and step == "place":
        await _store(
            state, step, {"place": f"{message.location.latitude:.5f},{message.location.longitude:.5f}"}
        )
        await _after(message, state, step, lang)
        return
    value = _valid_text(step, text)
    if value is None:
        await message.answer(t(f"bot.form.{_hint_key(step)}", lang), reply_markup=_keyboard(step, lang))
        return
    if step in TEXT_LIMITS and len(text) > TEXT_LIMITS[step][1]:
        await message.answer(t("bot.triage.too_long", lang))
    await _store(state, step, {_field(step): value})
    await _after(message, state, step, lang)


def _field(step: str) -> str:
    return "anonymous" if step == "anonymity" else step


def _hint_key(step: str) -> str:
    return {"attachments": "attachment_hint", "anonymity": "anonymity", "confirm": "edit_which"}.get(
        step, f"{step}_hint"
    )


def _valid_text(step: str, text: str) -> Any:
    """The value a typed answer gives this step, or None when it does not fit (then we re-ask with a hint)."""
    if step == "category":
        return text if text in CATEGORIES else None
    if step == "anonymity":
        return {"是": True, "yes": True, "否": False, "no": False}.get(text.lower())
    if step in TEXT_LIMITS:
        low, high = TEXT_LIMITS[step]
        return text[:high] if len(text) >= low else None
    return None


# ---------------------------------------------------------------------- buttons
@router.callback_query(StateFilter(IntakeForm), FormCb.filter())
async def button(
    query: CallbackQuery,
    callback_data: FormCb,
    state: FSMContext,
    services: Services,
    resident: Resident | None,
    lang: str,
) -> None:
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    step = _step(await state.get_state())
    await message.edit_reply_markup(reply_markup=None)
    action, value = callback_data.action, callback_data.value
    if action == "cancel":
        await _cancel(message, state, lang)
    elif action == "back":
        await _back(message, state, step, lang)
    elif action == "pick":
        await _pick(message, state, step, value, lang)
    elif action in ("skip", "done") and step in ("place", "attachments"):
        await _store(state, step, {})
        await _after(message, state, step, lang)
    elif action == "edit" and step == "confirm":
        fields = [
            (t(f"bot.form.fields.{s}", lang), FormCb(action="field", value=s)) for s in INTAKE_STEPS[:-1]
        ]
        await message.answer(
            t("bot.form.edit_which", lang), reply_markup=inline([*in_rows(fields, 3), _nav(lang, "confirm")])
        )
    elif action == "field" and value in INTAKE_STEPS[:-1]:
        await state.update_data(editing=True)
        await ask(message, state, value, lang)
    elif action == "confirm" and step == "confirm":
        await _submit(message, state, services, resident, lang)
    else:  # a stale button of an earlier step: re-ask the current one
        await ask(message, state, step, lang)


async def _pick(message: Message, state: FSMContext, step: str, value: str, lang: str) -> None:
    options: dict[str, Any]
    if step == "category":
        options = {str(i): c for i, c in enumerate(CATEGORIES)}
    elif step == "relation":
        options = {str(i): r for i, r in enumerate(t("bot.form.relations", lang).split(","))}
    elif step == "anonymity":
        options = {"1": True, "0": False}
    else:
        options = {}
    if value not in options:
        await ask(message, state, step, lang)
        return
    await _store(state, step, {_field(step): options[value]})
    await _after(message, state, step, lang)


async def _back(message: Message, state: FSMContext, step: str, lang: str) -> None:
    index = INTAKE_STEPS.index(step) if step in INTAKE_STEPS else 0
    await state.update_data(editing=False)
    await ask(message, state, INTAKE_STEPS[max(0, index - 1)], lang)


async def _cancel(message: Message, state: FSMContext, lang: str) -> None:
    await state.clear()
    await message.answer(t("bot.form.cancelled", lang), reply_markup=main_menu(lang))


async def _submit(
    message: Message, state: FSMContext, services: Services, resident: Resident | None, lang: str
) -> None:
    data = await state.get_data()
    if resident is None or not resident.community:
        await message.answer(t("bot.ask.not_registered", lang))
        return
    draft = CaseDraft.from_dict(data["draft"])
    try:
        opened = await services.cases.open(resident.chat_id, resident.community, resident.grid, draft)
    except ServiceError as error:
        await message.answer(t(error.key, lang, **error.params))
        await ask(message, state, "confirm", lang)
        return
    key = "bot.form.submitted" if opened.offered_to else "bot.form.submitted_unrouted"

    async def confirm() -> None:  # only once the case is safely committed
        log.info("form %s submitted as case %s", data.get("form_id"), opened.case_no)
        await state.clear()
        await message.answer(t(key, lang, case_no=opened.case_no), reply_markup=main_menu(lang))

    services.on_commit.append(confirm)
