"""Out-of-scope rule families added for the second out-of-scope set, and their in-scope neighbours.

Examples are our own; none is taken from ``benchmarks/data/out_of_scope*.jsonl``. Rules only (no
model): ``strong_evidence=True`` switches the nearest-example vote off.
"""

from __future__ import annotations

import pytest

from knowledge.answers.scope import ScopeDetector


def rule_topic(question: str) -> str | None:
    decision = ScopeDetector().decide(question, None, strong_evidence=True)
    return None if decision.in_scope else decision.topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # evading the police, the court or evidence, asked as "how"
        ("闯红灯被拍了，有什么办法能不被扣分", "criminal_defence"),
        ("怎么把钱藏到亲戚名下让法院查不出", "criminal_defence"),
        ("我们几个怎么串供才不会露馅", "criminal_defence"),
        ("喝了酒开车，有没有办法骗过交警的检测", "criminal_defence"),
        ("我能不能跟警察说我当时不在场", "criminal_defence"),
        ("老板让我帮他顶罪，怎么说才像", "criminal_defence"),
        ("怎样把店里的监控录像删掉", "criminal_defence"),
        # other places' law, including Hong Kong, Macao and Taiwan
        ("英国的遗产税怎么交", "foreign_law"),
        ("澳门那边结婚要办什么手续", "foreign_law"),
        ("台湾的离婚官司怎么打", "foreign_law"),
        ("在印尼的房子外国人可以买吗", "foreign_law"),
        # sums and school exercises, even with 分 or 加 in them
        ("分数五分之二加五分之一等于几", "homework"),
        ("12+35=？", "homework"),
        ("初中物理的杠杆原理是什么", "homework"),
        ("帮孙子做一下语文作业", "homework"),
        # gossip about stars, even when it says 离婚
        ("听说那个演员离婚了，是真的吗", "other"),
    ],
)
def test_new_rule_families_decline(question: str, topic: str) -> None:
    assert rule_topic(question) == topic


@pytest.mark.parametrize(
    "question",
    [
        "小区换物业要三分之二的业主同意吗",  # 分之 in a property question
        "港口作业发生纠纷由哪个法院管辖",  # 作业 is work here, not homework
        "因为天气原因航班取消了，算不可抗力吗",
        "监控录像被物业删了，我还能要回来吗",
        "儿子在日本打工，不给我赡养费怎么办",  # a son abroad, Chinese family law
        "在国外结婚了，回国以后怎么离婚",
        "公司怎么才能不被员工告",  # an employer asking about labour law
        "老人怎样才能不被骗",
    ],
)
def test_legal_questions_near_the_new_rules_stay_in_scope(question: str) -> None:
    assert rule_topic(question) is None
