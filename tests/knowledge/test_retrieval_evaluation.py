"""Retrieval evaluation (recall@k, MRR, nDCG, per-law) and the ``heshi kb`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from knowledge.evaluation.retrieval import evaluate, load_questions
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from tests.knowledge.index_fixtures import CIVIL_CODE, LABOUR_CONTRACT, sample_documents

QUESTIONS = [
    {"id": "q1", "question": "夫妻一方为家庭生活借的钱算共同债务吗",
     "gold": [{"law": CIVIL_CODE, "article": "第一千零六十四条"}]},
    {"id": "q2", "question": "公司拖欠工资怎么办", "gold": [{"law": LABOUR_CONTRACT, "article": "第三十条"},
                                                  {"law": LABOUR_CONTRACT, "article": "第八十二条"}]},
    {"id": "q3", "question": "火星上的土地归谁所有", "gold": [{"law": "不存在的法", "article": "第一条"}]},
    {"id": "q4", "question": "邻居要从我家地里过", "gold": [
        {"law": CIVIL_CODE, "article": "第二百九十一条", "doc": "elsewhere/民法典.md",
         "alt": [{"doc": f"fixtures/{CIVIL_CODE}.md", "article": "第二百九十一条"}]}]},
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return path


def test_recall_mrr_and_per_law(kb: KnowledgeBase, dataset: Path) -> None:
    questions = load_questions(dataset)
    report = evaluate(questions, lambda text, k: kb.search(text, k=k), ks=(1, 5, 30))
    assert report.n == 4
    assert report.misses == ["q3"]  # its gold article is in no index
    assert report.recall[30] == pytest.approx(0.75)
    assert report.recall[1] <= report.recall[5] <= report.recall[30]
    assert 0 < report.mrr <= report.recall[30]
    assert set(report.per_law) == {CIVIL_CODE, LABOUR_CONTRACT, "不存在的法"}
    assert report.per_law["不存在的法"]["recall@30"] == 0.0
    data = report.as_dict()
    assert {"recall@1", "recall@5", "mrr", "ndcg@10", "n", "p50_ms", "p95_ms"} <= set(data)


def test_alt_copies_count_as_hits(kb: KnowledgeBase, dataset: Path) -> None:
    q4 = load_questions(dataset)[3]
    report = evaluate([q4], lambda text, k: kb.search(text, k=k), ks=(30,))
    assert report.recall[30] == 1.0


def test_cli_search_stats_eval_and_remove(kb: KnowledgeBase, dataset: Path, kb_settings: KnowledgeSettings,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    kb.close()
    # The CLI opens the knowledge base from the settings; give it the test's stand-in encoder.
    from tests.knowledge.index_fixtures import CharGramEmbeddings

    original = KnowledgeBase.open.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(KnowledgeBase, "open", classmethod(
        lambda cls, settings=None, embeddings=None: original(cls, kb_settings, CharGramEmbeddings())
    ))
    runner = CliRunner()
    result = runner.invoke(app, ["kb", "search", "民法典第296条", "--k", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["hits"][0]["id"] == f"law/{CIVIL_CODE}/296" and data["hits"][0]["exact"] is True

    human = runner.invoke(app, ["kb", "search", "村规民约第五条", "--community", "QSC"])
    assert "《青山村村规民约》第五条" in human.output

    stats = json.loads(runner.invoke(app, ["kb", "stats", "--json"]).output)
    assert stats["units"] == sum(len(d.units) for d in sample_documents())
    human_stats = runner.invoke(app, ["kb", "stats"]).output
    assert f"条目 {stats['units']} 条" in human_stats and "repealed 1" in human_stats

    evaluation = runner.invoke(app, ["kb", "eval", str(dataset), "--k", "1,5,30", "--json"])
    assert evaluation.exit_code == 0, evaluation.output
    figures = json.loads(evaluation.output)
    assert figures["n"] == 4 and figures["recall@30"] == pytest.approx(0.75)

    bad = runner.invoke(app, ["kb", "eval", str(dataset), "--k", "one"])
    assert bad.exit_code != 0

    removed = runner.invoke(app, ["kb", "remove", f"fixtures/{CIVIL_CODE}.md"])
    assert removed.exit_code == 0 and "8" in removed.output
    missing = runner.invoke(app, ["kb", "remove", "fixtures/nothing.md"])
    assert missing.exit_code == 1
