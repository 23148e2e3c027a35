"""Incremental ingestion: unchanged → nothing encoded; a changed unit replaced; a removed unit gone."""

from __future__ import annotations

import dataclasses
from typing import Any

from knowledge.indexing.text import dense_texts, question_texts
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from tests.knowledge.index_fixtures import CIVIL_CODE, CharGramEmbeddings, sample_documents


def _civil_code_with(units_changed: dict[int, str] | None = None, drop: int | None = None):  # type: ignore[no-untyped-def]
    documents = sample_documents()
    civil = documents[0]
    units = []
    for unit in civil.units:
        if unit.number == drop:
            continue
        if units_changed and unit.number in units_changed:
            unit = dataclasses.replace(unit, text=units_changed[unit.number], hash="")
        units.append(unit)
    documents[0] = dataclasses.replace(civil, units=tuple(units))
    return documents


def test_first_ingest_encodes_every_text_once(kb: KnowledgeBase, encoder: CharGramEmbeddings) -> None:
    units = [u for d in sample_documents() for u in kb.question_bank.attach(d).units]
    in_chroma = sum(len(dense_texts(u)) for u in units)
    questions = sum(len(question_texts(u)) for u in units)
    assert questions > 0  # the fixture holds real 民法典 articles the bundled question set covers
    assert len(encoder.passage_calls) == in_chroma + questions
    assert sorted(encoder.passage_calls) == sorted(set(encoder.passage_calls))
    assert kb.stats()["units"] == sum(len(d.units) for d in sample_documents())
    assert kb.vectors.count() == in_chroma
    assert kb.stats()["article_questions"] == questions


def test_unchanged_reingest_encodes_nothing(kb: KnowledgeBase, encoder: CharGramEmbeddings) -> None:
    encoder.passage_calls.clear()
    report = kb.ingest_documents(sample_documents())
    assert encoder.passage_calls == []
    assert report.encoded == 0
    assert report.documents_unchanged == len(sample_documents())
    assert not report.changed


def test_changed_unit_is_replaced_and_only_it_is_encoded(
    kb: KnowledgeBase, encoder: CharGramEmbeddings
) -> None:
    encoder.passage_calls.clear()
    new_text = "相邻的住户装修时，应当避免噪声和粉尘影响邻居的正常生活。"
    report = kb.ingest_documents(_civil_code_with({296: new_text}))
    assert report.units_replaced == 1
    assert report.units_unchanged == len(sample_documents()[0].units) - 1
    assert len(encoder.passage_calls) == 1 and new_text in encoder.passage_calls[0]
    unit = kb.get(f"law/{CIVIL_CODE}/296")
    assert unit is not None and unit.text == new_text
    hits = kb.search("装修噪声粉尘影响邻居", k=1)
    assert hits[0].unit.id == f"law/{CIVIL_CODE}/296"


def test_unit_missing_from_a_reingested_source_disappears(kb: KnowledgeBase) -> None:
    vectors_before = kb.vectors.count()
    report = kb.ingest_documents(_civil_code_with(drop=1127))
    assert report.units_removed == 1
    assert kb.get(f"law/{CIVIL_CODE}/1127") is None
    assert kb.vectors.count() == vectors_before - 1
    assert all(hit.unit.number != 1127 for hit in kb.search("遗产继承顺序 配偶 子女 父母", k=20))


def test_remove_source_drops_all_its_units(kb: KnowledgeBase) -> None:
    civil = sample_documents()[0]
    removed = kb.remove(civil.source)
    assert removed == len(civil.units)
    assert kb.get(f"law/{CIVIL_CODE}/296") is None
    assert all(hit.unit.doc_title != CIVIL_CODE for hit in kb.search("相邻关系 通行 采光", k=30))
    assert kb.remove(civil.source) == 0


def test_removed_then_readded_source_comes_from_the_embedding_cache(
    kb: KnowledgeBase, encoder: CharGramEmbeddings
) -> None:
    civil = sample_documents()[0]
    kb.remove(civil.source)
    encoder.passage_calls.clear()
    report = kb.ingest_documents([civil])
    assert report.units_added == len(civil.units)
    assert encoder.passage_calls == []


def test_index_survives_reopening(kb: KnowledgeBase, kb_settings: KnowledgeSettings) -> None:
    kb.close()
    reopened = KnowledgeBase.open(kb_settings, embeddings=CharGramEmbeddings())
    assert reopened.stats()["units"] == sum(len(d.units) for d in sample_documents())
    assert reopened.search("民法典第二百九十六条")[0].unit.id == f"law/{CIVIL_CODE}/296"
    hits = reopened.search("拖欠劳动报酬 支付令", k=3)
    assert hits[0].unit.id == "law/中华人民共和国劳动合同法/30"


def test_stats_count_documents_kinds_statuses_and_size(kb: KnowledgeBase) -> None:
    stats = kb.stats()
    assert stats["documents"] == len(sample_documents())
    assert stats["units_by_kind"] == {"law": 11, "rules": 12, "faq": 2}
    assert stats["units_by_status"] == {"in_force": 24, "repealed": 1}
    assert stats["bytes_total"] > 0 and stats["bytes_on_disk"]["vectors"] > 0


def test_a_change_made_by_another_process_is_followed(
    kb: KnowledgeBase, kb_settings: KnowledgeSettings, encoder: CharGramEmbeddings, monkeypatch: Any
) -> None:
    """A running bot's knowledge base sees what ``heshi kb ingest`` did in another process: its BM25 and
    article-questions indexes are reloaded from disk at the next search after the check interval."""
    removed = f"law/{CIVIL_CODE}/296"
    query = "不动产权利人因用水排水通行利用相邻不动产"
    assert kb.search(query, k=1)[0].unit.id == removed
    other = KnowledgeBase.open(kb_settings, embeddings=encoder)  # stands for the other process
    other.ingest_documents(_civil_code_with(drop=296))

    kb.search(query, k=3)  # within the interval: still the indexes it loaded
    assert removed in kb.lexical.ids
    monkeypatch.setattr("knowledge.kb.FOLLOW_EVERY", 0.0)
    hits = kb.search(query, k=3)
    assert removed not in kb.lexical.ids
    assert hits and removed not in [hit.unit.id for hit in hits]
