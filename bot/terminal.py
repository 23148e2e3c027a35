"""The terminal chat: the real Dispatcher and handlers, an in-process fake Bot API, no token, no network.

Each line typed (or piped) becomes a Telegram update fed to the Dispatcher; the bot's HTTP calls go
to the fake Bot API on a free loopback port, and every message it sends to an open chat is printed.
Messages for a chat that is not open here (a handoff to a mediator) are written to a mailbox in the
data directory and shown when that chat is opened, possibly by another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.app import build_dispatcher, create_bot
from bot.notify import TelegramNotifier
from bot.scheduler import run_once
from bot.services import Backend
from bot.settings import BotSettings
from bot.testing.fake_telegram import FakeTelegram, SentMessage

HELP = (
    "（输入文字发送；/press N 按第 N 个按钮；"
    "!photo !voice !document !location !sticker 发送附件；/quit 退出）"
)


class Mailbox:
    """Messages waiting for chats that were not open, one JSON line each, in the data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "terminal" / "mailbox"

    def put(self, message: SentMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / f"{message.chat_id}.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")

    def take(self, chat_id: int) -> list[SentMessage]:
        path = self.folder / f"{chat_id}.jsonl"
        if not path.is_file():
            return []
        taken = path.with_suffix(".taking")
        path.replace(taken)  # atomic: a writer in another process starts a fresh file
        lines = taken.read_text(encoding="utf-8").splitlines()
        taken.unlink()
        return [SentMessage(**json.loads(line)) for line in lines if line.strip()]


class TerminalChat:
    """One or more simulated users talking to the bot; prints what the open chats receive."""

    def __init__(
        self,
        settings: BotSettings,
        backend: Backend,
        open_chats: dict[int, str],
        write: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.open_chats = open_chats  # chat id -> label printed before its messages
        self.write = write
        self.mailbox = Mailbox(settings.data_dir)
        self.server = FakeTelegram()
        self._printed: dict[int, int] = {}
        self._keyboards: dict[int, list[list[str]] | None] = {}
        self.bot: Bot | None = None
        self.dp: Dispatcher | None = None

    async def __aenter__(self) -> TerminalChat:
        await self.server.start()
        # One person at a keyboard (or a script) cannot flood anyone: no throttling here.
        settings = self.settings.model_copy(
            update={"telegram_api_base": self.server.base_url, "throttle_burst": 1_000_000}
        )
        self.bot = create_bot(settings)
        self.dp = build_dispatcher(settings, self.backend)
        self.notifier = TelegramNotifier(self.bot, settings, self.backend)
        for chat_id in self.open_chats:
            waiting = self.mailbox.take(chat_id)
            for message in waiting:
                self.server.preload(message)
            self._printed[chat_id] = 0
        await self._settle()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.bot is not None
        await self.bot.session.close()
        await self.server.stop()

    # ------------------------------------------------------------------ acting as a user
    async def say(self, user_id: int, text: str) -> None:
        self.server.send_text(user_id, text)
        await self._settle()

    async def send(self, user_id: int, kind: str) -> None:
        self.server.send_media(user_id, kind)
        await self._settle()

    async def press(self, user_id: int, number: int) -> bool:
        try:
            message = self.server.last_with_buttons(user_id)
        except LookupError:
            return False
        buttons = message.flat_buttons
        if not 1 <= number <= len(buttons):
            return False
        self.server.press(user_id, message, buttons[number - 1]["callback_data"])
        await self._settle()
        return True

    async def press_label(self, user_id: int, label_part: str) -> bool:
        try:
            message = self.server.last_with_buttons(user_id)
        except LookupError:
            return False
        for number, button in enumerate(message.flat_buttons, start=1):
            if label_part in button["text"]:
                return await self.press(user_id, number)
        return False

    async def handle_line(self, user_id: int, line: str) -> bool:
        """One input line; False when the user wants to quit."""
        line = line.rstrip("\n")
        if line.strip() in ("/quit", "/exit"):
            return False
        if line.startswith("/press"):
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit() or not await self.press(user_id, int(parts[1])):
                self.write("（没有这个按钮。用法：/press 1）")
        elif line.startswith("!") and line[1:].strip() in (
            "photo",
            "voice",
            "document",
            "location",
            "sticker",
        ):
            await self.send(user_id, line[1:].strip())
        else:
            await self.say(user_id, line)
        return True

    # ------------------------------------------------------------------ delivery and printing
    async def _settle(self) -> None:
        """Feed every pending update, deliver due notifications, print what arrived; repeat until quiet."""
        assert self.bot is not None and self.dp is not None
        for _ in range(10):
            updates = self.server.drain_updates()
            for raw in updates:
                await self.dp.feed_update(self.bot, Update.model_validate(raw, context={"bot": self.bot}))
            delivered = await run_once(self.backend, self.notifier)
            if not updates and not delivered:
                break
        self._flush()

    def _flush(self) -> None:
        for answer in self.server.callback_answers:
            if answer.get("text"):
                self.write(f"    （提示：{answer['text']}）")
        self.server.callback_answers.clear()
        for chat_id, messages in list(self.server.messages.items()):
            start = self._printed.get(chat_id)
            if start is None:  # not open here: keep for later
                for message in messages:
                    self.mailbox.put(message)
                self.server.messages[chat_id] = []
                continue
            for message in messages[start:]:
                self._print(chat_id, message)
            self._printed[chat_id] = len(messages)

    def _print(self, chat_id: int, message: SentMessage) -> None:
        label = self.open_chats.get(chat_id, str(chat_id))
        prefix = f"和事 → {label}" if len(self.open_chats) > 1 else "和事"
        body = message.text if message.kind == "text" else f"[{message.kind}] {message.text}".rstrip()
        self.write(f"{prefix} ▸ " + body.replace("\n", "\n    "))
        if message.buttons:
            labels = [f"[{i}] {b['text']}" for i, b in enumerate(message.flat_buttons, start=1)]
            self.write("    " + "  ".join(labels))
        if message.reply_keyboard and message.reply_keyboard != self._keyboards.get(chat_id):
            self._keyboards[chat_id] = message.reply_keyboard
            self.write("    （键盘：" + " | ".join(b for row in message.reply_keyboard for b in row) + "）")


async def run_terminal(
    settings: BotSettings,
    backend: Backend,
    user_id: int,
    label: str,
    first_lines: list[str],
    stream: TextIO = sys.stdin,
) -> None:
    print(HELP)
    async with TerminalChat(settings, backend, {user_id: label}) as chat:
        for line in first_lines:
            print(f"{label} ◂ {line}")
            await chat.handle_line(user_id, line)
        loop = asyncio.get_running_loop()
        while True:
            if stream.isatty():
                print(f"{label} ◂ ", end="", flush=True)
            line = await loop.run_in_executor(None, stream.readline)
            if not line:  # end of input (piped text finished, or Ctrl-D)
                break
            if not stream.isatty():
                print(f"{label} ◂ {line.rstrip()}")
            if not line.strip():
                continue
            with contextlib.suppress(KeyboardInterrupt):
                if not await chat.handle_line(user_id, line):
                    break


def label_for(role: str, user_id: int) -> str:
    return {"resident": "居民", "mediator": "调解员", "admin": "管理员"}.get(role, role) + f" {user_id}"


def chat_defaults(role: str) -> dict[str, Any]:
    return {"resident": {"user": 1001}, "mediator": {"user": 2001}, "admin": {"user": 8001}}.get(
        role, {"user": 1001}
    )
