"""Article questions (doc2query): attached only to the exact article text they were written for,
indexed in BM25 and in their own vector channel, kept up to date incrementally."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from knowledge.article_questions import QuestionBank, article_fingerprint
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from knowledge.units import UnitKind, UnitStatus
from tests.knowledge.index_fixtures import CIVIL_CODE, LABOUR_CONTRACT, CharGramEmbeddings, sample_documents

SHARED_LAWS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "laws"
# Written for the test: everyday words that share almost nothing with the article text they belong to.
WAGES_QUESTION = "包工头拖着我们大半年的工钱一直不给，能去哪里告他"


def _article(title: str, number: int):  # type: ignore[no-untyped-def]
    document = next(d for d in sample_documents() if d.title == title)
    return next(u for u in document.units if u.number == number)


def _bank_line(title: str, number: int, questions: list[str], text: str | None = None) -> str:
    unit = _article(title, number)
    return json.dumps({"law": title, "article": unit.label, "number": number,
                       "fingerprint": article_fingerprint(text if text is not None else unit.text),
                       "questions": questions}, ensure_ascii=False)


@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join([
        _bank_line(LABOUR_CONTRACT, 30, [WAGES_QUESTION, "老板欠薪不发怎么办"]),
        _bank_line(CIVIL_CODE, 293, ["对面新盖的楼把我家阳光全挡了"]),
        # Written for another wording of 第七百二十一条: must not attach to the fixture's text.
        _bank_line(CIVIL_CODE, 721, ["房租到底什么时候交"], text="承租人应当按月支付租金。"),
    ]) + "\n", encoding="utf-8")
    return path


def _open(data_dir: Path, setting: str, encoder: CharGramEmbeddings) -> KnowledgeBase:
    settings = KnowledgeSettings(data_dir=data_dir, article_questions=setting)
    return KnowledgeBase.open(settings, embeddings=encoder)


def test_questions_attach_only_to_the_text_they_were_written_for(bank_file: Path) -> None:
    bank = QuestionBank.load(str(bank_file))
    documents = {d.title: d for d in sample_documents()}
    civil, labour = documents[CIVIL_CODE], documents[LABOUR_CONTRACT]
    attached = {u.number: u.questions for u in bank.attach(civil).units + bank.attach(labour).units}
    assert attached[293] == ("对面新盖的楼把我家阳光全挡了",)
    assert attached[30] == (WAGES_QUESTION, "老板欠薪不发怎么办")
    assert attached[721] == ()  # fingerprint of another wording
    assert attached[296] == ()
    rules = next(d for d in sample_documents() if d.kind is UnitKind.RULES)
    assert bank.attach(rules) is rules
    assert QuestionBank.load("off").attach(labour) is labour


def test_the_question_channel_finds_an_article_by_a_residents_words(
    tmp_path: Path, encoder: CharGramEmbeddings
) -> None:
    # Every in-force law article of the fixture gets a question (the channel's weight follows the share
    # of the searchable units it covers); the wages article gets the resident's words.
    lines = [
        _bank_line(d.title, u.number, [WAGES_QUESTION] if u.number == 30 else [f"想问问：{u.text[:12]}"])
        for d in sample_documents() if d.kind is UnitKind.LAW and d.status is UnitStatus.IN_FORCE
        for u in d.units if u.number is not None
    ]
    bank_file = tmp_path / "full.jsonl"
    bank_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with_questions = _open(tmp_path / "with", str(bank_file), encoder)
    with_questions.ingest_documents(sample_documents())
    without = _open(tmp_path / "without", "off", CharGramEmbeddings())
    without.ingest_documents(sample_documents())
    wanted = f"law/{LABOUR_CONTRACT}/30"

    asked = with_questions.search("包工头拖欠工钱大半年了去哪里告", k=3, mode="questions")
    assert asked[0].unit.id == wanted and asked[0].score > 0.5
    hybrid = with_questions.search("包工头拖欠工钱大半年了去哪里告", k=3)
    assert hybrid[0].unit.id == wanted
    assert without.search("包工头拖欠工钱大半年了去哪里告", k=3, mode="questions") == []
    assert with_questions.stats()["article_questions"] == len(lines)
    unit = with_questions.get(wanted)
    assert unit is not None and WAGES_QUESTION in unit.questions
    assert without.get(wanted).questions == ()  # type: ignore[union-attr]
    plain = [h.unit.id for h in without.search("包工头拖欠工钱大半年了去哪里告", k=10)]
    assert wanted not in plain[:1]  # the article's own words alone do not find it first


def test_question_channel_respects_scope_and_status(
    tmp_path: Path, bank_file: Path, encoder: CharGramEmbeddings
) -> None:
    kb = _open(tmp_path, str(bank_file), encoder)
    documents = sample_documents()
    labour = next(d for d in documents if d.title == LABOUR_CONTRACT)
    documents[documents.index(labour)] = dataclasses.replace(labour, status=UnitStatus.REPEALED)
    kb.ingest_documents(documents)
    assert all(h.unit.doc_title != LABOUR_CONTRACT for h in kb.search(WAGES_QUESTION, k=5, mode="questions"))
    found = kb.search(WAGES_QUESTION, k=5, mode="questions", include_inactive=True)
    assert found[0].unit.id == f"law/{LABOUR_CONTRACT}/30"


def test_new_question_sets_are_applied_incrementally(
    tmp_path: Path, bank_file: Path, encoder: CharGramEmbeddings
) -> None:
    kb = _open(tmp_path, str(bank_file), encoder)
    kb.ingest_documents(sample_documents())
    kb.close()
    with bank_file.open("a", encoding="utf-8") as out:
        out.write(_bank_line(CIVIL_CODE, 1127, ["爸妈走了留下老房子，兄弟姐妹谁先分"]) + "\n")
    encoder.passage_calls.clear()
    kb = _open(tmp_path, str(bank_file), encoder)
    report = kb.ingest_documents(sample_documents())
    # Only the changed article: its new question and its own texts (cached, so not encoded again).
    assert encoder.passage_calls == ["爸妈走了留下老房子，兄弟姐妹谁先分"]
    assert report.units_replaced == 1
    assert kb.search("父母去世了老房子兄弟姐妹怎么分", k=1, mode="questions")[0].unit.number == 1127

    encoder.passage_calls.clear()
    (kb.settings.kb_dir / "embeddings.sqlite3").unlink()  # a lost cache: the question index keeps its own
    kb.close()
    kb = _open(tmp_path, str(bank_file), encoder)
    kb.remove(sample_documents()[0].source)
    assert encoder.passage_calls == []
    assert kb.stats()["article_questions"] == 2  # the civil code's questions left with it
    remaining = kb.search("对面新盖的楼把我家阳光全挡了", k=3, mode="questions")
    assert remaining[0].unit.doc_title == LABOUR_CONTRACT


def test_files_are_read_again_when_the_question_set_changes(
    tmp_path: Path, bank_file: Path, encoder: CharGramEmbeddings
) -> None:
    laws = tmp_path / "laws"
    laws.mkdir()
    unit = _article(LABOUR_CONTRACT, 30)
    text = f"# {LABOUR_CONTRACT}\n\n## 第三章 劳动合同的履行和变更\n\n{unit.label} {unit.text}\n"
    (laws / "labour.md").write_text(text, encoding="utf-8")
    empty_bank = tmp_path / "empty.jsonl"
    empty_bank.write_text("", encoding="utf-8")
    kb = _open(tmp_path / "data", str(empty_bank), encoder)
    assert kb.ingest([laws], kind="law", progress=False).documents_new == 1
    assert kb.ingest([laws], kind="law", progress=False).documents_unchanged == 1
    kb.close()
    kb = _open(tmp_path / "data", str(bank_file), encoder)
    report = kb.ingest([laws], kind="law", progress=False)
    assert report.documents_changed == 1 and report.units_replaced == 1
    assert kb.search(WAGES_QUESTION, k=1, mode="questions")[0].unit.number == 30


def test_bundled_question_set_is_well_formed() -> None:
    bank = QuestionBank.load()
    assert len(bank) > 2500
    number = re.compile(r"第[一二三四五六七八九十百千零0-9]+条")
    for (title, _), (fingerprint, questions) in bank.entries.items():
        assert title.startswith("中华人民共和国") or title in {"信访工作条例", "物业管理条例"}
        assert re.fullmatch(r"[0-9a-f]{12}", fingerprint)
        assert questions and all(6 <= len(q) <= 160 and not number.search(q) for q in questions)


@pytest.mark.skipif(not SHARED_LAWS.is_dir(), reason="needs ../shared/corpus/laws beside the checkout")
def test_bundled_questions_fit_the_law_texts_they_were_written_for() -> None:
    from knowledge.parsing.laws import parse_law
    from knowledge.parsing.sources import read_source

    bank = QuestionBank.load()
    fitted = 0
    for path in sorted(SHARED_LAWS.glob("*.md")):
        if path.name == "MANIFEST.md":
            continue
        document = bank.attach(parse_law(read_source(path), {}))
        fitted += sum(1 for unit in document.units if unit.questions)
    assert fitted == len(bank)
