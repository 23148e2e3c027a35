"""A provisional assistant: keyword triage and character-bigram lookup of articles.

A stand-in so the terminal chat and the demo answer with a real citation while the answers and
triage service (``knowledge/``) is being written in parallel; ``bot.runtime.load_assistant`` uses
that service as soon as it exists. It reads articles from the bundled sample knowledge base
(``knowledge/sample/**/*.md``) when present, else from the few articles below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.services import AssistantReply, CaseDraft, Citation
from prompts import t

URGENT = (
    "救命",
    "杀了",
    "要杀",
    "砍人",
    "打死",
    "自杀",
    "不想活",
    "跳楼",
    "跳河",
    "喝农药",
    "着火",
    "火灾",
    "煤气",
    "燃气泄漏",
    "拿刀",
    "持刀",
    "家暴",
)
CHITCHAT = ("在吗", "你好", "您好", "谢谢", "hi", "hello", "早上好", "晚上好")
SUGGESTION = ("建议", "希望村里", "希望社区", "能不能增加", "提个意见")
REPORT = ("路灯", "乱倒垃圾", "隐患", "电线", "井盖", "漏水", "塌了")
DISPUTES = {
    "邻里纠纷": ("邻居", "隔壁", "堵", "吵", "噪音", "占道"),
    "婚姻家庭": ("离婚", "老公", "老婆", "丈夫", "妻子"),
    "继承赡养": ("赡养", "遗产", "继承", "养老"),
    "物业纠纷": ("物业", "业委会"),
    "土地宅基地": ("宅基地", "承包地", "地界"),
    "劳动报酬": ("工资", "工钱", "欠薪", "老板不给"),
    "消费纠纷": ("退货", "假货", "商家"),
    "损害赔偿": ("赔偿", "撞了", "弄坏"),
}
CONFLICT = ("不听", "不给", "不还", "欺负", "吵架", "打架", "纠纷", "怎么办", "告他", "矛盾", "堵了")

BUILT_IN = (
    (
        "中华人民共和国民法典",
        "第二百八十八条",
        "不动产的相邻权利人应当按照有利生产、方便生活、团结互助、公平合理的原则，正确处理相邻关系。",
    ),
    (
        "中华人民共和国民法典",
        "第二百九十一条",
        "不动产权利人对相邻权利人因通行等必须利用其土地的，应当提供必要的便利。",
    ),
    (
        "中华人民共和国民法典",
        "第二百九十六条",
        "不动产权利人因用水、排水、通行、铺设管线等利用相邻不动产的，应当尽量避免对相邻的不动产权利人造成损害。",
    ),
    (
        "中华人民共和国民法典",
        "第一千零六十七条",
        "父母不履行抚养义务的，未成年子女或者不能独立生活的成年子女，有要求父母给付抚养费的权利。"
        "成年子女不履行赡养义务的，缺乏劳动能力或者生活困难的父母，有要求成年子女给付赡养费的权利。",
    ),
)
_ARTICLE = re.compile(r"^\s*(?:#+\s*)?(第[零一二三四五六七八九十百千]+条)\s*(.+)$")


@dataclass(frozen=True)
class _Article:
    law: str
    label: str
    text: str
    grams: frozenset[str]


def _bigrams(text: str) -> frozenset[str]:
    clean = re.sub(r"[\s，。、；：！？“”（）]", "", text)
    return frozenset(clean[i : i + 2] for i in range(len(clean) - 1))


def _load(sample: Path | None) -> list[_Article]:
    found: list[tuple[str, str, str]] = []
    if sample is not None and sample.is_dir():
        for path in sorted(sample.rglob("*.md")):
            lines = path.read_text(encoding="utf-8").splitlines()
            title = next((line.lstrip("# ").strip() for line in lines if line.startswith("# ")), path.stem)
            for line in lines:
                match = _ARTICLE.match(line)
                if match:
                    found.append((title, match.group(1), match.group(2).strip()))
    rows = found or list(BUILT_IN)
    return [_Article(law, label, text, _bigrams(text)) for law, label, text in rows]


class ProvisionalAssistant:
    def __init__(self, sample: Path | None = None) -> None:
        self.articles = _load(sample)

    def respond(self, message: str, community: str | None, lang: str) -> AssistantReply:
        text = message.strip()
        if any(word in text for word in URGENT):
            return AssistantReply("urgent", True, "")
        if len(text) <= 6 and any(word in text.lower() for word in CHITCHAT):
            return AssistantReply("chitchat", False, "")
        if any(word in text for word in SUGGESTION):
            return AssistantReply("suggestion", False, "")
        if any(word in text for word in REPORT):
            return AssistantReply("report", False, "")
        category = next((c for c, words in DISPUTES.items() if any(w in text for w in words)), None)
        citations = self._cite(text)
        answer = self._compose(citations, lang)
        if category and any(word in text for word in CONFLICT):
            draft = CaseDraft(category=category, description=text)
            return AssistantReply("dispute", False, answer, citations, not citations, category, draft)
        if not citations:
            return AssistantReply("question", False, t("common.legal_aid_line", lang), [], True)
        return AssistantReply(
            "question",
            False,
            answer,
            citations,
            category=category,
            offer_case=CaseDraft(category=category, description=text) if category else None,
        )

    def _cite(self, text: str) -> list[Citation]:
        grams = _bigrams(text)
        scored = sorted(((len(grams & a.grams), a) for a in self.articles), key=lambda pair: -pair[0])
        return [
            Citation(f"law/{a.law}/{a.label}", a.law, a.label, a.text, float(shared))
            for shared, a in scored[:2]
            if shared >= 2
        ]

    @staticmethod
    def _compose(citations: list[Citation], lang: str) -> str:
        if not citations:
            return ""
        lines = [f"根据《{c.law}》{c.article}：“{c.quote}”" for c in citations]
        return "\n\n".join([*lines, t("common.disclaimer", lang)])
