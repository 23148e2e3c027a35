"""The assistant in a worker process of its own: what ``heshi bot run`` and ``heshi bot webhook`` use.

An answer is CPU work (the model, the indexes, the ranking). In the bot's process it competed with the
event loop for the one interpreter lock, and in a burst of residents that wait, not the work, was most
of an answer's latency. In a worker it runs on the other core, and the bot's process holds neither the
model nor the indexes.

The bot talks to the worker over its standard input and output: length-prefixed pickled frames
``(id, operation, arguments)`` one way and ``(id, ok, value)`` back, read and written by the event loop
itself (no threads, so nothing in the bot's process waits for the lock to hand a reply over). The
worker serves one request at a time, in order. Documents uploaded through ``/admin`` are ingested by the
worker too, into the knowledge base it answers from, so the next answer sees them. Questions that
arrive together are encoded together (one model call for up to ``BATCH``), then answered in order.

If the worker dies (killed, out of memory), the requests in flight fail (the resident gets the usual
apology) and the next request starts a new worker. If the bot dies, the worker reads the end of its
input and leaves.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import select
import sys
from pathlib import Path
from typing import IO, Any

from bot.services import AssistantReply

log = logging.getLogger(__name__)

OPERATIONS = ("respond", "ingest")
HEADER = 4  # bytes of a frame's length, big-endian
BATCH = 16  # requests the worker takes at once (their texts encoded in one model call)
START_TIMEOUT = 600.0  # seconds to load the model and the indexes (a cold disk on a small machine)


class AssistantUnavailable(RuntimeError):
    """The worker failed a request or died while it was in flight."""


def _frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(HEADER, "big") + data


class AssistantProcess:
    """The bot's side: ``await respond_async(...)``; one worker, started by ``open``."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._starting = asyncio.Lock()

    @classmethod
    async def open(cls) -> AssistantProcess:
        worker = cls()
        await worker._ensure_started()
        return worker

    async def _ensure_started(self) -> asyncio.subprocess.Process:
        async with self._starting:
            if self._process is None or self._reader is None or self._reader.done():
                self._process = await self._start()
                self._reader = asyncio.create_task(self._read_replies(self._process))
            return self._process

    @staticmethod
    async def _start() -> asyncio.subprocess.Process:
        root = str(Path(__file__).resolve().parents[2])  # the worker imports this checkout's packages
        paths = [root, os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", __name__,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
        )
        assert process.stdout is not None
        try:
            _, ok, value = await asyncio.wait_for(_read_frame(process.stdout), START_TIMEOUT)
        except (asyncio.IncompleteReadError, TimeoutError) as error:
            process.kill()
            raise AssistantUnavailable("the assistant's worker did not start") from error
        if not ok:
            raise AssistantUnavailable(f"the assistant's worker did not start: {value}")
        log.info("assistant worker %d ready", process.pid)
        return process

    async def _read_replies(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            while True:
                request, ok, value = await _read_frame(process.stdout)
                future = self._pending.pop(request, None)
                if future is None or future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(AssistantUnavailable(value))
        except (asyncio.IncompleteReadError, ConnectionError):
            log.error("the assistant's worker %d stopped; the next request starts a new one", process.pid)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(AssistantUnavailable("the assistant's worker stopped"))
            self._pending.clear()
            if process.returncode is None:
                process.kill()

    async def _call(self, operation: str, *args: Any) -> Any:
        process = await self._ensure_started()
        assert process.stdin is not None
        request = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request] = future
        try:
            process.stdin.write(_frame((request, operation, args)))
            await process.stdin.drain()
        except (ConnectionError, RuntimeError) as error:
            self._pending.pop(request, None)
            raise AssistantUnavailable("the assistant's worker stopped") from error
        return await future

    async def respond_async(self, message: str, community: str | None, lang: str) -> AssistantReply:
        reply: AssistantReply = await self._call("respond", message, community, lang)
        return reply

    def respond(self, message: str, community: str | None, lang: str) -> AssistantReply:
        raise NotImplementedError("the worker is reached from the event loop: use respond_async")

    async def ingest_async(self, paths: list[Path], community: str | None = None) -> int:
        units: int = await self._call("ingest", paths, community)
        return units

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def aclose(self, grace: float = 10.0) -> None:
        """Close the worker's input (it leaves after the request it is on), then wait, then kill."""
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


async def _read_frame(stream: asyncio.StreamReader) -> Any:
    size = int.from_bytes(await stream.readexactly(HEADER), "big")
    return pickle.loads(await stream.readexactly(size))


# ------------------------------------------------------------------------------ the worker's side
class FrameReader:
    """Frames from a pipe: ``batch()`` blocks for the first, then takes every whole frame already
    there, so a burst of questions is seen (and its texts encoded) together."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._ended = False

    def _fill(self, wait: bool) -> None:
        if self._ended or not (wait or select.select([self._fd], [], [], 0)[0]):
            return
        chunk = os.read(self._fd, 1 << 16)
        if chunk:
            self._buffer += chunk
        else:
            self._ended = True  # the bot closed our input or died

    def _take(self) -> Any:
        if len(self._buffer) < HEADER:
            return None
        size = int.from_bytes(self._buffer[:HEADER], "big")
        if len(self._buffer) < HEADER + size:
            return None
        message = pickle.loads(bytes(self._buffer[HEADER : HEADER + size]))
        del self._buffer[: HEADER + size]
        return message

    def batch(self, limit: int = BATCH) -> list[Any]:
        """Up to ``limit`` requests, at least one unless the input ended (then an empty list)."""
        messages: list[Any] = []
        while not messages:
            while len(messages) < limit and (message := self._take()) is not None:
                messages.append(message)
            if messages or self._ended:
                break
            self._fill(wait=True)
        while len(messages) < limit:  # whatever else has arrived meanwhile
            self._fill(wait=False)
            message = self._take()
            if message is None:
                break
            messages.append(message)
        return messages


def serve(source: int, sink: IO[bytes]) -> None:
    """Answer requests from the pipe ``source`` on ``sink`` until ``source`` ends."""
    from bot.adapters.answers import KnowledgeAssistant

    def send(message: Any) -> None:
        sink.write(_frame(message))
        sink.flush()

    try:
        assistant = KnowledgeAssistant.open()
    except Exception as error:  # reported to the bot, which fails to start with it
        log.exception("the assistant could not be loaded")
        send((0, False, f"{type(error).__name__}: {error}"))
        return
    send((0, True, "ready"))
    reader = FrameReader(source)
    while requests := reader.batch():
        questions = [args[0] for _, operation, args in requests if operation == "respond"]
        if len(questions) > 1:
            assistant.prepare(questions)
        for request, operation, args in requests:
            try:
                if operation not in OPERATIONS:
                    raise ValueError(f"unknown operation {operation!r}")
                send((request, True, getattr(assistant, operation)(*args)))
            except Exception as error:  # one failed request must not end the worker
                log.exception("assistant request %s failed", operation)
                send((request, False, f"{type(error).__name__}: {error}"))


def main() -> None:
    from intake.privacy import PiiMaskingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(PiiMaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [assistant]: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    # The frames go to the real standard output; anything a library prints goes to standard error.
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.fileno(), frames)


if __name__ == "__main__":
    main()
