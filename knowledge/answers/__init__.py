"""Answers residents can trust: cited answers, honest refusals, optional plain-words model.

Public API (used by the bot and the CLI)::

    from knowledge.answers import Assistant
    assistant = Assistant.open()                  # knowledge base + classifier (+ model if configured)
    reply = assistant.respond("邻居把我家的路堵了，我能告他吗", community="QSC")
    reply.messages       # texts to send, each within 4,096 characters
    reply.urgent, reply.dangers, reply.offer_case  # safety alert; pre-filled mediation case draft
    reply.answer.citations                         # id, law, article, quote, score
"""

from knowledge.answers.assistant import Assistant
from knowledge.answers.llm import LLMComposer, LLMRejected
from knowledge.answers.model import Answer, CaseDraft, Citation, ReplacedLaw, Reply
from knowledge.answers.retriever import Retriever
from knowledge.answers.settings import AnswerSettings, LLMSettings
from knowledge.answers.splitting import TELEGRAM_LIMIT, split_message

__all__ = [
    "TELEGRAM_LIMIT",
    "Answer",
    "AnswerSettings",
    "Assistant",
    "CaseDraft",
    "Citation",
    "LLMComposer",
    "LLMRejected",
    "LLMSettings",
    "ReplacedLaw",
    "Reply",
    "Retriever",
    "split_message",
]
