"""Out-of-scope questions (weather, lottery numbers, medical diagnosis, criminal-defence tactics,
other countries' law, homework, …): declined politely instead of answered from the wrong law.

Two detectors: precise rules, then a vote of the nearest examples in ``scope_examples.yaml`` (our own
examples, never the evaluation set). A message with a clear legal or dispute word is never declined by
the vote, only by a rule: "彩票中奖的钱离婚要分吗" is a family-law question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from knowledge.triage.encoder import TextEncoder, cached_encode
from knowledge.triage.normalize import compact

_RULES: dict[str, re.Pattern[str]] = {
    "weather": re.compile(
        r"天气(预报|怎么样|如何|好吗|咋样)|(今天|明天|后天|周末|这周|下周|这几天|最近).{0,6}(下雨|下雪|降温|多少度|几度|刮风)"
        r"(吗|么|不|没)|气温多少"
    ),
    "lottery": re.compile(
        r"(彩票|双色球|大乐透|福彩|体彩|六合彩|排列三|3d).{0,8}(号码|预测|推荐|开奖|开什么|出什么|选号|特码|容易中)|"
        r"下期.{0,6}(号码|开什么)|买什么号"
    ),
    "medical": re.compile(
        r"(是|得了)什么病|吃什么药|怎么治(疗)?(好)?$|怎么治|能治好吗|偏方|(头疼|头痛|发烧|咳嗽|胃疼|肚子疼|腰疼|失眠|血压|血糖)"
        r".{0,12}(怎么办|吃什么|什么病|怎么治|要紧吗|严重吗)|是不是得了"
    ),
    "criminal_defence": re.compile(
        r"(怎么|如何|怎样|有什么办法|咋)(才能)?(不被(抓|判|发现|查出)|逃避(法律|追究|处罚|判刑|刑事|责任|法律责任)|"
        r"脱罪|销毁证据|串供|躲(过|避)?(警察|公安|调查)|做假账)|不被(警察|公安)(抓|发现)|伪造证据|做伪证"
    ),
    "foreign_law": re.compile(
        r"(美国|日本|英国|德国|法国|韩国|加拿大|澳大利亚|澳洲|新加坡|俄罗斯|意大利|泰国|越南|马来西亚|欧盟|国外|外国)"
        r"(的)?.{0,8}(法律|法院|宪法|离婚法|继承法|劳动法|移民|签证|绿卡|法规|法)"
    ),
    "homework": re.compile(
        r"作文|作业(题|怎么写|答案)|写作业|数学题|这道题|解方程|方程|公式是什么|下一句|造句|古诗|翻译(一下|成)|"
        r"写一首|写首诗|阅读理解|考试答案"
    ),
    "other": re.compile(
        r"股票|基金.{0,4}(涨|跌|买)|比特币|八字|算命|星座|运势|风水|菜谱|怎么做好吃|电视剧|电影推荐|球赛|明星|"
        r"python|代码|wifi|游戏攻略"
    ),
}

# Words that make a message a legal or dispute matter whatever else it mentions.
_LEGAL = re.compile(
    r"法律|法院|起诉|告|赔|纠纷|合同|离婚|结婚|继承|遗产|遗嘱|赡养|抚养|彩礼|工资|欠|借|租|物业|宅基地|承包|"
    r"征收|补偿|邻居|侵权|违约|责任|调解|仲裁|权利|义务|民法典|规定|违法|合法|犯法|报警|派出所|律师|村委|居委|"
    r"工伤|事故|损害|罚|押金|退款|退货|谁的|归谁|分|相邻|关系|权|条例|义务|债|担保|抵押|保证|赔偿|诉讼|时效|判"
)
_HOME = re.compile(r"回国|国内|中国|在这边|我们这")


def _exempt(topic: str, flat: str) -> bool:
    """A rule that fired on words a legal question also uses ("台风吹倒的树砸了车谁赔")."""
    if topic == "weather":
        return bool(_LEGAL.search(flat))
    if topic == "foreign_law":
        return bool(_HOME.search(flat))
    return False


@dataclass(frozen=True, slots=True)
class ScopeDecision:
    in_scope: bool
    topic: str | None = None  # weather, lottery, … when out of scope
    by: str = ""  # rule | neighbours


@lru_cache(maxsize=1)
def _examples() -> tuple[list[str], list[str], list[str]]:
    """(texts, labels 'out'/'in', topics)"""
    raw = yaml.safe_load(
        resources.files("knowledge.answers").joinpath("scope_examples.yaml").read_text("utf-8")
    )
    texts: list[str] = []
    labels: list[str] = []
    topics: list[str] = []
    for topic, items in raw["out_of_scope"].items():
        for text in items:
            texts.append(text)
            labels.append("out")
            topics.append(topic)
    for text in raw["in_scope"]:
        texts.append(text)
        labels.append("in")
        topics.append("")
    return texts, labels, topics


class ScopeDetector:
    """Rules first; then, for messages with no legal word, the nearest examples vote."""

    def __init__(
        self,
        encoder: TextEncoder | None = None,
        k: int = 5,
        threshold: float = 0.6,
        cache_dir: Path | None = None,
    ) -> None:
        self._encoder = encoder
        self._cache_dir = cache_dir
        self._vectors: np.ndarray | None = None
        self.k = k
        self.threshold = threshold

    def decide(
        self, question: str, vector: np.ndarray | None = None, strong_evidence: bool = False
    ) -> ScopeDecision:
        """``strong_evidence``: retrieval found a clearly relevant article, so the vote is skipped."""
        flat = compact(question)
        for topic, rule in _RULES.items():
            if rule.search(flat) and not _exempt(topic, flat):
                return ScopeDecision(False, topic, "rule")
        if strong_evidence or _LEGAL.search(flat) or vector is None or self._encoder is None:
            return ScopeDecision(True)
        return self._vote(vector)

    def _vote(self, vector: np.ndarray) -> ScopeDecision:
        texts, labels, topics = _examples()
        if self._vectors is None:
            assert self._encoder is not None
            self._vectors = cached_encode(self._encoder, texts, self._cache_dir, "scope-examples")
        sims = self._vectors @ vector
        top = np.argsort(-sims)[: self.k]
        weights = np.exp((sims[top] - sims[top[0]]) / 0.02)
        out = sum(float(w) for i, w in zip(top, weights, strict=True) if labels[int(i)] == "out")
        share = out / float(weights.sum())
        if share >= self.threshold:
            return ScopeDecision(False, topics[int(top[0])] or "other", "neighbours")
        return ScopeDecision(True)
