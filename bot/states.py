"""FSM states of the forms."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class IntakeForm(StatesGroup):
    category = State()
    description = State()
    respondent = State()
    relation = State()
    place = State()
    outcome = State()
    attachments = State()
    anonymity = State()
    confirm = State()


# The order of the steps; "back" walks it backwards.
INTAKE_STEPS = (
    "category",
    "description",
    "respondent",
    "relation",
    "place",
    "outcome",
    "attachments",
    "anonymity",
    "confirm",
)


class MediatorForm(StatesGroup):
    decline_reason = State()
    note = State()


class ParticipationForm(StatesGroup):
    suggestion = State()
    report_text = State()
    report_photo = State()
    report_location = State()


class AdminForm(StatesGroup):
    community = State()
    upload = State()


class StaffForm(StatesGroup):
    suggestion_reply = State()
