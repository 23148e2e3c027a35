"""``heshi demo``: a scripted conversation through the terminal chat, printed as a transcript.

A resident asks a question and gets the article quoted; a dispute becomes a case; the mediator
accepts it; the resident sees the new state. Every step is checked: the demo exits non-zero when the
bot did not do what the script expects.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from bot.runtime import load_backend, load_sample_knowledge, seed_sample
from bot.settings import BotSettings
from bot.terminal import TerminalChat

RESIDENT, MEDIATOR = 1001, 2001
LABELS = {RESIDENT: "居民 1001", MEDIATOR: "调解员 2001"}


@dataclass
class Step:
    who: int
    text: str = ""
    press: str = ""  # a button label to press instead of typing
    expect: str = ""  # a regular expression some new message must match
    expect_chat: int | None = None  # where to look (default: the actor's chat)


SCRIPT = (
    Step(RESIDENT, "/start QSC", expect="选择您所在的网格"),
    Step(RESIDENT, press="QSC-01", expect="您同意吗"),
    Step(RESIDENT, press="同意", expect="谢谢"),
    Step(
        RESIDENT,
        "我们村一户能有几处宅基地？",
        expect=r"《[^》]+》第[零一二三四五六七八九十百千]+条",
    ),
    Step(RESIDENT, "隔壁老张把我家门口的路堵了，说了好几次都不听，怎么办？", expect="和事佬"),
    Step(RESIDENT, press="请和事佬调解", expect="第 3 步"),
    Step(RESIDENT, "老张（张大山）", expect="第 4 步"),
    Step(RESIDENT, press="邻居", expect="第 5 步"),
    Step(RESIDENT, "青山村东头小路", expect="第 6 步"),
    Step(RESIDENT, "把路让出来，以后别再堵", expect="第 7 步"),
    Step(RESIDENT, press="完成", expect="第 8 步"),
    Step(RESIDENT, press="可以告诉对方", expect="请核对"),
    Step(RESIDENT, press="确认提交", expect=r"案件编号：QSC-\d{6}-\d{4}"),
    Step(MEDIATOR, press="接受", expect="申请人"),
    Step(RESIDENT, "/mycases", expect="调解员已接手"),
)


class DemoFailed(RuntimeError):
    pass


async def run_demo(settings: BotSettings) -> float:
    started = time.monotonic()
    units = await asyncio.to_thread(load_sample_knowledge)
    print(f"（已载入示例知识库：{units} 条，用时 {time.monotonic() - started:.0f} 秒）\n", flush=True)
    backend = await load_backend(settings)
    try:
        await seed_sample(backend)
        lines: list[str] = []

        def write(line: str) -> None:
            lines.append(line)
            print(line, flush=True)

        async with TerminalChat(settings, backend, dict(LABELS), write) as chat:
            for step in SCRIPT:
                mark = len(lines)
                if step.press:
                    write(f"{LABELS[step.who]} ◂ [按下]「{step.press}」")
                    if not await chat.press_label(step.who, step.press):
                        raise DemoFailed(f"no button {step.press!r} for {LABELS[step.who]}")
                else:
                    write(f"{LABELS[step.who]} ◂ {step.text}")
                    await chat.say(step.who, step.text)
                if step.expect and not re.search(step.expect, "\n".join(lines[mark:])):
                    raise DemoFailed(f"expected {step.expect!r} after {step.text or step.press!r}")
                write("")
    finally:
        await backend.close()
    return time.monotonic() - started
