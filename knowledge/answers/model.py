"""What the answer layer hands to the bot and the CLI: plain dataclasses, JSON-ready."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Citation:
    """One quoted source: a law or rule article, or an FAQ entry."""

    id: str  # unit id: law/中华人民共和国民法典/296
    law: str  # document title: 中华人民共和国民法典, 青山村村规民约, a service guide
    article: str  # article label (第二百九十六条); empty for FAQ and prose
    quote: str  # the quoted text; omitted parts are marked with ……
    score: float
    kind: str = "law"
    adopted_on: str | None = None  # village rules: the date the 村民会议 adopted them
    version: str | None = None
    source: str = ""
    related: bool = False  # named as a related provision, not quoted in the text

    @property
    def reference(self) -> str:
        """《中华人民共和国民法典》第二百九十六条"""
        return f"《{self.law}》{self.article}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CaseDraft:
    """A mediation case pre-filled from the resident's own message; the bot asks for the rest."""

    category: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ReplacedLaw:
    """An old law the question named, and what replaced it."""

    old: str
    new: str
    on: str  # ISO date the replacement took effect


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    reason: str | None = None  # weak_evidence | out_of_scope | empty | None
    next_steps: tuple[str, ...] = ()
    intent: str = "question"
    category: str | None = None
    offer_case: CaseDraft | None = None
    urgent: bool = False
    replaced_laws: tuple[ReplacedLaw, ...] = ()
    lang: str = "zh"
    composer: str = "template"  # template | llm
    llm_rejected: str | None = None  # why a model answer was not used, for logs

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["answer"] = self.text
        return data


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send back for one free message: a safety notice, an answer, or a hand-off hint."""

    intent: str
    category: str | None
    urgent: bool
    text: str
    messages: tuple[str, ...]  # ``text`` split to fit the messaging limit
    answer: Answer | None = None
    safety: str | None = None  # the urgent safety notice, also at the head of ``text``
    dangers: tuple[str, ...] = ()
    offer_case: CaseDraft | None = None
    confidence: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
