"""The answer-layer commands: heshi ask, heshi classify, heshi eval intent|answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import knowledge.triage.classifier as triage_module
from bot.cli import answers as answers_cli
from bot.cli import app
from knowledge.answers import AnswerSettings, Assistant
from knowledge.triage import Classifier

from .conftest import PASSAGE, StaticRetriever

runner = CliRunner()


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, rules_classifier: Classifier) -> None:
    monkeypatch.setattr(triage_module, "_default", rules_classifier)
    monkeypatch.setattr(
        answers_cli,
        "open_assistant",
        lambda: Assistant(StaticRetriever(), rules_classifier, AnswerSettings(min_score=0.3)),
    )


def test_ask_json_has_the_documented_keys() -> None:
    result = runner.invoke(app, ["ask", "邻居不让我通行排水怎么办", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("intent", "category", "urgent", "refused", "answer", "citations"):
        assert key in data
    citation = data["citations"][0]
    assert citation["id"] == PASSAGE.id and citation["article"] == "第二百九十六条"
    assert citation["law"] == "中华人民共和国民法典" and citation["quote"] and citation["score"] > 0


def test_ask_prints_the_answer_text() -> None:
    result = runner.invoke(app, ["ask", "邻居不让我通行排水怎么办"])
    assert result.exit_code == 0 and "第二百九十六条" in result.output


def test_classify_json() -> None:
    result = runner.invoke(app, ["classify", "隔壁着火了！", "--json"])
    data = json.loads(result.output)
    assert data["intent"] == "urgent" and data["urgent"] is True and data["confidence"] == 1.0
    assert "category" in data


def test_eval_intent_reports_the_figures(tmp_path: Path) -> None:
    dataset = tmp_path / "dev.jsonl"
    rows = [
        {"text": "我不想活了", "intent": "urgent"},
        {"text": "在吗", "intent": "chitchat"},
        {"text": "建议村里多装几个路灯", "intent": "suggestion"},
        {"text": "谢谢", "intent": "question"},
    ]
    dataset.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    data = json.loads(runner.invoke(app, ["eval", "intent", str(dataset), "--json"]).output)
    assert data["n"] == 4 and data["accuracy"] == 0.75
    assert data["urgent_recall"] == 1.0 and data["urgent_precision"] == 1.0
    assert {"macro_f1", "per_intent", "confusion"} <= set(data)
    assert data["confusion"]["question"]["chitchat"] == 1
    text = runner.invoke(app, ["eval", "intent", str(dataset)]).output
    assert "macro-F1" in text and "confusion" in text


def test_eval_answers_counts_citations_and_refusals(tmp_path: Path) -> None:
    dataset = tmp_path / "qa.jsonl"
    rows = [
        {
            "id": "a",
            "question": "邻居不让我通行排水怎么办",
            "gold": [{"law": "中华人民共和国民法典", "article": "第二百九十六条"}],
        },
        {
            "id": "b",
            "question": "邻居不让我通行排水怎么办",
            "gold": [{"law": "中华人民共和国民法典", "article": "第一条"}],
        },
        {"question": "下期双色球买什么号码", "in_scope": False},
    ]
    dataset.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    data = json.loads(runner.invoke(app, ["eval", "answers", str(dataset), "--json"]).output)
    assert data["n"] == 3
    assert data["citation_exactness"] == 0.5
    assert data["refusal_in_scope"] == 0.0 and data["refusal_out_of_scope"] == 1.0
    assert data["p95_ms"] >= data["p50_ms"] >= 0
