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
from knowledge.triage.normalize import compact, normalize

# Asking how to get away with something: the frame and the thing evaded.
_HOW = r"(怎么|怎样|如何|有什么办法|有没有办法|咋|能不能|可不可以|才能|才不会)"
_EVADE = (
    r"(不被|不会被|免得被|别被)(警察|公安|派出所|交警|法院|纪委|检察院|税务局?)?(抓|判|处理|处罚|查|发现|追究|拘留|起诉|扣分|追查)|"
    r"(躲|逃|避|骗|糊弄|蒙)过(去|派出所|警察|公安|检查|调查|仪器|酒精|交警|纪委|法院|法律|检测)|"
    r"(把)?(录像|监控|证据|账本|聊天记录).{0,3}(删掉|删了|销毁|处理掉|藏起来|烧掉|毁掉)|(删掉|销毁|处理掉|毁掉)(录像|监控|证据|账本|聊天记录)"
)

# Places whose law heshi does not quote: other countries, and Hong Kong, Macao and Taiwan (own legal systems).
_ABROAD = (
    r"(美国|日本|英国|德国|法国|韩国|加拿大|澳大利亚|澳洲|新加坡|俄罗斯|意大利|泰国|越南|马来西亚|欧盟|印度|新西兰|西班牙|"
    r"荷兰|瑞士|迪拜|菲律宾|缅甸|柬埔寨|老挝|印尼|印度尼西亚|巴西|墨西哥|阿根廷|阿联酋|沙特|土耳其|以色列|埃及|南非|"
    r"葡萄牙|希腊|瑞典|挪威|丹麦|芬兰|比利时|奥地利|爱尔兰|波兰|乌克兰|蒙古|哈萨克斯坦|巴基斯坦|香港|澳门|台湾|"
    r"国外|外国|海外)"
)

_RULES: dict[str, re.Pattern[str]] = {
    "weather": re.compile(
        r"天气|气温|(下不下|会不会下|要不要下|有没有)(雨|雪)|(会不会|什么时候|几时)(来|有|到)台风|台风(来|到)|晴天|阴天|"
        r"下(大|暴|小)?(雨|雪)(吗|么|不|没|啊)|多少度|几度|冷不冷|热不热|降温|升温|刮大风|雾霾"
    ),
    "lottery": re.compile(r"彩票|双色球|大乐透|福彩|体彩|六合彩|排列三|中奖号码|开奖|特码|买什么号"),
    "medical": re.compile(
        r"什么病|吃什么药|吃药|什么药|看什么科|挂什么科|偏方|降压|降糖|血压|血糖|头疼|头痛|发烧|咳嗽|感冒|失眠|胃疼|"
        r"肚子疼|腰疼|关节疼|体检报告|化验单|检查报告|症状|怎么治|能治好|治疗方法|打什么针|是不是得了|孕|中药|西药|保健品"
    ),
    "criminal_defence": re.compile(
        r"(怎么|如何|怎样|有什么办法|咋|能不能)(才能)?(不被(抓|判|发现|查出|查到)|逃避|逃脱|脱罪|销毁证据|串供|"
        r"躲(过|避)?(警察|公安|调查|追查)|做假账|减轻(处罚|刑)|少判)|不被(警察|公安)(抓|发现)|伪造证据|做伪证|"
        r"(逃|躲)过(法律|处罚|追究)|藏(赃|钱).{0,6}不被|"
        rf"{_HOW}.{{0,12}}({_EVADE})|串(好)?(口)?供|顶罪|顶包|(说|假装|谎称|编).{{0,3}}不在(现)?场|"
        r"(让|使|叫)(法院|警察|公安|税务|纪委|检察院|银行|别人|他们|人家).{0,2}(查不到|查不出|发现不了|找不到)"
    ),
    "foreign_law": re.compile(
        rf"{_ABROAD}(的)?.{{0,10}}(法律|法院|宪法|法|移民|签证|绿卡|法规|规定|允许|合法|违法|离婚|继承|打官司|官司|判)|"
        rf"{_ABROAD}(的|那边|那里|当地|本地).{{0,8}}(税|遗产|结婚|登记|手续|房子|买房|外国人|公司|留学|律师|打工|工作)"
    ),
    "homework": re.compile(
        r"作文|(写|做|抄|改|交|布置|家庭|暑假|寒假|课后|数学|语文|英语|孩子的?|孙子的?|孙女的?)作业|作业(本|题|答案|怎么写|怎么做)|数学题|这道题|这题|解方程|方程|公式|下一句|上一句|造(个|一个)?句(子)?|古诗|翻译(一下|成)|英语|单词|写一首|写首诗|"
        r"阅读理解|考试答案|答案是|中心思想|乘以|除以|加减|几何|物理题|化学题|练习册|分之[一二三四五六七八九十]|"
        r"[0-9][+*/×÷=xX][0-9]|[0-9]-[0-9]+=|鸡兔同笼|应用题|口算|错别字|周记|乘法|除法|加法|减法|浮力|(初中|高中|小学)(的)?(物理|化学|数学|语文|英语)"
    ),
    "other": re.compile(
        r"股票|基金.{0,4}(涨|跌|买)|比特币|八字|算命|星座|运势|风水|菜谱|做菜|怎么做好吃|怎么做才好吃|电视剧|电影|球赛|明星|"
        r"python|代码|编程|wifi|游戏|减肥|食谱|旅游攻略|景点|笑话|讲个故事|唱首歌"
    ),
}

