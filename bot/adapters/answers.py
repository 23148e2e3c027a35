"""The bot's ``Assistant`` port on the answers and triage service (``knowledge.answers``), in the
calling process (the terminal chat, the demo, the CLI, and the bot's worker process of
``bot.adapters.assistant_process``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.services import AssistantReply, CaseDraft, Citation


class KnowledgeAssistant:
    """Wraps ``knowledge.answers.Assistant``; synchronous, so the bot calls it in a worker thread."""

    def __init__(self, assistant: Any) -> None:
        self.assistant = assistant

    @classmethod
    def open(cls) -> KnowledgeAssistant:
        from knowledge.answers import Assistant

        return cls(Assistant.open())

    def prepare(self, messages: list[str]) -> None:
        """Messages about to be answered one after another: encoded in one batch."""
        prepare = getattr(self.assistant, "prepare", None)
        if prepare is not None:
            prepare(messages)

    def ingest(self, paths: list[Path], community: str | None = None) -> int:
        """Ingest into the knowledge base this assistant answers from, so the next answer sees it."""
        kb = getattr(self.assistant, "kb", None)
        if kb is None or not hasattr(kb, "ingest"):
            return ingest_sources(paths, community)
        return _ingested_units(kb.ingest(paths, community=community, progress=False))

    def respond(self, message: str, community: str | None, lang: str) -> AssistantReply:
        reply = self.assistant.respond(message, community=community, lang=lang)
        answer = reply.answer
        citations = (
            [Citation(c.id, c.law, c.article, c.quote, float(c.score)) for c in answer.citations]
            if answer
            else []
        )
        offer = reply.offer_case
        return AssistantReply(
            intent=reply.intent,
            urgent=bool(reply.urgent),
            answer=answer.text if answer else reply.text,
            citations=citations,
            refused=bool(answer.refused) if answer else False,
            category=reply.category,
            offer_case=CaseDraft(category=offer.category, description=offer.description) if offer else None,
            messages=list(reply.messages) if reply.intent in ("question", "dispute") else [],
            safety=reply.safety,
        )


def ingest_sources(paths: list[Path], community: str | None = None) -> int:
    """Ingest files into the knowledge base (slow: encodes; run it off the event loop).

    Returns the number of units added or replaced; raises ``ValueError`` naming the first error when
    nothing could be read.
    """
    from knowledge.kb import KnowledgeBase

    return _ingested_units(KnowledgeBase.open().ingest(paths, community=community, progress=False))


def _ingested_units(report: Any) -> int:
    if report.errors and not (report.documents_new or report.documents_changed or report.documents_unchanged):
        raise ValueError(report.errors[0][1])
    return int(report.units_added + report.units_replaced + report.units_unchanged)
