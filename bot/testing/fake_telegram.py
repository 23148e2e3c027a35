"""A fake Telegram Bot API server on 127.0.0.1, reached by the bot over real HTTP.

It implements the Bot API methods heshi uses, records what the bot sends per chat, lets simulated
users send messages, press buttons and share media, and injects failures (HTTP 500, timeouts,
429 with ``retry_after``). The terminal chat, the demo, the tests and the load benchmark all use it:
the bot talks to it exactly as it would to ``api.telegram.org`` through
``TelegramAPIServer.from_base(server.base_url)``.

A simulated timeout never records the call: the request is "lost on the way". (Telegram has no
idempotency key, so a call that reached Telegram but whose answer was lost cannot be made exactly-once
by any client; we model the recoverable case.)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 777000111
BOT_USERNAME = "heshi_test_bot"

# Parameters aiogram sends as JSON strings inside form data.
_JSON_FIELDS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
    "allowed_updates",
    "media",
    "commands",
    "scope",
}


@dataclass
class SentMessage:
    """A message the bot sent (or edited), as a simulated user would see it."""

    chat_id: int
    message_id: int
    text: str
    kind: str = "text"  # text, photo, document, location
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)  # inline keyboard rows
    reply_keyboard: list[list[str]] | None = None
    thread_id: int | None = None
    edited: int = 0

    @property
    def flat_buttons(self) -> list[dict[str, Any]]:
        return [button for row in self.buttons for button in row]

    def button(self, label_part: str) -> dict[str, Any]:
        for button in self.flat_buttons:
            if label_part in button.get("text", ""):
                return button
        raise KeyError(f"no button containing {label_part!r} in {self.flat_buttons}")


@dataclass
class ForumTopic:
    thread_id: int
    name: str
    closed: bool = False


@dataclass
class Failure:
    kind: str  # "500", "timeout", "429"
    times: int
    retry_after: int = 1
    delay: float = 5.0
    chat_id: int | None = None  # only calls addressed to this chat fail


class FakeTelegram:
    """The server: start it, point the bot at ``base_url``, drive users, read ``messages``."""

    def __init__(self, token_check: bool = True) -> None:
        self.messages: dict[int, list[SentMessage]] = defaultdict(list)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.menus: dict[str, dict[str, str]] = {}  # the command menu per language code ("" = default)
        self.files: dict[str, bytes] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._user_message_ids = itertools.count(10_000_000)
        self._file_ids = itertools.count(1)
        self._topic_ids = itertools.count(101)
        self.unreachable: set[int] = set()  # users who never opened a private chat with the bot
        # group chat id -> thread id -> topic
        self.topics: dict[int, dict[int, ForumTopic]] = defaultdict(dict)
        self._new_update = asyncio.Event()
        self._new_message = asyncio.Event()
        self._failures: dict[str, list[Failure]] = defaultdict(list)
        self._marks: dict[int, int] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._token_check = token_check

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ failure injection
    def fail(
        self,
        method: str,
        kind: str,
        times: int = 1,
        retry_after: int = 1,
        delay: float = 5.0,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id``, if given) fail with ``kind``:
        "500", "timeout" or "429"."""
        self._failures[method].append(Failure(kind, times, retry_after, delay, chat_id))

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        if failure.chat_id is not None and str(params.get("chat_id")) != str(failure.chat_id):
            return None
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    # ------------------------------------------------------------------ simulated users
    def _user(self, user_id: int, name: str | None = None) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": name or f"用户{user_id}",
            "language_code": "zh-hans",
        }

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private"}
        return {"id": chat_id, "type": "supergroup", "title": "调解员群", "is_forum": True}

    def _user_message(self, user_id: int, chat_id: int | None, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._user_message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id if chat_id is not None else user_id),
            "from": self._user(user_id),
        }
        message.update(content)
        return message

    def _push(self, update: dict[str, Any]) -> int:
        sender = (update.get("message") or update.get("callback_query") or {}).get("from", {}).get("id")
        if sender is not None:  # replies to this action are what ``wait_text`` looks for next
            self._marks[sender] = len(self.messages[sender])
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._new_update.set()
        return update["update_id"]

    def send_text(self, user_id: int, text: str, chat_id: int | None = None) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push({"message": self._user_message(user_id, chat_id, **content)})

    def send_media(self, user_id: int, kind: str, caption: str | None = None, **extra: Any) -> int:
        """Share a photo, voice, document, sticker, location, video or contact."""
        file_id = f"file-{next(self._file_ids)}"
        file = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        content: dict[str, Any]
        if kind == "photo":
            content = {"photo": [{**file, "width": 640, "height": 480}]}
        elif kind == "voice":
            content = {"voice": {**file, "duration": extra.get("duration", 5)}}
        elif kind == "document":
            content = {"document": {**file, "file_name": extra.get("file_name", "doc.txt")}}
            self.files[file_id] = extra.get("data", b"")
        elif kind == "sticker":
            content = {
                "sticker": {
                    **file,
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            }
        elif kind == "location":
            content = {
                "location": {
                    "latitude": extra.get("latitude", 30.0),
                    "longitude": extra.get("longitude", 120.0),
                }
            }
        elif kind == "video":
            content = {"video": {**file, "width": 640, "height": 480, "duration": 3}}
        elif kind == "contact":
            content = {
                "contact": {
                    "phone_number": extra.get("phone", "13800000000"),
                    "first_name": "x",
                    "user_id": user_id,
                }
            }
        else:
            raise ValueError(kind)
        if caption:
            content["caption"] = caption
        return self._push({"message": self._user_message(user_id, None, **content)})

    def drain_updates(self) -> list[dict[str, Any]]:
        """Take the pending updates for in-process delivery (the terminal chat feeds them directly)."""
        updates, self._updates = self._updates, []
        return updates

    def press(self, user_id: int, message: SentMessage, data: str) -> int:
        """Press an inline button (or forge one: any ``data`` is accepted, as Telegram would)."""
        return self._push(
            {
                "callback_query": {
                    "id": str(next(self._update_ids) * 7),
                    "from": self._user(user_id),
                    "chat_instance": str(message.chat_id),
                    "data": data,
                    "message": self._as_message(message),
                }
            }
        )

    def press_label(self, user_id: int, label_part: str, chat_id: int | None = None) -> int:
        message = self.last_with_buttons(chat_id if chat_id is not None else user_id)
        return self.press(user_id, message, message.button(label_part)["callback_data"])

    # ------------------------------------------------------------------ what users see
    def last_with_buttons(self, chat_id: int) -> SentMessage:
        for message in reversed(self.messages[chat_id]):
            if message.buttons:
                return message
        raise LookupError(f"no message with buttons in chat {chat_id}")

    def texts(self, chat_id: int) -> list[str]:
        return [message.text for message in self.messages[chat_id]]

    async def wait_for(self, chat_id: int, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until chat ``chat_id`` has at least ``count`` messages; return them all."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages[chat_id]) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                got = len(self.messages[chat_id])
                raise TimeoutError(f"chat {chat_id}: {got} of {count} messages: {self.texts(chat_id)}")
            self._new_message.clear()
            try:
                await asyncio.wait_for(self._new_message.wait(), remaining)
            except TimeoutError:
                continue
        return self.messages[chat_id]

    async def wait_edited(self, message: SentMessage, times: int = 1, timeout: float = 10.0) -> SentMessage:
        """Wait until the bot has edited ``message`` (its text or buttons) at least ``times`` times."""
        deadline = asyncio.get_running_loop().time() + timeout
        while message.edited < times:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"message {message.message_id} edited {message.edited} of {times} times")
            self._new_message.clear()
            try:
                await asyncio.wait_for(self._new_message.wait(), remaining)
            except TimeoutError:
                continue
        return message

    async def wait_text(self, chat_id: int, needle: str, timeout: float = 10.0) -> SentMessage:
        """Wait for a message in ``chat_id`` containing ``needle``, sent since that user last acted."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for message in self.messages[chat_id][self._marks.get(chat_id, 0) :]:
                if needle in message.text:
                    return message
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"chat {chat_id} never got {needle!r}: {self.texts(chat_id)}")
            self._new_message.clear()
            try:
                await asyncio.wait_for(self._new_message.wait(), min(remaining, 0.5))
            except TimeoutError:
                continue

    async def wait_answer(self, needle: str, since: int = 0, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for a callback-query answer (a toast or an alert) containing ``needle``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for answer in self.callback_answers[since:]:
                if needle in str(answer.get("text", "")):
                    return answer
            if asyncio.get_running_loop().time() >= deadline:
                raise TimeoutError(f"no callback answer with {needle!r}: {self.callback_answers[since:]}")
            await asyncio.sleep(0.05)

    def preload(self, message: SentMessage) -> None:
        """Register a message sent by another process (the terminal mailbox) so it can be edited."""
        self.messages[message.chat_id].append(message)
        counter = self._message_ids.get(message.chat_id)
        start = max(message.message_id + 1, next(counter) if counter else 1)
        self._message_ids[message.chat_id] = itertools.count(start)

    # ------------------------------------------------------------------ HTTP
    async def _download(self, request: web.Request) -> web.StreamResponse:
        data = self.files.get(request.match_info["path"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = value.file.read()
                elif key in _JSON_FIELDS and isinstance(value, str):
                    params[key] = json.loads(value)
                else:
                    params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        failure = self._take_failure(method, params)
        if failure is not None:
            if failure.kind == "timeout":
                await asyncio.sleep(failure.delay)
                return _error(504, "Gateway Timeout")
            if failure.kind == "429":
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {failure.retry_after}",
                        "parameters": {"retry_after": failure.retry_after},
                    },
                    status=429,
                )
            return _error(500, "Internal Server Error")
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(404, f"Not Found: method {method} is not faked")
        if method.lower() != "getupdates":
            self.calls.append((method, params))
        try:
            result = await handler(params)
        except _ApiError as error:
            return _error(error.code, error.description)
        return web.json_response({"ok": True, "result": result})

    # ------------------------------------------------------------------ Bot API methods
    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "和事",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                return []
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    async def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        if isinstance(commands, str):
            commands = json.loads(commands)
        self.menus[params.get("language_code") or ""] = {c["command"]: c["description"] for c in commands}
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_sendchataction(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(params)
        return True

    def _record(self, params: dict[str, Any], text: str, kind: str = "text") -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if chat_id in self.unreachable:
            raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if not text.strip() and kind == "text":
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096 and kind == "text":
            raise _ApiError(400, "Bad Request: message is too long")
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        buttons, reply_keyboard = _keyboards(params.get("reply_markup"))
        thread = params.get("message_thread_id")
        if thread:  # a thread that does not exist is refused, as Telegram does
            self._topic(params)
        message = SentMessage(
            chat_id, next(counter), text, kind, buttons, reply_keyboard, int(thread) if thread else None
        )
        self.messages[chat_id].append(message)
        self._new_message.set()
        return self._as_message(message)

    def _as_message(self, message: SentMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self._chat(message.chat_id),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "和事", "username": BOT_USERNAME},
        }
        if message.kind == "text":
            data["text"] = message.text
        else:
            data["caption"] = message.text
        if message.buttons:
            data["reply_markup"] = {"inline_keyboard": message.buttons}
        if message.thread_id is not None:
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        return data

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._record(params, str(params.get("text", "")))

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._record(params, str(params.get("caption", "")), "photo")

    async def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._record(params, str(params.get("caption", "")), "document")

    async def _m_sendlocation(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._record(params, f"{params.get('latitude')},{params.get('longitude')}", "location")

    async def _m_createforumtopic(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if chat_id > 0:
            raise _ApiError(400, "Bad Request: the chat is not a forum")
        name = str(params.get("name", ""))
        if not 1 <= len(name) <= 128:
            raise _ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        thread_id = next(self._topic_ids)
        self.topics[chat_id][thread_id] = ForumTopic(thread_id, name)
        return {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}

    def _topic(self, params: dict[str, Any]) -> ForumTopic:
        topic = self.topics[int(params["chat_id"])].get(int(params["message_thread_id"]))
        if topic is None:
            raise _ApiError(400, "Bad Request: message thread not found")
        return topic

    async def _m_closeforumtopic(self, params: dict[str, Any]) -> bool:
        topic = self._topic(params)
        if topic.closed:
            raise _ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = True
        return True

    async def _m_reopenforumtopic(self, params: dict[str, Any]) -> bool:
        topic = self._topic(params)
        if not topic.closed:
            raise _ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = False
        return True

    async def _m_deleteforumtopic(self, params: dict[str, Any]) -> bool:
        self._topic(params)
        del self.topics[int(params["chat_id"])][int(params["message_thread_id"])]
        return True

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """A group admin deletes a topic by hand."""
        del self.topics[chat_id][thread_id]

    def topic_messages(self, chat_id: int, thread_id: int) -> list[SentMessage]:
        return [m for m in self.messages[chat_id] if m.thread_id == thread_id]

    def _find(self, params: dict[str, Any]) -> SentMessage:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        for message in self.messages[chat_id]:
            if message.message_id == message_id:
                return message
        raise _ApiError(400, "Bad Request: message to edit not found")

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        message.text = str(params.get("text", ""))
        message.buttons, _ = _keyboards(params.get("reply_markup"))
        message.edited += 1
        self._new_message.set()
        return self._as_message(message)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        message.buttons, _ = _keyboards(params.get("reply_markup"))
        message.edited += 1
        self._new_message.set()
        return self._as_message(message)

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files.get(file_id, b"")),
            "file_path": file_id,
        }


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


def _keyboards(markup: Any) -> tuple[list[list[dict[str, Any]]], list[list[str]] | None]:
    if not isinstance(markup, dict):
        return [], None
    inline = markup.get("inline_keyboard") or []
    reply = markup.get("keyboard")
    reply_rows = (
        [[b["text"] if isinstance(b, dict) else str(b) for b in row] for row in reply] if reply else None
    )
    return inline, reply_rows
