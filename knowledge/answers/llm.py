"""The optional language model: rewrites the answer in plain words, and is checked before it is used.

Any OpenAI-compatible chat endpoint works (DeepSeek, Qwen, GLM, vLLM, Ollama) through langchain's
``ChatOpenAI``. The retrieved units go in as numbered evidence; what comes back is accepted only when
it is well-formed JSON, every cited evidence number exists, every quote is a verbatim part of its
unit, and the prose names no article that is not in the evidence. Anything else — and a timeout or any
error — makes the caller send the composed answer instead.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.answers.model import Citation
from knowledge.answers.quoting import is_verbatim
from knowledge.answers.settings import LLMSettings
from knowledge.units import Unit
from prompts import load_template

log = logging.getLogger(__name__)

_ARTICLE_REF = re.compile(r"第[一二三四五六七八九十百千零〇两0-9]+条")
_TITLE_REF = re.compile(r"《([^》]{2,60})》")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.S)


class LLMRejected(Exception):
    """The model's output cannot be used; ``reason`` says why (for logs and tests)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LLMAnswer:
    text: str
    citations: tuple[Citation, ...]


def evidence_block(units: Sequence[Unit]) -> str:
    item = load_template("evidence_item")
    return "\n".join(
        item.format(n=i, reference=u.citation, text=u.text.strip()) for i, u in enumerate(units, 1)
    )


class LLMComposer:
    """Calls the endpoint and checks the answer against the evidence."""

    def __init__(self, settings: LLMSettings, chat: Any | None = None) -> None:
        self.settings = settings
        self._chat = chat

    @property
    def chat(self) -> Any:
        if self._chat is None:
            from langchain_openai import ChatOpenAI

            self._chat = ChatOpenAI(
                base_url=self.settings.base_url,
                model=self.settings.model,
                api_key=self.settings.api_key.get_secret_value() or "not-needed",
                timeout=self.settings.timeout,
                max_retries=0,
                temperature=self.settings.temperature,
                max_completion_tokens=self.settings.max_tokens,
            )
        return self._chat

    def compose(self, question: str, units: Sequence[Unit], scores: Sequence[float]) -> LLMAnswer:
        """The checked model answer; raises :class:`LLMRejected` when it cannot be used."""
        if not units:
            raise LLMRejected("no_evidence")
        from langchain_core.messages import HumanMessage, SystemMessage

        messages = [
            SystemMessage(content=load_template("answer_system")),
            HumanMessage(
                content=load_template("answer_user").format(evidence=evidence_block(units), question=question)
            ),
        ]
        try:
            reply = self.chat.invoke(messages)
        except Exception as error:  # timeouts, HTTP errors, connection refused: all mean "not now"
            raise LLMRejected(f"error:{type(error).__name__}") from error
        return check_output(str(getattr(reply, "content", "")), units, scores)


def parse_output(raw: str) -> dict[str, Any]:
    text = _FENCE.sub("", raw.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise LLMRejected("garbage:not_json")
    try:
        data = json.loads(text[start : end + 1])
    except json.JSONDecodeError as error:
        raise LLMRejected("garbage:bad_json") from error
    if not isinstance(data, dict) or not isinstance(data.get("answer"), str):
        raise LLMRejected("garbage:no_answer")
    if not isinstance(data.get("citations"), list):
        raise LLMRejected("garbage:no_citations")
    return data


def check_output(raw: str, units: Sequence[Unit], scores: Sequence[float]) -> LLMAnswer:
    """Accept the model output only if every citation and quote is backed by the evidence."""
    data = parse_output(raw)
    answer = data["answer"].strip()
    if not answer or "依据不足" in answer:
        raise LLMRejected("no_answer")
    citations: dict[int, Citation] = {}
    for item in data["citations"]:
        if not isinstance(item, dict):
            raise LLMRejected("garbage:citation")
        number, quote = item.get("evidence"), str(item.get("quote", "")).strip()
        if not isinstance(number, int) or not 1 <= number <= len(units):
            raise LLMRejected(f"invented:evidence {number!r}")
        unit = units[number - 1]
        if not quote or not is_verbatim(quote, unit.text):
            raise LLMRejected(f"misquote:evidence {number}")
        previous = citations.get(number)
        merged = f"{previous.quote}……{quote}" if previous else quote
        citations[number] = Citation(
            id=unit.id,
            law=unit.doc_title,
            article=unit.label or "",
            quote=merged,
            score=round(float(scores[number - 1]), 4),
            kind=str(unit.kind),
            adopted_on=_meta(unit, "adopted_on"),
            version=_meta(unit, "version"),
            source=unit.source,
        )
    if not citations:
        raise LLMRejected("no_citations")
    _check_references(answer, units)
    for marker in re.findall(r"\[(\d+)\]", answer):
        if not 1 <= int(marker) <= len(units):
            raise LLMRejected(f"invented:marker [{marker}]")
    return LLMAnswer(answer, tuple(citations[n] for n in sorted(citations)))


def _meta(unit: Unit, key: str) -> str | None:
    value = (unit.meta or {}).get(key)
    return None if value in (None, "") else str(value)


def _check_references(answer: str, units: Sequence[Unit]) -> None:
    """Every 《title》 and 第X条 the prose names must belong to the evidence."""
    labels = {u.label for u in units if u.label}
    numbers = {u.number for u in units if u.number is not None}
    titles = {u.doc_title for u in units} | {u.doc_title.removeprefix("中华人民共和国") for u in units}
    for label in _ARTICLE_REF.findall(answer):
        digits = label[1:-1]
        if label not in labels and not (digits.isdigit() and int(digits) in numbers):
            raise LLMRejected(f"invented:article {label}")
    for title in _TITLE_REF.findall(answer):
        if title not in titles:
            raise LLMRejected(f"invented:law {title}")
