"""What the answer layer needs from the knowledge base (``knowledge.kb.KnowledgeBase`` provides it)."""

from __future__ import annotations

from typing import Protocol

from knowledge.units import Hit, Unit


class Retriever(Protocol):
    def search(
        self, query: str, k: int = 5, community: str | None = None, include_inactive: bool = False
    ) -> list[Hit]:
        """Best units first; each hit's score is the one the answer layer thresholds."""
        ...

    def get(self, unit_id: str) -> Unit | None: ...
