"""Keyword rules for intent and dispute category, on the compact normalised text.

The rules give each intent a score in [0, 1]; the classifier fuses them with the nearest labelled
examples. Rules are strongest where words are unambiguous (a greeting, "建议", "路灯坏了", "工资"),
the examples where phrasing matters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INTENTS = ("question", "dispute", "suggestion", "report", "urgent", "chitchat")
CATEGORIES = (
    "邻里纠纷",
    "婚姻家庭",
    "继承赡养",
    "物业纠纷",
    "土地宅基地",
    "劳动报酬",
    "消费纠纷",
    "损害赔偿",
    "其他",
)

_CHITCHAT = re.compile(
    r"^(在吗|在不在|有人吗|你好|您好|你们好|大家好|hi|hello|哈喽|嗨|早|早上好|上午好|中午好|下午好|晚上好|晚安|"
    r"谢谢|谢谢你|谢谢您|多谢|感谢|辛苦了|好的|好|嗯|嗯嗯|哦|ok|okay|收到|明白了|知道了|哈哈+|呵呵|再见|拜拜|"
    r"你是谁|你叫什么|你是机器人吗|你是真人吗|你会干什么|你能干什么|吃了吗|吃饭了吗|测试|试试|天气不错|"
    r"老师好|领导好|点赞|赞|厉害|不错|太好了|好人一生平安)(啊|呀|哈|呢|吧|哦|啦|了)*$"
)
_QUESTION = re.compile(
    r"吗$|吗[^a-z]{0,3}$|怎么办|归谁|谁(来)?(出|付|管|赔|负责|承担)|怎么(弄|处理|算|赔|判|分|写|申请|办|走|告|起诉|要)|如何|能不能|可不可以|可以不可以|"
    r"是否|有没有|是不是|哪里|哪儿|去哪|找谁|找哪|多少|多久|几天|几年|什么|啥|请问|咨询|问一下|问下|想问|"
    r"法律(上)?(规定|怎么)|违法吗|合法吗|犯法吗|算不算|要不要|需不需要|需要(什么|哪些)|怎样|为什么|凭什么|吗？|么$"
)
_SUGGESTION = re.compile(
    r"建议|提议|提个意见|提点意见|意见和建议|希望(村里|社区|村委|居委|政府|物业|能|可以|多|早日|尽快|增加|组织)|"
    r"能不能(在|给|多|组织|装|修|建|开|办|安排)|可不可以(在|给|多|组织|装|修|建|开|办|安排)|"
    r"要是能.{0,20}就好了|最好(能|可以)|应该(多|在|给|组织|增加|装|建)|增设|加装|多装|多建|多安排|多组织|"
    r"搞个|办个|建个|开个.{0,6}(班|活动|课)|呼吁|倡议|希望.{0,12}(能|可以|改)|能不能(设|搞|放|在|把|改)|"
    r"可以(修|建|设|搞|办|开|放)(一|个)|我觉得.{0,16}应该|意见箱"
)
_REPORT = re.compile(
    r"路灯.{0,4}(坏|不亮|灭)|灯.{0,3}(坏了|不亮)|井盖|窨井|下水道|堵(塞|住)了|积水|污水|臭水|漏水|(电线|电缆).{0,4}(垂|掉|断|裸露|乱拉)|"
    r"飞线充电|楼道.{0,6}(充电|堆|杂物)|消防通道.{0,4}(堵|占|停)|偷倒|乱倒|乱扔|乱堆|倾倒|垃圾.{0,6}(没人|没清|成堆|堆)|"
    r"焚烧|烧秸秆|烧垃圾|塌(了|方)|坍塌|裂缝|危房|开裂|树.{0,4}(倒|断|歪)|倒了一棵|坑|破损|损坏.{0,4}(路|桥|栏杆)|"
    r"隐患|安全问题|野狗|流浪狗|马蜂窝|蛇|违建|违章搭建|私搭乱建|占道经营|噪音扰民|排污|偷排|黑烟|"
    r"反映(一个|个|一下)?(问题|情况)|举报|报修|没人管|好几天了.{0,10}(没|还)|(螺丝|盖子|栏杆|扶手|护栏).{0,3}(掉|断|松|坏)|"
    r"很危险|没有(栏杆|护栏|路灯|盖子)|门禁.{0,3}坏|监控.{0,3}坏|三无|病死|野猪|火药|烟花爆竹|液化气罐|油垢|烧垃圾|"
    r"烟很大|配电(箱|房)|变压器|(坏了|断了|掉了)(一个月|好几天|很久|半个月|几天)"
)
_DISPUTE = re.compile(
    r"纠纷|矛盾|吵架|吵起来|闹翻|打官司|起诉|告(他|她|他们|她们)|不讲理|欺负|霸占|占(了)?(我|我们|我家)|"
    r"欠(我|钱|款|工资|薪)|不还|不给(钱|工资|赔|退)|拖欠|赖账|不认账|不赔|不退|要回|讨回|赔偿|调解|"
    r"不管(我|老人|父母|孩子)|不养|不赡养|离婚|分家|争(遗产|房|地)|抢(地|房)|堵(了)?(我|我家|路|门)|挡(了)?(我|路|光)|"
    r"邻居.{0,12}(不|总|老|天天|又)|他们家|对方|协商不成|谈不拢|说不通|没办法|气人|太过分|受不了"
)

_OWN = re.compile(r"我|俺|咱|我家|我们|自家|阿拉|侬")
_PARTY = re.compile(
    r"他|她|对方|邻居|老板|物业|公司|商家|单位|厂|包工头|工头|房东|租客|楼上|楼下|隔壁|对门|儿子|女儿|老公|老婆|"
    r"丈夫|妻子|媳妇|婆婆|公公|兄弟|姐妹|哥|弟|姐|妹|村委|开发商|店|卖家|快递|司机|人家"
)

_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "邻里纠纷": (
        "邻居",
        "隔壁",
        "楼上",
        "楼下",
        "对门",
        "邻里",
        "噪音",
        "太吵",
        "滴水",
        "挡光",
        "采光",
        "通风",
        "排水",
        "通行",
        "堵路",
        "占道",
        "树枝",
        "鸡",
        "鸭",
        "狗叫",
        "养狗",
        "院墙",
        "围墙",
        "排烟",
        "油烟",
        "空调外机",
    ),
    "婚姻家庭": (
        "老公",
        "老婆",
        "丈夫",
        "妻子",
        "媳妇",
        "离婚",
        "彩礼",
        "抚养",
        "结婚",
        "婆婆",
        "公公",
        "出轨",
        "夫妻",
        "婚前",
        "婚后",
        "家暴",
        "分居",
        "抚养费",
        "探望",
        "对象",
        "嫁妆",
        "重婚",
    ),
    "继承赡养": (
        "遗产",
        "继承",
        "遗嘱",
        "赡养",
        "养老",
        "赡养费",
        "老人没人管",
        "不管老人",
        "父母",
        "老母亲",
        "老父亲",
        "分家",
        "老宅",
        "过世",
        "去世",
        "死后",
        "兄弟姐妹",
        "孝顺",
        "养老送终",
    ),
    "物业纠纷": (
        "物业",
        "物业费",
        "业委会",
        "业主",
        "小区",
        "停车位",
        "车位",
        "电梯",
        "保安",
        "维修基金",
        "维修资金",
        "公摊",
        "开发商",
        "门禁",
        "绿化",
    ),
    "土地宅基地": (
        "宅基地",
        "承包地",
        "土地",
        "田",
        "地界",
        "征地",
        "拆迁",
        "补偿款",
        "建房",
        "盖房",
        "山林",
        "流转",
        "承包",
        "自留地",
        "林地",
        "鱼塘",
        "界桩",
        "确权",
        "地块",
        "耕地",
    ),
    "劳动报酬": (
        "工资",
        "工钱",
        "老板",
        "包工头",
        "欠薪",
        "辞退",
        "开除",
        "加班",
        "社保",
        "工伤",
        "劳动合同",
        "打工",
        "上班",
        "工地",
        "工厂",
        "试用期",
        "经济补偿",
        "劳务费",
        "工头",
        "单位",
    ),
    "消费纠纷": (
        "买的",
        "买了",
        "退货",
        "退款",
        "商家",
        "假货",
        "质量问题",
        "网购",
        "店里",
        "售后",
        "办卡",
        "充值",
        "预付",
        "超市",
        "快递",
        "保质期",
        "过期",
        "发票",
        "装修公司",
        "培训班",
        "退费",
    ),
    "损害赔偿": (
        "撞",
        "受伤",
        "咬伤",
        "咬了",
        "医药费",
        "赔偿",
        "摔倒",
        "砸坏",
        "砸伤",
        "损坏",
        "车祸",
        "弄坏",
        "烫伤",
        "误工费",
        "划了",
        "刮了",
        "被狗咬",
        "碰瓷",
    ),
}


@dataclass(frozen=True, slots=True)
class RuleScores:
    intents: dict[str, float]
    category: str | None
    category_hits: int
    matched: tuple[str, ...]


def category_scores(flat: str) -> dict[str, int]:
    return {cat: sum(flat.count(word) for word in words) for cat, words in _CATEGORY_WORDS.items()}


def score_rules(flat: str) -> RuleScores:
    """Intent scores from keyword rules on the compact normalised text ``flat``."""
    matched: list[str] = []
    scores = dict.fromkeys(INTENTS, 0.0)
    if not flat:
        scores["chitchat"] = 1.0
        return RuleScores(scores, None, 0, ("empty",))
    if _CHITCHAT.match(flat):
        scores["chitchat"] = 1.0
        matched.append("chitchat")
    elif len(flat) <= 3:
        scores["chitchat"] = 0.6
        matched.append("short")
    for name, regex, weight in (
        ("question", _QUESTION, 0.6),
        ("suggestion", _SUGGESTION, 0.8),
        ("report", _REPORT, 0.7),
        ("dispute", _DISPUTE, 0.6),
    ):
        found = regex.findall(flat)
        if found:
            scores[name] = min(1.0, weight + 0.1 * (len(found) - 1))
            matched.append(name)
    cats = category_scores(flat)
    best_cat, hits = max(cats.items(), key=lambda kv: kv[1])
    personal = bool(_OWN.search(flat) and _PARTY.search(flat))
    if scores["question"] and not personal:
        # A general question ("离婚冷静期是多少天") names a conflict topic but no conflict of one's own.
        scores["dispute"] *= 0.4
    elif hits and personal and not (scores["dispute"] or scores["report"] or scores["suggestion"]):
        # The writer, a counterpart and a conflict topic: leans towards a dispute.
        scores["dispute"] = 0.3
    return RuleScores(scores, best_cat if hits else None, hits, tuple(matched))
