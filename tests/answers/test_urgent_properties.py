"""Property tests for urgent detection: what must not change the verdict.

An urgent message stays urgent inside a long unrelated message, with spaces, zero-width characters
or decorative emoji typed between its characters, and in pinyin with or without spaces and tone
marks; harmless idioms with alarming words stay non-urgent whatever ordinary text surrounds them.
Rules only (``find_urgent``), no model.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.triage import URGENT_PATTERNS, find_urgent

EXAMPLES = [example for pattern in URGENT_PATTERNS for example in pattern.examples if not example.isascii()]

# Everyday sentences with no alarming word, as residents write around the point of a message.
FILLER = [
    "物业费的事情到现在还没人给个说法",
    "村里那条路修了半年还没修好",
    "我今天早上去镇上买了点菜",
    "孙子下个月要考试了",
    "上次说的低保材料我已经交了",
    "阿拉屋里厢的橘子今年结得蛮多",
    "你们工作也辛苦",
    "我也不晓得跟谁讲",
    "社区的张书记人挺好的",
    "我们家的茶叶今年价钱还可以",
]
# Decoration that carries no meaning for triage (the meaningful emoji such as 🔥 and 🔪 are mapped).
DECORATION = [" ", "  ", "\u200b", "😊", "🌸", "✨", "👀", "~", "…"]

HARMLESS = [
    "笑死了",
    "气死我了",
    "累死了",
    "饿死了",
    "急死人",
    "今天去吃火锅",
    "过年杀猪请客",
    "要去法院打官司",
    "死者的遗产怎么分",
    "消防通道被占了",
    "打死我也不信",
    "想死你了",
    "这个视频火了",
    "砍价砍了半天",
    "杀虫剂放哪了",
    "梦见家里着火了",
    "电视剧里女主跳楼了",
    "担心仓库会着火",
    "跟他家大人说了还翻白眼",
    "紧急呼叫按钮按了没反应",
    "他开车撞死了我家的羊",
    "这价格真是要了我的命",
    "父亲自杀后留下的债务",
    "煤气中毒去世的人意外险赔不赔",
    "喝农药去世的老人医保报不报",
]

filler_text = st.lists(st.sampled_from(FILLER), min_size=1, max_size=6).map("，".join)


def _interleave(text: str, fillers: list[str]) -> str:
    return "".join(ch + fillers[i % len(fillers)] if i < len(text) - 1 else ch for i, ch in enumerate(text))


@settings(max_examples=300, deadline=None)
@given(example=st.sampled_from(EXAMPLES), before=filler_text, after=filler_text)
def test_urgent_stays_urgent_inside_long_unrelated_text(example: str, before: str, after: str) -> None:
    assert find_urgent(f"{before}。{example}，{after}。"), example


@settings(max_examples=300, deadline=None)
@given(
    example=st.sampled_from(EXAMPLES),
    decoration=st.lists(st.sampled_from(DECORATION), min_size=1, max_size=5),
)
def test_urgent_stays_urgent_with_spaces_and_emoji_between_characters(
    example: str, decoration: list[str]
) -> None:
    assert find_urgent(_interleave(example, decoration)), example


@settings(max_examples=200, deadline=None)
@given(idiom=st.sampled_from(HARMLESS), before=filler_text, after=filler_text)
def test_harmless_idioms_stay_non_urgent_in_any_ordinary_context(idiom: str, before: str, after: str) -> None:
    assert not find_urgent(f"{before}，{idiom}，{after}"), idiom


# A danger that is over, asked about as a legal matter, is not happening now; a present danger said
# after it still is.
PAST_WORDS = ["去年", "前年", "五年前", "三个月前", "以前", "当年", "小时候", "十几年前", "那时候"]
PAST_EVENTS = [
    "他拿刀威胁过我",
    "邻居拿刀砍过我",
    "他说要杀了我全家",
    "我哥自杀了",
    "我爸煤气中毒死了",
    "他把我打伤过",
]
LEGAL_ASKS = ["现在还能告他吗", "赔偿怎么算", "这算不算恐吓", "保险公司赔不赔", "能不能起诉", "房子怎么继承"]


@settings(max_examples=200, deadline=None)
@given(
    past=st.sampled_from(PAST_WORDS),
    event=st.sampled_from(PAST_EVENTS),
    ask=st.sampled_from(LEGAL_ASKS),
    before=filler_text,
)
def test_a_legal_question_about_a_past_danger_is_not_urgent(
    past: str, event: str, ask: str, before: str
) -> None:
    assert not find_urgent(f"{before}，{past}{event}，{ask}"), f"{past}{event}，{ask}"


@settings(max_examples=300, deadline=None)
@given(
    example=st.sampled_from(EXAMPLES),
    past=st.sampled_from(PAST_WORDS),
    event=st.sampled_from(PAST_EVENTS),
    joint=st.sampled_from(["，", "。", "现在", "今天", "刚才", "又"]),
)
def test_a_present_danger_after_a_past_one_stays_urgent(
    example: str, past: str, event: str, joint: str
) -> None:
    assert find_urgent(f"{past}{event}{joint}{example}"), f"{past}{event}{joint}{example}"


def test_the_writers_own_past_wish_to_die_is_not_hidden_as_past() -> None:
    assert find_urgent("我以前想过自杀，现在又想了")
    assert find_urgent("去年就不想活了，到现在还是这样")
    assert find_urgent("前年我妈去世了我现在也不想活了")
    assert find_urgent("去年老伴走了，我想去陪她了")


PINYIN = ["zhao huo le", "wo bu xiang huo le", "zì shā", "mei qi xie lou le", "jiu ming", "bang jia"]


@settings(max_examples=200, deadline=None)
@given(
    text=st.sampled_from(PINYIN),
    upper=st.booleans(),
    squeeze=st.booleans(),
    before=filler_text,
)
def test_pinyin_danger_words_are_read_with_any_spacing_and_case(
    text: str, upper: bool, squeeze: bool, before: str
) -> None:
    typed = text.replace(" ", "") if squeeze else text
    typed = typed.upper() if upper else typed
    assert find_urgent(f"{before} {typed}"), typed


def test_single_syllable_pinyin_counts_only_as_a_word_of_its_own() -> None:
    assert find_urgent("you ren na qiang") and find_urgent("他手里有把土qiang")
    assert not find_urgent("wo mei qian le")  # 没钱, not 煤气
    assert not find_urgent("ta qiangdiao le hen duo ci")  # 强调: qiang inside a longer word


# What a film or the news shows or says happened somewhere else; a danger of the writer's own said in
# the next clause still counts.
MEDIA_FRAMES = ["看新闻说", "新闻报道", "电视上说", "电影里", "电视剧里演的", "短视频里", "抗日剧里"]
MEDIA_EVENTS = ["外地一个化工厂爆炸了", "有个女的跳河了", "有人煤气中毒", "一家人被砍伤了", "仓库着火了"]


@settings(max_examples=200, deadline=None)
@given(
    frame=st.sampled_from(MEDIA_FRAMES),
    event=st.sampled_from(MEDIA_EVENTS),
    before=filler_text,
    after=filler_text,
)
def test_what_the_news_or_a_film_shows_is_not_urgent(frame: str, event: str, before: str, after: str) -> None:
    assert not find_urgent(f"{before}。{frame}{event}，{after}"), f"{frame}{event}"


@settings(max_examples=300, deadline=None)
@given(
    frame=st.sampled_from(MEDIA_FRAMES),
    event=st.sampled_from(MEDIA_EVENTS),
    example=st.sampled_from(EXAMPLES),
)
def test_a_present_danger_after_news_talk_stays_urgent(frame: str, event: str, example: str) -> None:
    assert find_urgent(f"{frame}{event}，{example}"), f"{frame}{event}，{example}"


# A prevention measure names a danger that is not happening ("发个定位手环以防走丢").
PREVENTION = ["以防", "防止", "以免", "免得", "预防"]
PREVENTED = ["走丢", "走失", "溺水", "触电", "煤气中毒", "一氧化碳中毒", "着火", "火灾", "爆炸", "燃气泄漏"]


@settings(max_examples=200, deadline=None)
@given(
    marker=st.sampled_from(PREVENTION),
    harm=st.sampled_from(PREVENTED),
    proposal=st.sampled_from(["建议给独居老人装个报警器", "希望村里多发几个手环", "能不能在河边装栏杆"]),
    after=filler_text,
)
def test_a_prevention_proposal_is_not_urgent(marker: str, harm: str, proposal: str, after: str) -> None:
    assert not find_urgent(f"{proposal}，{marker}{harm}，{after}"), f"{proposal}，{marker}{harm}"


# A leak the writer has stopped at the valve is over; one that still leaks or has hurt someone is not.
STOPPED_LEAKS = ["燃气热水器装好第二天就漏气", "厨房闻到煤气味", "液化气罐的接口漏气了"]
VALVE_SHUT = ["我赶紧关了阀门", "幸亏发现得早关了总阀", "阀门已经关了"]
AFTER_THE_VALVE = [(ask, False) for ask in ["商家不肯退", "这个谁来赔", "物业说不归他们管"]] + [
    (still, True)
    for still in [
        "可是还在漏",
        "屋里味道还很大",
        "阀门关不上",
        "我妈已经晕倒了",
        "老人叫不醒",
        "接着就爆炸了",
    ]
]


@settings(max_examples=300, deadline=None)
@given(
    leak=st.sampled_from(STOPPED_LEAKS),
    shut=st.sampled_from(VALVE_SHUT),
    after=st.sampled_from(AFTER_THE_VALVE),
)
def test_a_leak_stopped_at_the_valve_is_over_unless_it_goes_on(
    leak: str, shut: str, after: tuple[str, bool]
) -> None:
    tail, still_dangerous = after
    assert bool(find_urgent(f"{leak}，{shut}，{tail}")) == still_dangerous, f"{leak}，{shut}，{tail}"
