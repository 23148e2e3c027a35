"""Text normalisation for triage: the same message typed on any phone should look the same.

Residents type with full-width letters, spaces between characters, traditional characters,
emoji, homophones the input method offered first, and internet euphemisms (紫砂 for 自杀).
Urgent detection must see through all of it, so every rule matches on the normalised form.
"""

from __future__ import annotations

import re
import unicodedata

# Traditional → simplified for the characters our rules use (a full converter is not needed).
_TRADITIONAL = str.maketrans(
    {
        "殺": "杀",
        "燒": "烧",
        "氣": "气",
        "槍": "枪",
        "藥": "药",
        "樓": "楼",
        "傷": "伤",
        "濕": "湿",
        "漏": "漏",
        "電": "电",
        "爆": "爆",
        "炸": "炸",
        "斃": "毙",
        "救": "救",
        "砍": "砍",
        "撞": "撞",
        "動": "动",
        "燃": "燃",
        "煤": "煤",
        "瓦": "瓦",
        "斯": "斯",
        "跳": "跳",
        "難": "难",
        "過": "过",
        "活": "活",
        "們": "们",
        "這": "这",
        "說": "说",
        "裡": "里",
        "裏": "里",
        "會": "会",
        "來": "来",
        "鄰": "邻",
        "居": "居",
        "錢": "钱",
        "離": "离",
        "婚": "婚",
        "遺": "遗",
        "產": "产",
        "業": "业",
        "費": "费",
        "資": "资",
        "闆": "板",
        "買": "买",
        "賣": "卖",
        "賠": "赔",
        "償": "偿",
        "車": "车",
        "禍": "祸",
        "醫": "医",
        "麼": "么",
        "嗎": "吗",
        "問": "问",
        "題": "题",
        "請": "请",
        "謝": "谢",
        "嗚": "呜",
        "媽": "妈",
        "爺": "爷",
        "孫": "孙",
        "兒": "儿",
        "養": "养",
        "著": "着",
        "鬥": "斗",
        "刀": "刀",
        "劍": "剑",
        "綁": "绑",
        "搶": "抢",
        "劫": "劫",
        "脅": "胁",
        "威": "威",
        "報": "报",
        "復": "复",
        "頭": "头",
        "腦": "脑",
        "溺": "溺",
        "觸": "触",
        "暈": "晕",
        "倒": "倒",
        "呼": "呼",
        "吸": "吸",
        "嚇": "吓",
        "懸": "悬",
        "崖": "崖",
        "沒": "没",
        "別": "别",
        "壞": "坏",
        "燈": "灯",
    }
)

# Emoji that carry meaning for triage; the rest are dropped as decoration.
_EMOJI_WORDS = {
    "🔥": "火",
    "🧯": "灭火",
    "🔪": "刀",
    "🗡": "刀",
    "⚔": "刀",
    "🔫": "枪",
    "💣": "炸弹",
    "🧨": "炸药",
    "🆘": "救命",
    "🚑": "急救",
    "🚒": "消防",
    "🚓": "警察",
    "🩸": "血",
    "💊": "药",
    "☠": "死",
    "💀": "死",
    "⚡": "电",
    "💨": "气",
    "😭": "哭",
    "😢": "哭",
    "😡": "气",
    "🤬": "骂",
    "👊": "打",
    "🙏": "请",
}

