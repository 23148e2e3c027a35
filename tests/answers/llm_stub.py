"""A local OpenAI-compatible chat endpoint (``POST /v1/chat/completions``) on 127.0.0.1.

The requested ``model`` picks the behaviour: ``good`` answers from the evidence and quotes it exactly,
``invent`` cites an article that is not in the evidence, ``misquote`` changes the quoted words,
``slow`` answers after the client's timeout, ``garbage`` returns text that is not JSON, ``http500``
fails. Requests are recorded so tests can check what the model was sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from typing import Any

from aiohttp import web

_EVIDENCE = re.compile(r"^\[(\d+)\] (《[^》]+》\S*)\n(.+)$", re.M)


def _answer_for(model: str, prompt: str) -> str:
    evidence = _EVIDENCE.findall(prompt)
    number, reference, text = evidence[0] if evidence else ("1", "《无》", "")
    first_sentence = re.split(r"(?<=[，。；])", text)[0]
    if model == "invent":
        body = {
            "answer": f"按照{reference}和《中华人民共和国民法典》第九百九十九条，邻居应当让您通行。",
            "citations": [{"evidence": int(number), "quote": first_sentence}],
        }
    elif model == "invent_number":
        body = {"answer": "邻居应当让您通行。", "citations": [{"evidence": 7, "quote": first_sentence}]}
    elif model == "misquote":
        body = {
            "answer": f"按照{reference}，邻居应当让您通行 [1]。",
            "citations": [
                {"evidence": int(number), "quote": first_sentence.replace("应当", "必须") + "并且赔偿一万元"}
            ],
        }
    else:
        body = {
            "answer": f"简单说：邻居应当给您行个方便，让您通行和排水 [{number}]。这是{reference}的规定。",
            "citations": [{"evidence": int(number), "quote": first_sentence}],
        }
    return "```json\n" + json.dumps(body, ensure_ascii=False) + "\n```"


class LLMStub:
    def __init__(self, delay: float = 3.0) -> None:
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        payload = await request.json()
        self.requests.append({"headers": dict(request.headers), "json": payload})
        model = payload.get("model", "good")
        prompt = "\n".join(str(m.get("content", "")) for m in payload.get("messages", []))
        if model == "http500":
            return web.json_response({"error": {"message": "boom"}}, status=500)
        if model == "slow":
            await asyncio.sleep(self.delay)
        content = "对不起，我不知道 <html>" if model == "garbage" else _answer_for(model, prompt)
        return web.json_response(
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
        )

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def start(self) -> LLMStub:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
