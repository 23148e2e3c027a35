"""Fixtures for the answer layer: hand-written units and a small lexical retriever over them.

The unit texts are written for these tests (they read like law but are not copied from anywhere),
so the tests run on a clean clone without ``../shared``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from knowledge.answers import AnswerSettings, Assistant
from knowledge.answers.quoting import overlap
from knowledge.triage import Classifier, TriageSettings
from knowledge.units import Hit, Unit, UnitKind, UnitStatus

CODE = "中华人民共和国民法典"


def law(number: int, label: str, text: str, title: str = CODE, **kw: Any) -> Unit:
    return Unit(
        id=f"law/{title}/{number}",
        kind=UnitKind.LAW,
        doc_title=title,
        text=text,
        label=label,
        number=number,
        **kw,
    )


PASSAGE = law(
    296,
    "第二百九十六条",
    "不动产权利人因通行、排水等需要利用相邻土地的，相邻一方应当提供必要的便利，"
    "并尽量避免对相邻一方造成损害。",
)
DIVORCE = law(
    1079,
    "第一千零七十九条",
    "\n".join(
        [
            "夫妻一方要求离婚的，可以先请有关组织调解，也可以直接向人民法院起诉。",
            "人民法院审理离婚案件，应当先行调解；感情确已破裂、调解无效的，应当准予离婚。",
            "有下列情形之一，调解无效的，应当准予离婚：",
            "（一）重婚或者与他人同居；",
            "（二）实施家庭暴力或者虐待、遗弃家庭成员；",
            "（三）有赌博、吸毒等恶习屡教不改；",
            "（四）因感情不和分居满二年；",
            "（五）其他导致夫妻感情破裂的情形。",
            "一方被宣告失踪，另一方提起离婚诉讼的，应当准予离婚。",
        ]
    ),
)
WAGES = law(
    30,
    "第三十条",
    "用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。"
    "用人单位拖欠劳动报酬的，劳动者可以依法向人民法院申请支付令。",
    title="中华人民共和国劳动合同法",
)
OLD_MARRIAGE = law(
    17,
    "第十七条",
    "夫妻在婚姻关系存续期间所得的工资、奖金，归夫妻共同所有。",
    title="中华人民共和国婚姻法",
    status=UnitStatus.REPEALED,
    superseded_by=CODE,
)
COMMON_PROPERTY = law(
    1062,
    "第一千零六十二条",
    "夫妻在婚姻关系存续期间所得的工资、奖金、劳务报酬，"
    "为夫妻的共同财产，归夫妻共同所有。夫妻对共同财产，有平等的处理权。",
)
RULE = Unit(
    id="rules/QSC/青山村村规民约/5",
    kind=UnitKind.RULES,
    doc_title="青山村村规民约",
    text="村民饲养的鸡鸭应当圈养，不得放养到他人承包地里啄食庄稼；造成损失的，应当照价赔偿。",
    label="第五条",
    number=5,
    scope="QSC",
    meta={"adopted_on": "2024-03-15", "version": "2"},
)
FAQ = Unit(
    id="faq/服务指南/3",
    kind=UnitKind.FAQ,
    doc_title="云溪县便民服务指南",
    text="申请法律援助，可以到县司法局法律援助中心或镇司法所，带身份证和经济困难的说明材料。",
    questions=("怎么申请法律援助", "法律援助去哪里办"),
)

ALL_UNITS = (PASSAGE, DIVORCE, WAGES, OLD_MARRIAGE, COMMON_PROPERTY, RULE, FAQ)


class StaticRetriever:
    """A tiny lexical retriever: character-bigram overlap, scope and status filters, like the real KB."""

    def __init__(self, units: Iterable[Unit] = ALL_UNITS) -> None:
        self.units = {u.id: u for u in units}
        self.queries: list[str] = []

    def search(
        self, query: str, k: int = 5, community: str | None = None, include_inactive: bool = False
    ) -> list[Hit]:
        self.queries.append(query)
        hits = []
        for unit in self.units.values():
            if unit.scope not in ("national", community):
                continue
            if unit.status != UnitStatus.IN_FORCE and not include_inactive:
                continue
            text = " ".join([unit.doc_title, unit.text, *unit.questions])
            hits.append(Hit(unit, round(min(1.0, 1.5 * overlap(query, text)), 4)))
        hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def get(self, unit_id: str) -> Unit | None:
        return self.units.get(unit_id)


@pytest.fixture(scope="session")
def rules_classifier() -> Classifier:
    """Rules only: fast, no model."""
    return Classifier(TriageSettings(use_embeddings=False), examples=[])


@pytest.fixture
def retriever() -> StaticRetriever:
    return StaticRetriever()


@pytest.fixture
def assistant(retriever: StaticRetriever, rules_classifier: Classifier) -> Assistant:
    return Assistant(retriever, classifier=rules_classifier, settings=AnswerSettings(min_score=0.3))
