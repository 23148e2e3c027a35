"""Replaced law is never quoted as current; a question naming it is told what replaced it."""

from __future__ import annotations

import pytest

from knowledge.answers import Assistant
from knowledge.answers.replaced import find_replaced
from knowledge.units import Hit

from .conftest import COMMON_PROPERTY, OLD_MARRIAGE, StaticRetriever


@pytest.mark.parametrize(
    "old", ["婚姻法", "合同法", "继承法", "物权法", "侵权责任法", "民法通则", "民法总则"]
)
def test_every_old_civil_law_points_to_the_civil_code(old: str) -> None:
    replaced, query = find_replaced(f"{old}第十条怎么规定的")
    assert [(r.old, r.new, r.on) for r in replaced] == [(old, "中华人民共和国民法典", "2021-01-01")]
    assert old not in query and "民法典" in query
    assert "第十条" not in query  # the old article number would find the wrong 民法典 article


@pytest.mark.parametrize(
    "text", ["劳动合同法第十条", "中华人民共和国劳动合同法规定试用期多久", "民法典婚姻家庭编"]
)
def test_current_laws_with_similar_names_are_left_alone(text: str) -> None:
    replaced, query = find_replaced(text)
    assert replaced == [] and query == text


def test_answer_says_the_civil_code_replaced_the_old_law_and_quotes_the_code(
    assistant: Assistant, retriever: StaticRetriever
) -> None:
    answer = assistant.answer("婚姻法规定工资归谁")
    assert not answer.refused
    assert "《婚姻法》已经废止，由《中华人民共和国民法典》取代（2021-01-01起施行）" in answer.text
    assert [c.id for c in answer.citations] == [COMMON_PROPERTY.id]
    assert OLD_MARRIAGE.text not in answer.text
    assert retriever.queries[-1].startswith("民法典")


def test_repealed_unit_is_never_quoted_even_if_retrieval_returns_it(assistant: Assistant) -> None:
    class LeakyRetriever(StaticRetriever):
        def search(
            self, query: str, k: int = 5, community: str | None = None, include_inactive: bool = False
        ) -> list[Hit]:
            return super().search(query, k, community, include_inactive=True)

    leaky = Assistant(LeakyRetriever(), assistant.classifier, assistant.settings)
    answer = leaky.answer("夫妻在婚姻关系存续期间所得的工资奖金归谁")
    assert answer.citations and all(c.id != OLD_MARRIAGE.id for c in answer.citations)