# Words that make a message a legal or dispute matter whatever else it mentions.
_LEGAL = re.compile(
    r"法律|法院|起诉|告|赔|纠纷|合同|离婚|结婚|继承|遗产|遗嘱|赡养|抚养|彩礼|工资|欠|借|租|物业|宅基地|承包|"
    r"征收|补偿|邻居|楼上|楼下|隔壁|对门|侵权|违约|责任|调解|仲裁|权利|义务|民法典|规定|违法|合法|犯法|报警|派出所|律师|村委|居委|"
    r"工伤|事故|损害|罚|押金|退款|退货|谁的|归谁|分|相邻|关系|权|条例|义务|债|担保|抵押|保证|赔偿|诉讼|时效|判|"
    r"不可抗力|管辖|费用|谁出|谁承担|谁负责|单位|公司|员工|劳动|房东|医疗事故|医院.{0,6}(赔|责任)|买(的|了|到)|卖(的|给|了)|商家|合同|保险"
)
_HOME = re.compile(r"回国|国内|中国|在这边|我们这")


# Rules that a legal word does not exempt: "那个明星离婚了是真的吗" is gossip, not a family-law question.
_STRICT_RULES: dict[str, re.Pattern[str]] = {
    # Sums contain 分 and 加, which the legal-word list would otherwise take for 分财产, 加班.
    "homework": re.compile(
        r"(分数|小数|方程|鸡兔同笼|应用题|口算).{0,10}(加|减|乘|除|怎么算|等于|算一下)|[0-9][+÷=][0-9]"
    ),
    "other": re.compile(
        r"(明星|歌星|影星|演员|艺人)(的)?.{0,10}(离婚|结婚|恋爱|出轨|绯闻|八卦|是真的|真的假的|私生活)"
    ),
}


def _exempt(topic: str, flat: str) -> bool:
    """A rule that fired on words a legal question also uses ("台风吹倒的树砸了车谁赔")."""
    if topic == "foreign_law":
        return bool(_HOME.search(flat))
    if topic == "criminal_defence":
        return False
    return bool(_LEGAL.search(flat))


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
        spelled = normalize(question)  # keeps "+" and "=", which the compact form drops
        for topic, rule in _STRICT_RULES.items():
            if rule.search(flat) or rule.search(spelled):
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