# Homophones, typos and euphemisms that input methods and the internet produce, mapped to the word
# the rules know. Each left side is rare enough in ordinary messages that rewriting it is safe.
_SPELLINGS = (
    ("勿想活", "不想活"),
    ("弗想活", "不想活"),
    ("覅活", "不想活"),
    ("救明", "救命"),
    ("块来", "快来"),
    ("快点来人", "快来人"),
    ("拿到要", "拿刀要"),
    ("坎我", "砍我"),
    ("晕倒再", "晕倒在"),
    ("紫砂", "自杀"),
    ("自刹", "自杀"),
    ("自沙", "自杀"),
    ("自殺", "自杀"),
    ("字杀", "自杀"),
    ("自s", "自杀"),
    ("zisha", "自杀"),
    ("zs了", "自杀了"),
    ("轻声", "轻生"),
    ("清生", "轻生"),
    ("跳搂", "跳楼"),
    ("跳娄", "跳楼"),
    ("tiaolou", "跳楼"),
    ("跳和", "跳河"),
    ("割婉", "割腕"),
    ("割碗", "割腕"),
    ("割晚", "割腕"),
    ("上调", "上吊"),
    ("烧碳", "烧炭"),
    ("安眠要", "安眠药"),
    ("农要", "农药"),
    ("喝农yao", "喝农药"),
    ("敌敌尾", "敌敌畏"),
    ("敌敌威", "敌敌畏"),
    ("滴滴畏", "敌敌畏"),
    ("敌敌为", "敌敌畏"),
    ("百草孤", "百草枯"),
    ("不想或了", "不想活了"),
    ("不想火了", "不想活了"),
    ("活不下起", "活不下去"),
    ("buxianghuole", "不想活了"),
    ("想si", "想死"),
    ("去si", "去死"),
    ("就命", "救命"),
    ("救名", "救命"),
    ("纠命", "救命"),
    ("jiuming", "救命"),
    ("sos", "救命"),
    ("着伙", "着火"),
    ("着活", "着火"),
    ("失伙", "失火"),
    ("起火了", "起火了"),
    ("火宅", "火灾"),
    ("火烖", "火灾"),
    ("煤汽", "煤气"),
    ("燃汽", "燃气"),
    ("媒气", "煤气"),
    ("煤器", "煤气"),
    ("然气", "燃气"),
    ("天然汽", "天然气"),
    ("瓦丝", "瓦斯"),
    ("漏汽", "漏气"),
    ("露气", "漏气"),
    ("杀人了", "杀人了"),
    ("沙人", "杀人"),
    ("shaRen", "杀人"),
    ("sharen", "杀人"),
    ("砍仁", "砍人"),
    ("坎人", "砍人"),
    ("捅仁", "捅人"),
    ("打人拉", "打人啦"),
    ("家爆", "家暴"),
    ("加暴", "家暴"),
    ("弄si", "弄死"),
    ("打si", "打死"),
    ("砍si", "砍死"),
    ("杀si", "杀死"),
    ("菜到", "菜刀"),
    ("拿到砍", "拿刀砍"),
    ("那刀", "拿刀"),
    ("流学", "流血"),
    ("留血", "流血"),
    ("晕到", "晕倒"),
    ("昏到", "昏倒"),
    ("触点", "触电"),
    ("淹水了", "溺水了"),
    ("掉河里", "掉河里"),
)

# Danger words typed in pinyin (voice input off, no Chinese keyboard): "zhao huo le", "you ren na qiang".
# Only words whose pinyin has no common harmless reading (kanren 看人, liuxue 留学, yundao 运到 are left
# out); a following vowel would make it another syllable (meiqian 没钱 is not meiqi 煤气).
_PINYIN = (
    (re.compile(r"zhaohuo"), "着火"),
    (re.compile(r"jiuhuo"), "救火"),
    (re.compile(r"meiqi(?![aeinou])"), "煤气"),
    (re.compile(r"ranqi(?![aeinou])"), "燃气"),
    (re.compile(r"louqi(?![aeinou])"), "漏气"),
    (re.compile(r"xielou"), "泄漏"),
    (re.compile(r"baojing"), "报警"),
    (re.compile(r"jiujiuwo"), "救救我"),
    (re.compile(r"qiangjie"), "抢劫"),
    (re.compile(r"bangjia"), "绑架"),
    (re.compile(r"gewan"), "割腕"),
    (re.compile(r"nongyao"), "农药"),
    (re.compile(r"anmianyao"), "安眠药"),
    (re.compile(r"nishui"), "溺水"),
    (re.compile(r"hunmi"), "昏迷"),
    (re.compile(r"jiabao"), "家暴"),
    (re.compile(r"buxianghuo"), "不想活"),
    (re.compile(r"huobuxiaqu"), "活不下去"),
    (re.compile(r"woxiangsi"), "我想死"),
)
# Single syllables only when they stand alone as a latin word ("土qiang", "na qiang"), checked before
# the spaces go.
_PINYIN_WORDS = ((re.compile(r"(?<![a-z])qiang(?![a-z])"), "枪"),)

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff]")
# Everything that is neither a letter/digit nor a CJK character: removed in the compact form so that
# "自 杀", "自.杀" and "自-杀" all read "自杀".
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")


def normalize(text: str) -> str:
    """Full/half width, case, traditional characters, emoji and common misspellings, unified."""
    s = unicodedata.normalize("NFKC", text or "")
    s = _ZERO_WIDTH.sub("", s).lower()
    s = s.translate(_TRADITIONAL)
    s = "".join(_EMOJI_WORDS.get(ch, ch) for ch in s)
    s = s.replace("\ufe0f", "")
    s = _strip_tone_marks(s)
    for word, chinese in _PINYIN_WORDS:
        s = word.sub(chinese, s)
    squeezed = re.sub(r"\s+", "", s)
    for pinyin, chinese in _PINYIN:
        squeezed = pinyin.sub(chinese, squeezed)
    for wrong, right in _SPELLINGS:
        if wrong.lower() in squeezed:
            squeezed = squeezed.replace(wrong.lower(), right)
    return squeezed


def _strip_tone_marks(text: str) -> str:
    """ "zì shā" → "zi sha": pinyin typed with tone marks reads like plain pinyin."""
    if text.isascii():
        return text
    return "".join(_base_letter(ch) if _is_accented_latin(ch) else ch for ch in text)


def _is_accented_latin(ch: str) -> bool:
    return "\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff"


def _base_letter(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))


def compact(text: str) -> str:
    """The normalised text with every space, punctuation mark and symbol removed."""
    return _NOT_WORD.sub("", normalize(text))
