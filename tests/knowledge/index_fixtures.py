"""A small knowledge base for index and retrieval tests: a few dozen units written for the tests.

Law-like texts are paraphrased here, not copied from any corpus; two communities (QSC, LSS) have rules
with the same article numbers so that scope leaks would show; one law is repealed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np

from knowledge.embeddings import VectorEmbeddings
from knowledge.numerals import article_label
from knowledge.units import Document, Unit, UnitKind, UnitStatus

CIVIL_CODE = "中华人民共和国民法典"
LABOUR_CONTRACT = "中华人民共和国劳动合同法"
OLD_NOISE_LAW = "中华人民共和国环境噪声污染防治法"

NEIGHBOURS = ("物权编", "第七章 相邻关系")
FAMILY = ("婚姻家庭编", "第三章 家庭关系")
_CIVIL = {
    288: (NEIGHBOURS, "不动产的相邻权利人应当按照有利生产、方便生活、团结互助、公平合理的原则，"
                      "正确处理相邻关系。"),
    291: (NEIGHBOURS, "邻居因为通行必须经过他人土地的，土地的权利人应当提供必要的便利。"),
    293: (NEIGHBOURS, "建造房屋不得违反工程建设标准，不得妨碍相邻房屋的通风、采光和日照。"),
    296: (NEIGHBOURS, "不动产权利人因用水、排水、通行、铺设管线等利用相邻不动产的，"
                      "应当尽量避免对相邻的不动产权利人造成损害。"),
    721: (("合同编", "第十四章 租赁合同"), "承租人应当按照约定的期限支付租金。"
                                           "对支付租金的期限没有约定的，租赁期间不满一年的，"
                                           "应当在租赁期限届满时支付。"),
    1064: (FAMILY, "夫妻双方共同签名或者一方事后追认所负的债务，"
                   "以及一方为家庭日常生活需要所负的债务，属于夫妻共同债务。"),
    1067: (FAMILY, "父母不履行抚养义务的，未成年子女有要求父母给付抚养费的权利。"
                   "成年子女不履行赡养义务的，缺乏劳动能力或者生活困难的父母，"
                   "有要求成年子女给付赡养费的权利。"),
    1127: (("继承编", "第二章 法定继承"), "遗产按照下列顺序继承：第一顺序为配偶、子女、父母；"
                                          "第二顺序为兄弟姐妹、祖父母、外祖父母。"),
}
_LABOUR = {
    30: (("第三章 劳动合同的履行和变更",), "用人单位应当按照劳动合同约定和国家规定，"
                                           "向劳动者及时足额支付劳动报酬。用人单位拖欠或者未足额"
                                           "支付劳动报酬的，劳动者可以依法向当地人民法院申请支付令。"),
    82: (("第七章 法律责任",), "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，"
                               "应当向劳动者每月支付二倍的工资。"),
}
_OLD_NOISE = {10: ((), "产生环境噪声污染的单位，应当采取措施进行治理。")}
_QSC_RULES = [
    "村民应当爱护村里的道路、水渠和路灯，不得私自占用公共道路堆放柴草和建材。",
    "饲养家禽家畜应当圈养，不得放任牲畜损坏他人庄稼；造成损失的，由饲养人赔偿。",
    "建房应当依法申请宅基地，经村民委员会公示后报乡镇审批，不得未批先建。",
    "邻里之间发生纠纷，先由网格员和村人民调解委员会调解，调解不成的可以依法申请仲裁或者起诉。",
    "红白喜事应当从简办理，酒席规模不超过二十桌，不燃放大型烟花。",
    "垃圾应当分类投放到指定地点，不得倒入河道和水塘。",
]
_LSS_RULES = [
    "居民应当文明养犬，出门牵绳，及时清理犬只粪便。",
    "晚上十点以后不得在楼道和广场大声喧哗，装修施工应当在工作日白天进行。",
    "电动自行车不得进楼入户充电，应当停放在小区集中充电点。",
    "楼道和消防通道不得堆放杂物，保持畅通。",
    "业主大会每年至少召开一次，公共收益的使用情况应当公示。",
    "居民之间发生纠纷，可以请社区人民调解委员会调解。",
]


def _law(title: str, articles: Mapping[int, tuple[tuple[str, ...], str]], status: UnitStatus) -> Document:
    units = tuple(
        Unit(id=f"law/{title}/{number}", kind=UnitKind.LAW, doc_title=title, text=text, path=path,
             label=article_label(number), number=number, status=status, source=f"fixtures/{title}.md")
        for number, (path, text) in articles.items()
    )
    return Document(source=f"fixtures/{title}.md", kind=UnitKind.LAW, title=title, units=units, status=status)


def rules(community: str, title: str, texts: Sequence[str]) -> Document:
    source = f"fixtures/{community}/{title}.md"
    units = tuple(
        Unit(id=f"rules/{community}/{title}/{n}", kind=UnitKind.RULES, doc_title=title, text=text,
             label=article_label(n), number=n, scope=community, source=source)
        for n, text in enumerate(texts, start=1)
    )
    return Document(source=source, kind=UnitKind.RULES, title=title, units=units, scope=community)


def faq() -> Document:
    source = "fixtures/services.yaml"
    entries = [
        (("怎么申请法律援助？", "请不起律师怎么办"),
         "经济困难的群众可以向县司法局法律援助中心申请法律援助，也可以拨打12348咨询。"),
        (("办理居住证需要什么材料？",), "居住满半年的，可以持身份证和居住证明到派出所申请居住证。"),
    ]
    units = tuple(
        Unit(id=f"faq/services/{n}", kind=UnitKind.FAQ, doc_title="便民服务指南", text=answer,
             questions=questions, source=source)
        for n, (questions, answer) in enumerate(entries, start=1)
    )
    return Document(source=source, kind=UnitKind.FAQ, title="便民服务指南", units=units)


def sample_documents() -> list[Document]:
    return [
        _law(CIVIL_CODE, _CIVIL, UnitStatus.IN_FORCE),
        _law(LABOUR_CONTRACT, _LABOUR, UnitStatus.IN_FORCE),
        _law(OLD_NOISE_LAW, _OLD_NOISE, UnitStatus.REPEALED),
        rules("QSC", "青山村村规民约", _QSC_RULES),
        rules("LSS", "绿水社区居民公约", _LSS_RULES),
        faq(),
    ]


class CharGramEmbeddings(VectorEmbeddings):
    """A deterministic stand-in encoder (hashed character unigrams and bigrams) that counts every text
    it is asked to encode – so tests can prove that unchanged units are never re-encoded."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.passage_calls: list[str] = []

    @property
    def model_id(self) -> str:
        return f"test-chargram-{self.dim}"

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        grams = list(text) + [text[i : i + 2] for i in range(len(text) - 1)]
        for gram in grams:
            slot = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "little")
            vector[slot % self.dim] += 1.0
        return vector / max(float(np.linalg.norm(vector)), 1e-9)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passage_calls.extend(texts)
        return np.stack([self._vector(text) for text in texts]) if texts else np.zeros((0, self.dim))

    def query_vector(self, text: str) -> np.ndarray:
        return self._vector(text)
