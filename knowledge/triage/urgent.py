"""Urgent danger: someone may be hurt now. Checked first, on the compact normalised text.

Recall matters more than precision here: a false alarm costs a resident one extra safety message,
a miss can cost a life. Each pattern carries example messages; the tests run every one of them, also
buried inside long mixed messages and with spaces, full-width letters and emoji.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from knowledge.triage.normalize import compact, normalize


class Danger(StrEnum):
    SELF_HARM = "self_harm"
    VIOLENCE = "violence"
    WEAPON = "weapon"
    THREAT = "threat"
    FIRE = "fire"
    GAS = "gas"
    MEDICAL = "medical"
    ABDUCTION = "abduction"


@dataclass(frozen=True, slots=True)
class UrgentPattern:
    name: str
    danger: Danger
    regex: re.Pattern[str]
    examples: tuple[str, ...]


def _p(name: str, danger: Danger, pattern: str, *examples: str) -> UrgentPattern:
    return UrgentPattern(name, danger, re.compile(pattern), examples)


# Idioms that contain an alarming word but mean nothing dangerous ("打死我也不信", "想死你了").
_HARMLESS = re.compile(
    r"打死(我|他|她|你)?也不|想死(你|我了|你们)|笑死|气死我了|累死|热死|冷死|饿死|困死|烦死|吵死|"
    r"臭死|忙死|美死|馋死|丑死|急死|杀价|杀毒|杀虫|杀猪|杀鸡|杀鱼|杀青|秒杀|砍价|砍树|砍柴|"
    r"火灾(补偿|赔偿|保险|险)|火锅|火车|火腿|火柴|(?<![着起失大])火了|(?<!马)上火|发火|火气|火爆|红火|生火做饭|炸鸡|炸酱|油炸|炸串|水枪|焊枪|喷枪|枪手|"
    r"电脑中毒|手机中毒|打电话|打(他|她|我|你)(的)?(电话|手机|微信)|打官司|打工|打扫|打牌|打麻将|打针|打听|打算|打车|"
    r"打印|打开|打扰|打招呼|打理|打字|打折|打卡|打款|打钱|打欠条|打井|打农药|打疫苗|打游戏|打篮球|打球"
)

URGENT_PATTERNS: tuple[UrgentPattern, ...] = (
    # --- self-harm and suicide -------------------------------------------------------------------
    _p(
        "suicide_word",
        Danger.SELF_HARM,
        r"自杀|轻生|寻死|寻短见|自尽|自残|自寻短见|了结自己|结束(自己的?)?生命",
        "我想自杀",
        "他说要轻生",
        "我妈昨晚寻短见了",
        "想结束自己的生命",
    ),
    _p(
        "not_want_to_live",
        Danger.SELF_HARM,
        r"不想活|活不下去|活不成了|活着(没|有什么)意思|活够了|不如死了|死了算了|死了一了百了|一了百了|"
        r"(我|俺)(想|要|准备|打算)死|不想拖累|想去死|让我死|我去死|还不如去死|没脸活",
        "我真的不想活了",
        "日子活不下去了",
        "活着没意思",
        "不如死了算了",
        "我想死",
        "俺要死给他们看",
    ),
    _p(
        "jump",
        Danger.SELF_HARM,
        r"跳楼|跳河|跳江|跳湖|跳井|跳桥|跳海|跳崖|站(在)?(楼顶|天台|窗台|桥上)",
        "再逼我我就跳楼",
        "我站在天台上",
        "她要跳河",
    ),
    _p(
        "poison_self",
        Danger.SELF_HARM,
        r"喝(了)?(农)?药|喝(了)?敌敌畏|喝百草枯|吞(了)?.{0,4}(安眠药|药)|吃(了)?(一(整)?瓶|好多|很多)?安眠药|"
        r"喝(了)?老鼠药|吃(了)?老鼠药|农药.{0,12}(喝|吞|吃)",
        "我妈喝农药了",
        "他吞了一瓶安眠药",
        "她吃了很多安眠药",
        "喝敌敌畏了",
    ),
    _p(
        "cut_hang_burn",
        Danger.SELF_HARM,
        r"割腕|割脉|上吊|烧炭|遗书|遗言",
        "孩子割腕了",
        "他在房里上吊",
        "烧炭",
        "写了遗书",
    ),
    # --- violence happening now ------------------------------------------------------------------
    _p(
        "beating_now",
        Danger.VIOLENCE,
        r"(正在|在|又在|还在)(打|殴打|揍)(人|我|她|他|孩子|老人|我妈|我爸)|打人(了|啦)|打起来了|"
        r"往死里打|被打得?(出血|流血|住院|昏|晕|站不起来)|打得?(满脸|满身|头破)(是)?血|动手打(人|我|她|他)|"
        r"(老公|丈夫|男人|儿子|他)(又)?(打|揍)(我|她)|(打|揍|踢)(我|她|孩子)|躲在(厕所|屋里|房间|柜子|邻居家)|(被|又|在|正在|一直|天天)家暴|家暴(我|她|孩子)|掐(住)?(我的?|她的?|他的?)?脖子|救救(我|我们|孩子)",
        "他正在打我",
        "外面打起来了",
        "他往死里打",
        "老公又打我了",
        "我被家暴了",
        "他掐我脖子",
        "救救我",
    ),
    _p(
        "blood_injury",
        Danger.VIOLENCE,
        r"流(了)?(好多|很多|一地)?血|血流不止|满(头|脸|身)(是)?血|见血了|头破血流",
        "头上流了好多血",
        "血流不止",
        "满头是血",
    ),
    _p(
        "help_call",
        Danger.VIOLENCE,
        r"救命|快报警|帮我报警|赶紧报警|快叫警察|快来人|出人命|要死人",
        "救命啊",
        "快报警",
        "要出人命了",
        "快来人啊",
    ),
    # --- weapons ---------------------------------------------------------------------------------
    _p(
        "weapon",
        Danger.WEAPON,
        r"(拿|提|举|拎|掏|抄|挥)(着|出|起)?(了)?(一把)?(菜刀|刀|斧头|斧子|锄头|铁锹|棍子|木棍|铁棍|砖头|枪|匕首|镰刀|农药|汽油)|"
        r"(持|动)刀|刀子|动刀|捅(了|伤|人|我|他|她)|砍(伤|人|我|他|她|死)|砍了(我|他|她|人|一刀)|枪|炸药|炸弹|雷管|泼汽油|浇汽油",
        "他拿着菜刀",
        "邻居提着斧头过来了",
        "他动刀子了",
        "他捅了人",
        "说要砍人",
        "家里有枪",
        "要用炸药",
        "他往门上泼汽油",
    ),
    # --- threats to kill -------------------------------------------------------------------------
    _p(
        "threat_kill",
        Danger.THREAT,
        r"(杀|弄死|砍死|打死|捅死|掐死|毒死|烧死|撞死|杀掉|宰了)(了)?(你|我|他|她|你们|他们|她们|全家|一家)|"
        r"杀人|同归于尽|报复社会|灭(你|他|她|我)?(全家|满门)|要(你|他|她|我)的命|让(你|他|她)(们)?(活不成|见不到明天)",
        "他说要杀了我",
        "我要弄死他",
        "扬言打死我",
        "大不了同归于尽",
        "他说要灭我全家",
        "他说要我的命",
    ),
    # --- fire --------------------------------------------------------------------------------------
    _p(
        "fire",
        Danger.FIRE,
        r"着火|失火|起火|火灾|火警|烧起来|大火|火势|冒(黑|浓)?烟|浓烟|火苗|烧着了|电线(着|烧|冒火|冒烟)|"
        r"(房子|屋|仓库|山|厨房|楼)(烧|着)(了|起来)",
        "隔壁着火了",
        "仓库起火",
        "楼道里冒黑烟",
        "山上烧起来了",
        "电线冒火",
    ),
    # --- gas and poisoning ---------------------------------------------------------------------
    _p(
        "gas_leak",
        Danger.GAS,
        r"(煤气|燃气|天然气|液化气|瓦斯)(泄漏|泄露|漏|味|中毒|爆)|漏(气|煤气|燃气)|一氧化碳|煤气罐(爆|漏)|闻到(煤气|燃气)|"
        r"爆炸|(煤气罐|气罐|锅炉)炸",
        "厨房煤气泄漏",
        "闻到很大的燃气味",
        "好像漏气了",
        "一氧化碳中毒",
        "楼下爆炸了",
    ),
    # --- medical emergency -------------------------------------------------------------------
    _p(
        "medical",
        Danger.MEDICAL,
        r"(晕|昏)倒|昏迷|不省人事|没(有)?(了)?(呼吸|气了|心跳)|不(会)?喘气|叫不醒|抽搐|口吐白沫|触电|溺水|"
        r"(掉|落|摔)(进|到)?(河|水塘|池塘|井|水库|粪坑)里|被(车|狗)?(撞|压|咬)(倒|伤)?(了)?(流血|昏|晕|不动)|"
        r"快叫(救护车|120)|中毒|心脏病(发|犯)|中风|喘不上气|倒地不起|摔(倒|下来)(不动|昏|晕)",
        "我爸晕倒了",
        "奶奶叫不醒",
        "有人触电",
        "孩子掉河里了",
        "快叫救护车",
        "他口吐白沫",
        "有人溺水",
    ),
    # --- abduction and confinement ---------------------------------------------------------------
    _p(
        "abduction",
        Danger.ABDUCTION,
        r"绑架|被绑|拐(走|卖)|抢(走)?孩子|把(我|她|他|孩子|老人)(关|锁)(起来|在)|非法拘禁|抢劫|持刀抢",
        "孩子被人拐走了",
        "她被绑架了",
        "把我锁在屋里不让出去",
        "有人抢劫",
    ),
    # --- English -----------------------------------------------------------------------------------
    _p(
        "english_self_harm",
        Danger.SELF_HARM,
        r"killmyself|suicid|wanttodie|endmylife|endit(all)?tonight",
        "I want to kill myself",
        "thinking about suicide",
        "I want to die",
    ),
    _p(
        "english_violence",
        Danger.VIOLENCE,
        r"callthepolice|call(110|120|119|911)|(hitting|beating|attacking)(me|her|him)|has(a|got)?(knife|gun)",
        "call the police",
        "he is beating me",
        "he has a knife",
    ),
    _p(
        "english_fire_gas",
        Danger.FIRE,
        r"onfire|gasleak|smellgas|fire!",
        "the house is on fire",
        "gas leak",
        "I smell gas",
    ),
)


@dataclass(frozen=True, slots=True)
class UrgentMatch:
    pattern: str
    danger: Danger
    text: str


def find_urgent(text: str) -> list[UrgentMatch]:
    """Every urgent pattern that matches ``text``, after removing harmless idioms."""
    # Idioms are removed before punctuation goes, so "我想死，你们…" is not read as "想死你们".
    flat_safe = compact(_HARMLESS.sub("丨", normalize(text)))
    matches: list[UrgentMatch] = []
    for pattern in URGENT_PATTERNS:
        found = pattern.regex.search(flat_safe)
        if found:
            matches.append(UrgentMatch(pattern.name, pattern.danger, found.group(0)))
    return matches
