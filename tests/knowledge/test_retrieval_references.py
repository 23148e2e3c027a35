"""Exact-reference lookup: "民法典第296条", "《中华人民共和国民法典》第二百九十六条", "村规民约第五条"."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.kb import KnowledgeBase
from knowledge.numerals import int_to_cn
from knowledge.retrieval.references import ArticleReference, find_references

CIVIL_296 = "law/中华人民共和国民法典/296"


@given(st.integers(min_value=1, max_value=9999), st.booleans())
def test_reference_numbers_read_in_both_numeral_systems(number: int, chinese: bool) -> None:
    written = int_to_cn(number) if chinese else str(number)
    expected = [ArticleReference("请问民法典", number, False)]
    assert find_references(f"请问民法典第{written}条怎么理解") == expected


def test_bracketed_title_and_follow_up_articles() -> None:
    assert find_references("《中华人民共和国民法典》第二百九十六条和第297条") == [
        ArticleReference("中华人民共和国民法典", 296, True),
        ArticleReference("中华人民共和国民法典", 297, True),
    ]
    assert find_references("第五条说了什么") == []


@pytest.mark.parametrize(
    "query",
    ["民法典第296条", "《中华人民共和国民法典》第二百九十六条", "中华人民共和国民法典第二百九十六条",
     "请问民法典第二百九十六条是什么意思？", "民法典 第 296 条"],
)
def test_named_article_comes_first(kb: KnowledgeBase, query: str) -> None:
    hits = kb.search(query, k=3)
    assert hits[0].unit.id == CIVIL_296
    assert hits[0].exact and hits[0].score == 1.0
    assert all(not hit.exact for hit in hits[1:])


def test_short_law_titles_resolve(kb: KnowledgeBase) -> None:
    hit = kb.search("劳动合同法第三十条", k=1)[0]
    assert hit.exact and hit.unit.id == "law/中华人民共和国劳动合同法/30"


def test_village_rules_by_generic_name_follow_the_community(kb: KnowledgeBase) -> None:
    hit = kb.search("村规民约第五条", k=1, community="QSC")[0]
    assert hit.exact and hit.unit.id == "rules/QSC/青山村村规民约/5"
    lss = kb.search("居民公约第三条", k=1, community="LSS")[0]
    assert lss.exact and lss.unit.id == "rules/LSS/绿水社区居民公约/3"
    # Another community's rules are never looked up, not even by number.
    assert not any(hit.exact for hit in kb.search("村规民约第五条", k=3, community="LSS"))
    assert not any(hit.exact for hit in kb.search("村规民约第五条", k=3))


def test_repealed_article_is_not_quoted_unless_asked(kb: KnowledgeBase) -> None:
    query = "环境噪声污染防治法第十条"
    assert not any(hit.exact for hit in kb.search(query, k=3))
    assert kb.search(query, k=3, include_inactive=True)[0].exact


def test_unknown_article_falls_back_to_ranked_search(kb: KnowledgeBase) -> None:
    hits = kb.search("民法典第9999条 相邻关系", k=3)
    assert hits and not any(hit.exact for hit in hits)
