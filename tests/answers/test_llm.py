"""The optional model, against a local OpenAI-compatible HTTP stub: only checked answers are used."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from knowledge.answers import AnswerSettings, Assistant, LLMComposer, LLMSettings
from knowledge.answers.llm import LLMRejected, check_output
from knowledge.triage import Classifier

from .conftest import PASSAGE, StaticRetriever
from .llm_stub import LLMStub

QUESTION = "邻居不让我通行排水怎么办"


@pytest.fixture(scope="module")
def stub() -> Iterator[LLMStub]:
    server = LLMStub(delay=3.0).start()
    yield server
    server.stop()


def assistant_with(stub: LLMStub, model: str, classifier: Classifier, timeout: float = 1.0) -> Assistant:
    settings = LLMSettings(base_url=stub.base_url, model=model, api_key=SecretStr("sk-test"), timeout=timeout)
    return Assistant(StaticRetriever(), classifier, AnswerSettings(min_score=0.3), llm=LLMComposer(settings))


def test_good_model_answer_is_used_with_checked_citations(
    stub: LLMStub, rules_classifier: Classifier
) -> None:
    answer = assistant_with(stub, "good", rules_classifier).answer(QUESTION)
    assert answer.composer == "llm" and answer.llm_rejected is None
    assert answer.text.startswith("简单说：邻居应当给您行个方便")
    assert [c.id for c in answer.citations] == [PASSAGE.id]
    assert answer.citations[0].quote in PASSAGE.text
    assert "以上是法律知识介绍，不是法律意见。" in answer.text
    sent = stub.requests[-1]
    assert sent["headers"]["Authorization"] == "Bearer sk-test"
    prompt = "\n".join(m["content"] for m in sent["json"]["messages"])
    assert "[1] 《中华人民共和国民法典》第二百九十六条" in prompt and QUESTION in prompt


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("invent", "invented:article"),
        ("invent_number", "invented:evidence"),
        ("misquote", "misquote"),
        ("slow", "error:"),
        ("garbage", "garbage"),
        ("http500", "error:"),
    ],
)
def test_bad_model_output_falls_back_to_the_composed_answer(
    stub: LLMStub, rules_classifier: Classifier, model: str, reason: str
) -> None:
    answer = assistant_with(stub, model, rules_classifier, timeout=0.5).answer(QUESTION)
    assert answer.composer == "template"
    assert answer.llm_rejected is not None and answer.llm_rejected.startswith(reason)
    assert answer.text.startswith("根据《中华人民共和国民法典》第二百九十六条")
    assert answer.citations[0].quote == PASSAGE.text


def test_unreachable_endpoint_falls_back(rules_classifier: Classifier) -> None:
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", model="good", timeout=0.5)
    answer = Assistant(
        StaticRetriever(), rules_classifier, AnswerSettings(min_score=0.3), llm=LLMComposer(settings)
    ).answer(QUESTION)
    assert answer.composer == "template" and answer.llm_rejected is not None


def test_no_evidence_never_reaches_the_model(stub: LLMStub, rules_classifier: Classifier) -> None:
    before = len(stub.requests)
    answer = assistant_with(stub, "good", rules_classifier).answer("量子力学的基本原理是什么")
    assert answer.refused and len(stub.requests) == before


def test_arabic_article_numbers_in_the_prose_are_accepted() -> None:
    raw = (
        '{"answer": "按民法典第296条，邻居应当让您通行。", '
        '"citations": [{"evidence": 1, "quote": "相邻一方应当提供必要的便利"}]}'
    )
    assert check_output(raw, [PASSAGE], [0.8]).citations[0].id == PASSAGE.id
    with pytest.raises(LLMRejected):
        check_output(raw.replace("296", "297"), [PASSAGE], [0.8])


def test_model_is_off_without_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HESHI_LLM_BASE_URL", raising=False)
    assert not LLMSettings().enabled
    monkeypatch.setenv("HESHI_LLM_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("HESHI_LLM_MODEL", "qwen")
    monkeypatch.setenv("HESHI_LLM_API_KEY", "secret")
    settings = LLMSettings()
    assert settings.enabled and "secret" not in repr(settings)
