"""The answer composed without a model: lead naming the articles, verbatim quotes, steps, disclaimer."""

from __future__ import annotations

from knowledge.answers import AnswerSettings, Assistant
from knowledge.answers.quoting import ELLIPSIS, is_verbatim, select_quote
from knowledge.triage import Classifier

from .conftest import DIVORCE, FAQ, PASSAGE, RULE, StaticRetriever


def test_lead_names_the_article_and_quotes_it_verbatim(assistant: Assistant) -> None:
    answer = assistant.answer("邻居不让我通行排水怎么办")
    assert not answer.refused
    assert answer.text.startswith("根据《中华人民共和国民法典》第二百九十六条")
    citation = answer.citations[0]
    assert (citation.id, citation.law, citation.article) == (PASSAGE.id, PASSAGE.doc_title, "第二百九十六条")
    assert citation.quote == PASSAGE.text
    assert f"“{PASSAGE.text}”" in answer.text
    assert 0 < citation.score <= 1


def test_answer_lists_what_the_resident_can_do_and_the_disclaimer(assistant: Assistant) -> None:
    answer = assistant.answer("邻居不让我通行排水怎么办")
    for phrase in ("谈一谈", "申请调解", "12348", "人民法院"):
        assert phrase in answer.text
    assert len(answer.next_steps) == 4
    assert answer.text.rstrip().endswith("以上是法律知识介绍，不是法律意见。")


def test_long_article_is_cut_to_the_relevant_item_with_its_lead_in() -> None:
    quote = select_quote(DIVORCE.text, "分居满二年可以离婚吗", max_chars=60)
    assert "（四）因感情不和分居满二年；" in quote.parts
    assert "有下列情形之一，调解无效的，应当准予离婚：" in quote.parts  # the list's lead-in stays
    assert "（三）有赌博、吸毒等恶习屡教不改；" not in quote.parts
    assert ELLIPSIS in quote.text and not quote.complete
    assert is_verbatim(quote.text, DIVORCE.text)
    assert all(part in DIVORCE.text for part in quote.parts)


def test_short_article_is_quoted_whole() -> None:
    quote = select_quote(PASSAGE.text, "通行", max_chars=240)
    assert quote.complete and quote.text == PASSAGE.text


def test_label_in_the_source_text_is_not_quoted_twice() -> None:
    quote = select_quote("第二百九十六条 " + PASSAGE.text, "通行")
    assert quote.text == PASSAGE.text


def test_faq_hit_returns_the_faq_answer_with_its_source(assistant: Assistant) -> None:
    answer = assistant.answer("怎么申请法律援助")
    assert answer.citations[0].id == FAQ.id
    assert FAQ.text in answer.text
    assert "来源：《云溪县便民服务指南》" in answer.text


def test_village_rule_is_cited_with_adoption_date_and_version(assistant: Assistant) -> None:
    answer = assistant.answer("鸡鸭放养啄了我家庄稼要赔吗", community="QSC")
    citation = answer.citations[0]
    assert citation.id == RULE.id and citation.adopted_on == "2024-03-15" and citation.version == "2"
    assert "《青山村村规民约》第五条（2024-03-15通过，版本：2）" in answer.text


def test_another_villages_rule_never_answers(assistant: Assistant) -> None:
    answer = assistant.answer("鸡鸭放养啄了我家庄稼要赔吗", community="LSS")
    assert all(c.id != RULE.id for c in answer.citations)


def test_english_answer_comes_from_the_english_catalog(assistant: Assistant) -> None:
    answer = assistant.answer("邻居不让我通行排水怎么办", lang="en")
    assert answer.text.startswith("Under 《中华人民共和国民法典》第二百九十六条")
    assert "This is legal information, not legal advice." in answer.text


def test_several_articles_are_cited_when_they_score_close(rules_classifier: Classifier) -> None:
    settings = AnswerSettings(min_score=0.1, relative_margin=0.3, max_citations=3)
    answer = Assistant(StaticRetriever(), rules_classifier, settings).answer("夫妻工资归谁所有，离婚怎么分")
    assert len(answer.citations) >= 2
    assert len({c.id for c in answer.citations}) == len(answer.citations)
    assert "、" in answer.text.split("\n")[0] or answer.text.count("规定：“") >= 2


def test_json_shape_has_the_documented_keys(assistant: Assistant) -> None:
    data = assistant.answer("邻居不让我通行排水怎么办").to_dict()
    for key in ("intent", "category", "urgent", "refused", "answer", "citations"):
        assert key in data
    assert set(data["citations"][0]) >= {"id", "law", "article", "quote", "score"}


def test_further_hits_are_named_as_related_but_not_quoted(rules_classifier: Classifier) -> None:
    settings = AnswerSettings(min_score=0.05, relative_margin=0.0, max_citations=1, related_citations=2)
    answer = Assistant(StaticRetriever(), rules_classifier, settings).answer("夫妻工资归谁所有，离婚怎么分")
    quoted = [c for c in answer.citations if not c.related]
    related = [c for c in answer.citations if c.related]
    assert len(quoted) == 1 and 1 <= len(related) <= 2
    assert "相关规定还有：" in answer.text
    for c in related:
        assert c.reference.split("》")[1] in answer.text and f"“{c.quote}”" not in answer.text


def test_rerank_prefers_the_article_that_says_what_the_resident_wrote() -> None:
    from knowledge.answers.compose import rerank
    from knowledge.units import Hit

    hits = [Hit(DIVORCE, 0.50), Hit(PASSAGE, 0.48)]
    assert rerank(hits, "邻居不让我通行排水", 0.2)[0].unit is PASSAGE
    assert rerank(hits, "邻居不让我通行排水", 0.0)[0].unit is DIVORCE


def test_faq_leads_and_a_strong_village_rule_follows_quoted(rules_classifier: Classifier) -> None:
    from knowledge.units import Hit

    class FaqThenRule(StaticRetriever):
        def search(
            self, query: str, k: int = 5, community: str | None = None, include_inactive: bool = False
        ) -> list[Hit]:
            return [Hit(FAQ, 0.6), Hit(RULE, 0.55), Hit(PASSAGE, 0.1)]

    answer = Assistant(FaqThenRule(), rules_classifier, AnswerSettings(min_score=0.3)).answer(
        "这个事情怎么处理"
    )
    assert [c.id for c in answer.citations] == [FAQ.id, RULE.id]
    assert answer.text.index(FAQ.text) < answer.text.index(f"“{RULE.text}”")
    assert (
        "来源：《云溪县便民服务指南》" in answer.text and "第五条（2024-03-15通过，版本：2）" in answer.text
    )
