"""Ingesting files and folders through the parsing layer: skip by file hash, replace, remove, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from tests.knowledge.index_fixtures import CharGramEmbeddings

pytest.importorskip("knowledge.parsing")

LAW = """# 中华人民共和国测试法

2020年1月1日 第一次会议通过

<!-- INFO END -->

## 第一章 总则

第一条 为了规范邻里之间的通行和采光，制定本法。

第二条 相邻的住户应当互相提供通行便利。

第三条 建造房屋不得妨碍邻居的采光和日照。
"""

RULES = """# 青山村村规民约

第一条 村民应当爱护公共道路。

第二条 饲养家禽应当圈养。

第三条 垃圾应当分类投放。
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "laws").mkdir(parents=True)
    (folder / "laws" / "测试法.md").write_text(LAW, encoding="utf-8")
    return folder


@pytest.fixture
def encoder() -> CharGramEmbeddings:
    return CharGramEmbeddings()


@pytest.fixture
def base(kb_settings: KnowledgeSettings, encoder: CharGramEmbeddings) -> KnowledgeBase:
    return KnowledgeBase.open(kb_settings, embeddings=encoder)


def test_folder_ingest_is_incremental(base: KnowledgeBase, corpus: Path, encoder: CharGramEmbeddings) -> None:
    first = base.ingest([corpus], kind="law", progress=False)
    assert first.documents_new == 1 and first.units_added >= 3 and not first.errors
    assert base.search("测试法第二条")[0].exact

    encoder.passage_calls.clear()
    again = base.ingest([corpus], kind="law", progress=False)
    assert again.documents_unchanged == 1 and again.encoded == 0 and encoder.passage_calls == []

    law = corpus / "laws" / "测试法.md"
    law.write_text(LAW.replace("互相提供通行便利", "互相提供通行和排水的便利"), encoding="utf-8")
    changed = base.ingest([corpus], kind="law", progress=False)
    assert changed.units_replaced == 1 and changed.encoded == 1

    law.write_text(LAW.replace("第三条 建造房屋不得妨碍邻居的采光和日照。\n", ""), encoding="utf-8")
    shrunk = base.ingest([corpus], kind="law", progress=False)
    assert shrunk.units_removed == 1
    assert not any(hit.unit.number == 3 for hit in base.search("采光 日照", k=10))

    law.unlink()
    gone = base.ingest([corpus], kind="law", progress=False)
    assert gone.documents_removed == 1 and base.stats()["units"] == 0


def test_bad_file_is_reported_and_the_rest_goes_in(base: KnowledgeBase, corpus: Path) -> None:
    (corpus / "laws" / "空文件.md").write_text("", encoding="utf-8")
    report = base.ingest([corpus], kind="law", progress=False)
    assert [Path(source).name for source, _ in report.errors] == ["空文件.md"]
    assert base.stats()["documents"] == 1


def test_cli_ingest_rules_for_a_community(
    corpus: Path, kb_settings: KnowledgeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import app

    rules = corpus / "青山村村规民约.md"
    rules.write_text(RULES, encoding="utf-8")
    original = KnowledgeBase.open.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(KnowledgeBase, "open", classmethod(
        lambda cls, settings=None, embeddings=None: original(cls, kb_settings, CharGramEmbeddings())
    ))
    runner = CliRunner()
    command = ["kb", "ingest", str(rules), "--kind", "rules", "--community", "QSC", "--json"]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["units_added"] == 3
    search = ["kb", "search", "村规民约第二条", "--community", "QSC", "--json"]
    hit = json.loads(runner.invoke(app, search).output)
    assert hit["hits"][0]["exact"] and hit["hits"][0]["scope"] == "QSC"
    assert runner.invoke(app, ["kb", "ingest", str(rules), "--kind", "statute"]).exit_code != 0


def test_removing_a_folder_removes_every_source_under_it(base: KnowledgeBase, corpus: Path) -> None:
    (corpus / "laws" / "第二部测试法.md").write_text(LAW.replace("测试法", "第二测试法"), encoding="utf-8")
    base.ingest([corpus], kind="law", progress=False)
    assert base.stats()["documents"] == 2
    assert base.remove(corpus / "laws") >= 6
    assert base.stats()["documents"] == 0 and base.stats()["units"] == 0
