"""Honest refusals: weak evidence offers a person; out-of-scope questions are declined politely."""

from __future__ import annotations

import pytest

from knowledge.answers import AnswerSettings, Assistant
from knowledge.answers.scope import ScopeDetector
from knowledge.triage import Classifier
from knowledge.triage.encoder import default_encoder

from .conftest import StaticRetriever


def test_weak_evidence_says_not_sure_and_offers_a_person(assistant: Assistant) -> None:
    answer = assistant.answer("量子力学的基本原理是什么")
    assert answer.refused and answer.reason == "weak_evidence"
    assert not answer.citations
    assert "没有找到有把握" in answer.text and "调解" in answer.text and "12348" in answer.text
    assert answer.offer_case is not None


def test_threshold_decides_between_answer_and_refusal(rules_classifier: Classifier) -> None:
    question = "邻居不让我通行排水怎么办"
    score = StaticRetriever().search(question)[0].score
    low = Assistant(StaticRetriever(), rules_classifier, AnswerSettings(min_score=score - 0.01))
    high = Assistant(StaticRetriever(), rules_classifier, AnswerSettings(min_score=score + 0.01))
    assert not low.answer(question).refused
    assert high.answer(question).refused


def test_empty_question_gets_a_polite_prompt(assistant: Assistant) -> None:
    answer = assistant.answer("   ")
    assert answer.refused and answer.reason == "empty" and "具体" in answer.text


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("明天天气怎么样？", "weather"),
        ("下期双色球买什么号码", "lottery"),
        ("我头疼发烧三天了是什么病", "medical"),
        ("偷了东西怎么才能不被抓", "criminal_defence"),
        ("美国的离婚法律是怎么规定的", "foreign_law"),
        ("帮我写一篇作文", "homework"),
        ("这道数学题怎么做", "homework"),
        ("股票明天涨还是跌", "other"),
    ],
)
def test_out_of_scope_is_declined_by_rule(assistant: Assistant, question: str, topic: str) -> None:
    answer = assistant.answer(question)
    assert answer.refused and answer.reason == f"out_of_scope:{topic}"
    assert "抱歉" in answer.text and "法律" in answer.text
    assert not answer.citations


@pytest.mark.parametrize(
    "question",
    [
        "彩票中奖的钱离婚的时候要分吗",
        "台风吹倒的树砸坏了我的车谁来赔",
        "在美国结婚了回国怎么离婚",
        "医院治疗出了事故能要求赔偿吗",
    ],
)
def test_legal_questions_with_out_of_scope_words_stay_in_scope(question: str) -> None:
    assert ScopeDetector().decide(question).in_scope


@pytest.mark.parametrize("question", ["今天有雨没有", "红烧肉怎么做才好吃", "推荐一部好看的电视剧"])
def test_nearest_examples_catch_what_rules_miss(question: str) -> None:
    encoder = default_encoder()
    decision = ScopeDetector(encoder).decide(question, encoder.encode([question])[0])
    assert not decision.in_scope and decision.by in ("neighbours", "rule")


def test_strong_evidence_overrides_the_vote() -> None:
    encoder = default_encoder()
    question = "行纪人是什么"
    vector = encoder.encode([question])[0]
    assert ScopeDetector(encoder).decide(question, vector, strong_evidence=True).in_scope
