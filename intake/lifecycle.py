"""The case lifecycle of PRODUCT.md as data: states, allowed moves, the escalation ladder."""

from __future__ import annotations

CATEGORIES = (
    "邻里纠纷", "婚姻家庭", "继承赡养", "物业纠纷", "土地宅基地", "劳动报酬", "消费纠纷", "损害赔偿", "其他",
)  # fmt: skip

SUBMITTED = "submitted"
ACCEPTED = "accepted"
ASSIGNED = "assigned"
IN_MEDIATION = "in_mediation"
AGREED = "agreed"
FOLLOW_UP = "follow_up"
CLOSED = "closed"
FAILED = "failed"
REJECTED = "rejected"
DUPLICATE = "duplicate_of"
WITHDRAWN = "withdrawn"
ESCALATED = "escalated"

STATES = (
    SUBMITTED, ACCEPTED, ASSIGNED, IN_MEDIATION, AGREED, FOLLOW_UP, CLOSED,
    FAILED, REJECTED, DUPLICATE, WITHDRAWN, ESCALATED,
)  # fmt: skip

TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({ACCEPTED, REJECTED, DUPLICATE, WITHDRAWN, ESCALATED}),
    ACCEPTED: frozenset({ASSIGNED, REJECTED, DUPLICATE, WITHDRAWN, ESCALATED}),
    ASSIGNED: frozenset({IN_MEDIATION, ACCEPTED, WITHDRAWN, ESCALATED}),
    IN_MEDIATION: frozenset({AGREED, FAILED, ACCEPTED, WITHDRAWN, ESCALATED}),
    ESCALATED: frozenset({ASSIGNED, IN_MEDIATION, AGREED, FAILED, WITHDRAWN, ESCALATED, CLOSED}),
    AGREED: frozenset({FOLLOW_UP, CLOSED}),
    FOLLOW_UP: frozenset({CLOSED}),
    FAILED: frozenset({CLOSED}),
    CLOSED: frozenset(),
    REJECTED: frozenset(),
    DUPLICATE: frozenset(),
    WITHDRAWN: frozenset(),
}

TERMINAL_STATES = frozenset(state for state, moves in TRANSITIONS.items() if not moves)
# Open: someone still has work to do on the case, so it must have an owner.
OPEN_STATES = frozenset({SUBMITTED, ACCEPTED, ASSIGNED, IN_MEDIATION, ESCALATED, AGREED, FOLLOW_UP, FAILED})
# States in which the mediation clock runs and overdue cases climb the ladder.
MEDIATION_STATES = frozenset({ACCEPTED, ASSIGNED, IN_MEDIATION, ESCALATED})
# Reaching one of these ends the mediation itself (for time-to-resolution and on-time statistics).
RESOLVED_STATES = frozenset({AGREED, FAILED, WITHDRAWN, REJECTED, DUPLICATE})

# The escalation ladder: level → (rung, the community tier whose coordinator owns it).
LADDER: dict[int, tuple[str, str]] = {
    1: ("和事佬", "village"),
    2: ("村/社区调委会", "village"),
    3: ("镇街矛调中心", "town"),
    4: ("共享法庭", "county"),
}
TOP_LEVEL = max(LADDER)


def can_move(state: str, target: str) -> bool:
    return target in TRANSITIONS.get(state, frozenset())
