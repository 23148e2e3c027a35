"""Service guides and FAQs (YAML, CSV, markdown) and 普法 prose passages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.parsing import parse_file
from knowledge.parsing.structure import chunk_paragraphs, split_sentences
from knowledge.units import DocumentError, UnitKind

FIXTURES = Path(__file__).parent / "fixtures"


def test_yaml_guide() -> None:
    guide = parse_file(FIXTURES / "faq" / "办事指南.yaml")
    assert (guide.kind, guide.title, guide.scope) == (UnitKind.FAQ, "便民办事指南", "national")
    first, second = guide.units
    assert first.id == "faq/办事指南/mediation"
    assert first.questions == ("邻里吵架了可以找谁调解？", "跟邻居闹矛盾怎么办", "人民调解要不要钱")
    assert first.text.startswith("可以向村（居）民委员会的人民调解委员会申请调解")
    assert first.meta == {"source": "《中华人民共和国人民调解法》第四条", "tags": "调解,邻里"}
    assert (first.label, first.number) == (None, None)
    assert second.id == "faq/办事指南/2"
    assert second.questions[1:] == ("请不起律师怎么办", "法律援助找哪里")
    assert guide.warnings == ("entry 3 skipped: it needs both a question and an answer",)


def test_csv_guide_with_a_multiline_answer() -> None:
    guide = parse_file(FIXTURES / "faq" / "社区常见问题.csv", community="LSS")
    assert guide.scope == "LSS"
    assert [u.id for u in guide.units] == ["faq/社区常见问题/1", "faq/社区常见问题/2"]
    assert guide.units[0].questions == ("居住证在哪里办？", "外地人怎么办居住证", "居住证要什么材料")
    assert guide.units[0].meta["source"] == "居住证暂行条例"
    assert guide.units[1].text.endswith("村（居）委会可以帮忙代办。")


def test_csv_with_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "问答.csv"
    path.write_text("问题,同义问法,答案\n狗咬人谁负责？,被狗咬了找谁,一般由饲养人或者管理人承担责任。\n",
                    "utf-8-sig")
    unit = parse_file(path).units[0]
    assert unit.questions == ("狗咬人谁负责？", "被狗咬了找谁")


def test_markdown_question_headings() -> None:
    guide = parse_file(FIXTURES / "faq" / "宅基地问答.md")
    assert (guide.kind, guide.title, guide.scope) == (UnitKind.FAQ, "宅基地问答", "QSC")
    first, second = guide.units
    assert first.questions == ("农村宅基地怎么申请？", "盖房子要批宅基地吗", "建房审批找谁")
    assert first.text == "向村民小组提出申请，经村民代表会议讨论公示后，报乡镇人民政府审批。"
    assert first.path == ("申请",)
    assert second.text == "农村村民一户只能拥有一处宅基地。"


def test_markdown_question_answer_pairs() -> None:
    guide = parse_file(FIXTURES / "faq" / "问答对.md")
    assert guide.kind is UnitKind.FAQ
    first, second = guide.units
    assert first.questions == ("子女不赡养老人怎么办？", "儿子不给养老钱")
    assert first.text == "可以先请村调解委员会调解，\n也可以向人民法院起诉要求给付赡养费。"
    assert second.questions == ("老人再婚，子女还要赡养吗？",)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [("a.yaml", "title: 空\nentries: []\n", "no_entries"),
     ("b.yaml", "title: [unclosed\n", "malformed"),
     ("c.yaml", "just a string\n", "malformed"),
     ("d.csv", "name,value\nx,y\n", "malformed")],
)
def test_broken_faq_files(tmp_path: Path, name: str, content: str, code: str) -> None:
    path = tmp_path / name
    path.write_text(content, "utf-8")
    with pytest.raises(DocumentError) as caught:
        parse_file(path)
    assert caught.value.code == code


def test_prose_is_split_by_heading() -> None:
    note = parse_file(FIXTURES / "prose" / "说说相邻关系.md")
    assert (note.kind, note.title) == (UnitKind.PROSE, "说说相邻关系")
    assert [u.id for u in note.units] == ["prose/说说相邻关系/1", "prose/说说相邻关系/2"]
    assert [u.path for u in note.units] == [("什么是相邻关系",), ("常见的几种情形",)]
    assert note.units[1].text.endswith("就解决了。")


def test_long_prose_is_cut_between_sentences(tmp_path: Path) -> None:
    sentence = "遇到纠纷先商量，商量不成请调解员帮忙。"
    paragraph = sentence * 60  # 1,200 characters in one paragraph
    path = tmp_path / "长文.md"
    path.write_text(f"# 长文\n\n{paragraph}\n\n最后一段。\n", "utf-8")
    units = parse_file(path, kind="prose").units
    assert len(units) >= 3
    assert all(400 <= len(u.text) <= 600 for u in units[:-1])
    assert all(u.text.endswith("。") for u in units)
    assert "".join(u.text.replace("\n", "") for u in units) == paragraph + "最后一段。"


_sentences = st.lists(
    st.text(alphabet="邻里和睦互相帮助调解纠纷法律援助", min_size=1, max_size=120).map(lambda s: s + "。"),
    min_size=1, max_size=12,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(_sentences, min_size=1, max_size=8), st.integers(min_value=50, max_value=600))
def test_chunking_keeps_every_character_within_the_limit(paragraphs: list[str], limit: int) -> None:
    chunks = chunk_paragraphs(paragraphs, max_chars=limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert "".join(chunks).replace("\n", "") == "".join(paragraphs)
    # a cut inside a sentence only happens to a sentence longer than the limit
    if max(len(s) for p in paragraphs for s in split_sentences(p)) <= limit:
        assert all(chunk.endswith("。") for chunk in chunks)


def test_a_scope_that_is_not_a_community_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "指南.yaml"
    path.write_text("title: 指南\nscope: 青山 村\nentries:\n  - {question: 问？, answer: 答。}\n", "utf-8")
    with pytest.raises(DocumentError) as caught:
        parse_file(path)
    assert caught.value.code == "bad_metadata"


def test_numbered_questions_and_answer_words(tmp_path: Path) -> None:
    path = tmp_path / "问答.md"
    path.write_text("# 常见问题\n\n1. 问：居住证怎么办？\n答复：到派出所申请。\n\n"
                    "二、问题：低保找谁？\n回答：找乡镇政府。\n", "utf-8")
    guide = parse_file(path)
    assert [(u.questions[0], u.text) for u in guide.units] == [
        ("居住证怎么办？", "到派出所申请。"), ("低保找谁？", "找乡镇政府。")]
    headings = tmp_path / "标题问答.md"
    headings.write_text("# 指南\n\n## 1. 居住证怎么办？\n\n到派出所申请。\n\n## 2. 低保找谁？\n\n"
                        "找乡镇政府。\n", "utf-8")
    assert [u.questions[0] for u in parse_file(headings).units] == ["居住证怎么办？", "低保找谁？"]


def test_ids_never_get_an_extra_slash(tmp_path: Path) -> None:
    path = tmp_path / "指南.yaml"
    path.write_text("title: 指南\nentries:\n"
                    "  - {id: 低保/申请, question: 低保怎么申请？, answer: 找乡镇政府。}\n", "utf-8")
    assert parse_file(path).units[0].id == "faq/指南/低保／申请"
