"""Triage on hard cases, and every urgent pattern: plain, buried in a long message, misspelt."""

from __future__ import annotations

import pytest

from knowledge.answers import Assistant
from knowledge.triage import URGENT_PATTERNS, Classifier, find_urgent
from knowledge.triage.normalize import compact, normalize

EVERY_EXAMPLE = [(p.name, example) for p in URGENT_PATTERNS for example in p.examples]
RANT = "我跟你们说，这个事情拖了三个月了，村里也不管，{}，你们到底管不管啊😡😡"


def _variants(text: str) -> list[str]:
    """Spaces between characters, full-width letters, emoji and a long rant around it."""
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return [text, " ".join(text), full_width, f"🙏🙏{text}！！！", RANT.format(text)]


def test_every_pattern_has_examples() -> None:
    assert all(p.examples for p in URGENT_PATTERNS)
    assert len({p.name for p in URGENT_PATTERNS}) == len(URGENT_PATTERNS)


@pytest.mark.parametrize(("pattern", "example"), EVERY_EXAMPLE)
def test_every_urgent_pattern_is_caught_in_every_form(
    pattern: str, example: str, rules_classifier: Classifier
) -> None:
    for text in _variants(example):
        names = {m.pattern for m in find_urgent(text)}
        assert pattern in names, f"{pattern} missed in {text!r}"
        triage = rules_classifier.classify(text)
        assert triage.urgent and triage.intent == "urgent" and triage.dangers


@pytest.mark.parametrize(
    "text",
    [
        "我想紫砂",
        "不想或了",
        "ｚｉｓｈａ",
        "隔壁着伙了",
        "厨房有煤汽味",
        "他拿那刀砍人",
        "就命啊",
        "我 不 想 活 了",
        "他說要殺了我",
        "🔥🔥隔壁着🔥了",
        "快来🆘",
        "他拿着🔪冲过来",
        "想 自.杀",
        "老公喝多了又打我，孩子在哭，我躲在厕所里",
        "我妈说不想拖累我们，把农药藏在床底下，刚才喝了",
        "他天天跟我吵，今天说要弄死我全家，我该怎么办，是不是应该找村里调解",
        "ZHAOHUO LE!!",
        "老头子喝了大半瓶滴滴畏",
        "他拎着一桶汽油过来了",
        "孩子被狗咬住不放",
        "讨债的说今晚带人来收拾我们",
        "我爸突然说不出话了，半边脸麻了",
        "火刚灭了又烧起来了",
        "去年他打过我，现在他又拿着刀站在门口",
    ],
)
def test_misspelt_and_mixed_urgent_messages(text: str, rules_classifier: Classifier) -> None:
    assert rules_classifier.classify(text).urgent, text


@pytest.mark.parametrize(
    "text",
    [
        "气死我了，邻居又占我家的地",
        "打死我也不信他会还钱",
        "想死你了老同学",
        "这个视频火了",
        "吃火锅上火了",
        "杀鸡给猴看",
        "他打我电话一直不接",
        "明天去打疫苗",
        "笑死我了",
        "夏天给庄稼打农药要注意什么",
        "我们村去年的火灾补偿款怎么分",
        "砍价砍了半天",
        "攒钱给我妈买药",
        "他站在门口一动不动地看着我",
        "梦见有人拿刀追我，吓醒了",
        "新闻里说外地有人跳河，真可怜",
        "怕仓库再起火，建议多放几个灭火器",
        "这个小程序老是打不开，急死人",
        "隔壁杀猪，晚上去吃杀猪饭",
        "上个月有人在楼道里喝了农药，还好救回来了",
        "烟花把草垛点着了，火早就灭了，想问问谁赔",
        "万一有人晕倒了，村里有没有急救箱",
    ],
)
def test_harmless_idioms_are_not_urgent(text: str) -> None:
    assert not find_urgent(text), text


def test_normalisation_unifies_width_case_spaces_and_traditional() -> None:
    assert normalize("ＨＥＬＬＯ 你 好") == "hello你好"
    assert compact("自 . 杀！") == "自杀"
    assert compact("殺") == "杀"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("在吗", "chitchat"),
        ("在吗？？", "chitchat"),
        ("谢谢", "chitchat"),
        ("你好呀", "chitchat"),
        ("建议村里在河边多装几个路灯", "suggestion"),
        ("希望社区多组织老年人活动", "suggestion"),
        ("村口的路灯坏了好几天了，晚上黑乎乎的", "report"),
        ("河边有人偷倒建筑垃圾", "report"),
        ("楼道里有人飞线充电", "report"),
        ("老板欠我三个月工资不给", "dispute"),
        ("物业费能不能不交", "question"),
        ("宅基地可以卖给外村人吗", "question"),
    ],
)
def test_rules_get_the_plain_cases_right(text: str, intent: str, rules_classifier: Classifier) -> None:
    assert rules_classifier.classify(text).intent == intent


def test_dispute_has_a_category(rules_classifier: Classifier) -> None:
    triage = rules_classifier.classify("老板欠我三个月工资不给")
    assert triage.category == "劳动报酬"


def test_question_hiding_a_dispute_is_answered_and_offered_a_prefilled_case(assistant: Assistant) -> None:
    message = "邻居堵了路，不让我通行排水，我能告他吗"
    reply = assistant.respond(message)
    assert reply.answer is not None and not reply.answer.refused
    assert reply.answer.citations
    assert reply.offer_case is not None
    assert reply.offer_case.category == "邻里纠纷" and reply.offer_case.description == message


def test_urgent_reply_gives_the_right_numbers(assistant: Assistant) -> None:
    reply = assistant.respond("我不想活了")
    assert reply.urgent and reply.safety and "12356" in reply.text and "400-161-9995" in reply.text
    fire = assistant.respond("隔壁着火了")
    assert "119" in fire.text and fire.dangers == ("fire",)
    violence = assistant.respond("他正在打我")
    assert "110" in violence.text
    assert reply.answer is None  # safety first: no law lecture


def test_non_questions_get_a_short_acknowledgement(assistant: Assistant) -> None:
    assert "建议" in assistant.respond("建议村里多装几个路灯").text
    assert assistant.respond("在吗").intent == "chitchat"
