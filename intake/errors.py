"""Errors the services raise. Each has a stable ``code`` and ``params`` so the bot can render a kind,
translated reply from its message catalogs; ``str(error)`` is an English sentence for logs and the CLI."""

from __future__ import annotations

from typing import Any


class IntakeError(Exception):
    code = "intake_error"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.params = params


class NotFound(IntakeError):
    code = "not_found"

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key!s} not found", what=what, key=key)


class InvalidInput(IntakeError):
    code = "invalid_input"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}", field=field, problem=problem)


class InvalidTransition(IntakeError):
    """A lifecycle move that is not allowed from the case's current state."""

    code = "invalid_transition"

    def __init__(self, case_no: str, state: str, target: str) -> None:
        super().__init__(
            f"case {case_no} is in state '{state}' and cannot move to '{target}'",
            case_no=case_no,
            state=state,
            target=target,
        )
        self.state = state
        self.target = target


class AlreadyTaken(IntakeError):
    """Another mediator accepted the case first (or the offer is no longer open)."""

    code = "already_taken"

    def __init__(self, case_no: str) -> None:
        super().__init__(f"case {case_no} is no longer open for you to accept", case_no=case_no)


class AccessDenied(IntakeError):
    code = "access_denied"

    def __init__(self, what: str) -> None:
        super().__init__(f"not allowed to {what}", what=what)


class ConsentRequired(IntakeError):
    code = "consent_required"

    def __init__(self, chat_id: int) -> None:
        super().__init__("the resident has not given consent yet", chat_id=chat_id)
