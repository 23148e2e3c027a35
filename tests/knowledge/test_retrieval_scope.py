"""Scope and status filters: village A's rules never answer village B; repealed law only on request."""

from __future__ import annotations

import pytest

from knowledge.kb import KnowledgeBase
from knowledge.units import NATIONAL_SCOPE, UnitStatus

QUESTIONS = ["邻里纠纷找谁调解", "养狗要注意什么", "红白喜事办几桌", "噪声污染怎么治理", "楼道能不能堆放杂物"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_without_a_community_only_national_units_answer(kb: KnowledgeBase, question: str) -> None:
    hits = kb.search(question, k=30)
    assert hits, "the national units should still answer"
    assert {hit.unit.scope for hit in hits} == {NATIONAL_SCOPE}


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_community_sees_its_rules_and_never_another_communitys(kb: KnowledgeBase, question: str) -> None:
    scopes = {hit.unit.scope for hit in kb.search(question, k=30, community="QSC")}
    assert "LSS" not in scopes
    assert scopes <= {NATIONAL_SCOPE, "QSC"}


def test_community_rules_rank_for_their_own_residents(kb: KnowledgeBase) -> None:
    top = kb.search("红白喜事酒席最多办多少桌", k=3, community="QSC")
    assert top[0].unit.id == "rules/QSC/青山村村规民约/5"
    top = kb.search("电动自行车能不能在家里充电", k=3, community="LSS")
    assert top[0].unit.id == "rules/LSS/绿水社区居民公约/3"


def test_repealed_units_only_with_include_inactive(kb: KnowledgeBase) -> None:
    question = "环境噪声污染 采取措施进行治理"
    assert all(hit.unit.status is UnitStatus.IN_FORCE for hit in kb.search(question, k=30))
    inactive = kb.search(question, k=30, include_inactive=True)
    assert any(hit.unit.status is UnitStatus.REPEALED for hit in inactive)


def test_scores_are_calibrated_between_zero_and_one_and_sorted(kb: KnowledgeBase) -> None:
    hits = kb.search("夫妻共同债务怎么认定", k=10)
    scores = [hit.score for hit in hits]
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert scores == sorted(scores, reverse=True)
    assert hits[0].unit.id == "law/中华人民共和国民法典/1064"
    assert hits[0].dense is not None and hits[0].lexical is not None


def test_faq_questions_are_matched(kb: KnowledgeBase) -> None:
    hits = kb.search("请不起律师怎么办", k=3)
    assert hits[0].unit.id == "faq/services/1"


def test_empty_query_returns_nothing(kb: KnowledgeBase) -> None:
    assert kb.search("   ") == []


def test_concurrent_searches_from_threads_match_sequential_ones(kb: KnowledgeBase) -> None:
    import asyncio

    questions = [*QUESTIONS, "夫妻共同债务怎么认定", "拖欠劳动报酬 支付令", "民法典第296条"] * 3
    expected = [[hit.unit.id for hit in kb.search(q, k=5, community="QSC")] for q in questions]

    async def all_at_once() -> list[list[str]]:
        results = await asyncio.gather(
            *(asyncio.to_thread(kb.search, q, 5, "QSC") for q in questions)
        )
        return [[hit.unit.id for hit in hits] for hits in results]

    assert asyncio.run(all_at_once()) == expected


@pytest.mark.parametrize("community", [None, "QSC", "LSS"])
@pytest.mark.parametrize("include_inactive", [False, True])
@pytest.mark.parametrize("n", [1, 2, 5, 30])
def test_scope_applied_after_an_unfiltered_search_equals_chromas_filter(
    kb: KnowledgeBase, community: str | None, include_inactive: bool, n: int
) -> None:
    """The dense side filters in memory (Chroma's filter is slow on a large corpus): same units, same
    order as Chroma's own filter, whether the over-fetched entries suffice or the fallback runs."""
    from knowledge.retrieval.hybrid import Scope

    scope = Scope(community, include_inactive)
    for question in [*QUESTIONS, "电动自行车能不能在家里充电", "红白喜事酒席最多办多少桌"]:
        vector = kb.embeddings.query_vector(question)
        ours = kb.retriever._dense(vector, n, scope)
        chroma = {m.unit_id: m.similarity for m in kb.vectors.search(vector, n, scope.chroma_where())}
        assert list(ours) == list(chroma)
        assert all(abs(ours[uid] - chroma[uid]) < 1e-6 for uid in ours)
