"""Checks on the hand-written triage and answer-layer data sets.

The training examples ship with the product; the development and out-of-scope sets are used only for
measurement. A message that appears in training and in an evaluation set (or a near copy of one) would
inflate every figure we report, so the files must stay apart.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from knowledge.triage import rules as triage_rules

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ROOT / "knowledge" / "data" / "intent_examples.jsonl"
DEV = ROOT / "benchmarks" / "data" / "intent_dev.jsonl"
DEV2 = ROOT / "benchmarks" / "data" / "intent_dev2.jsonl"
DEV3 = ROOT / "benchmarks" / "data" / "intent_dev3.jsonl"
DEV4 = ROOT / "benchmarks" / "data" / "intent_dev4.jsonl"
DEV5 = ROOT / "benchmarks" / "data" / "intent_dev5.jsonl"
DEV6 = ROOT / "benchmarks" / "data" / "intent_dev6.jsonl"
DEV7 = ROOT / "benchmarks" / "data" / "intent_dev7.jsonl"
OUT_OF_SCOPE = ROOT / "benchmarks" / "data" / "out_of_scope.jsonl"
OUT_OF_SCOPE2 = ROOT / "benchmarks" / "data" / "out_of_scope2.jsonl"
IN_SCOPE_EXTRA = ROOT / "benchmarks" / "data" / "in_scope_extra.jsonl"

INTENTS = set(triage_rules.INTENTS)
CATEGORIES = set(triage_rules.CATEGORIES)
CATEGORISED_INTENTS = {"dispute", "question"}
OUT_OF_SCOPE_REASONS = {
    "weather",
    "lottery",
    "medical",
    "criminal_defence",
    "foreign_law",
    "homework",
    "other",
}

# Two messages whose character bigrams overlap this much are treated as paraphrases of each other.
PARAPHRASE_JACCARD = 0.5
ARTICLE_LABEL = re.compile(r"^第[零〇一二三四五六七八九十百千]+条$")


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        assert isinstance(row, dict), f"{path.name}:{number} is not a JSON object"
        rows.append(row)
    return rows


@cache
def rows_of(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(load_jsonl(path))


def message_of(row: dict[str, Any]) -> str:
    return str(row.get("text", row.get("question", "")))


def normalise(text: str) -> str:
    """Drop whitespace and punctuation so "在吗？" and "在吗" count as the same message.

    Punctuation-only messages ("？", "。。。") keep their raw form, otherwise they would all collapse
    to the empty string.
    """
    kept = "".join(
        char for char in text if not char.isspace() and not unicodedata.category(char).startswith("P")
    )
    return kept or text.strip()


def bigrams(text: str) -> frozenset[str]:
    flat = normalise(text)
    return frozenset(flat[i : i + 2] for i in range(len(flat) - 1)) or frozenset({flat})


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    return len(left & right) / len(left | right)


ALL_FILES = [TRAINING, DEV, DEV2, DEV3, DEV4, DEV5, DEV6, DEV7, OUT_OF_SCOPE, OUT_OF_SCOPE2, IN_SCOPE_EXTRA]
INTENT_FILES = [TRAINING, DEV, DEV2, DEV3, DEV4, DEV5, DEV6, DEV7]
EVALUATION_FILES = [DEV, DEV2, DEV3, DEV4, DEV5, DEV6, DEV7, OUT_OF_SCOPE, OUT_OF_SCOPE2, IN_SCOPE_EXTRA]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_file_parses_and_has_no_empty_message(path: Path) -> None:
    rows = rows_of(path)
    assert rows
    assert all(message_of(row).strip() == message_of(row) and message_of(row) for row in rows)


@pytest.mark.parametrize("path", INTENT_FILES, ids=lambda p: p.name)
def test_intent_labels_and_categories_are_valid(path: Path) -> None:
    for row in rows_of(path):
        assert set(row) <= {"text", "intent", "category"}, row
        assert row["intent"] in INTENTS, row
        if row["intent"] == "dispute":
            assert row.get("category") in CATEGORIES, row
        elif "category" in row:
            assert row["intent"] in CATEGORISED_INTENTS and row["category"] in CATEGORIES, row


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_message_repeats_inside_a_file(path: Path) -> None:
    repeated = [text for text, n in Counter(normalise(message_of(r)) for r in rows_of(path)).items() if n > 1]
    assert repeated == []


def test_files_share_no_message() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for path in ALL_FILES:
        for text in {normalise(message_of(row)) for row in rows_of(path)}:
            if text in seen:
                clashes.append((text, seen[text], path.name))
            seen[text] = path.name
    assert clashes == []


@pytest.mark.parametrize("path", EVALUATION_FILES, ids=lambda p: p.name)
def test_evaluation_messages_are_not_paraphrases_of_training(path: Path) -> None:
    training = [(message_of(row), bigrams(message_of(row))) for row in rows_of(TRAINING)]
    too_close = []
    for row in rows_of(path):
        grams = bigrams(message_of(row))
        for text, train_grams in training:
            if jaccard(grams, train_grams) >= PARAPHRASE_JACCARD:
                too_close.append((message_of(row), text))
    assert too_close == []


def test_paraphrase_measure_flags_a_near_copy() -> None:
    """Guard the guard: a lightly edited message must be caught by the threshold above."""
    original = "邻居把我家门口的路用砖头堵了，我能告他吗"
    edited = "邻居把我家门口的路用砖头堵住了，我可以告他吗？"
    assert jaccard(bigrams(original), bigrams(edited)) >= PARAPHRASE_JACCARD
    assert normalise("在 吗？") == normalise("在吗") and normalise("？") != normalise("。。。")


def test_training_covers_every_intent_and_category() -> None:
    rows = rows_of(TRAINING)
    per_intent = Counter(row["intent"] for row in rows)
    assert all(per_intent[intent] >= 55 for intent in INTENTS), per_intent
    assert len(rows) >= 360
    per_category = Counter(row["category"] for row in rows if "category" in row)
    assert all(per_category[category] >= 15 for category in CATEGORIES), per_category


def test_dev_set_meets_minimum_counts() -> None:
    rows = rows_of(DEV)
    per_intent = Counter(row["intent"] for row in rows)
    assert len(rows) >= 240
    assert per_intent["urgent"] >= 30, per_intent
    assert all(per_intent[intent] >= 25 for intent in INTENTS - {"urgent"}), per_intent
    per_category = Counter(row["category"] for row in rows if row["intent"] == "dispute")
    assert all(per_category[category] >= 3 for category in CATEGORIES), per_category


def test_dev_set_holds_the_hard_cases() -> None:
    rows = rows_of(DEV)
    long_messages = [row for row in rows if len(row["text"]) >= 60]
    assert len(long_messages) >= 5
    assert sum(row["intent"] == "urgent" for row in long_messages) >= 3, "urgent hidden in long rants"
    assert any(normalise(row["text"]) == "在吗" and row["intent"] == "chitchat" for row in rows)


def test_out_of_scope_set() -> None:
    rows = rows_of(OUT_OF_SCOPE)
    assert len(rows) >= 60
    for row in rows:
        assert set(row) == {"question", "in_scope", "reason"}, row
        assert row["in_scope"] is False and row["reason"] in OUT_OF_SCOPE_REASONS, row
    per_reason = Counter(row["reason"] for row in rows)
    assert all(per_reason[reason] >= 5 for reason in OUT_OF_SCOPE_REASONS), per_reason


def test_in_scope_extra_format() -> None:
    rows = rows_of(IN_SCOPE_EXTRA)
    assert len(rows) >= 40
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        assert set(row) == {"id", "question", "gold"}, row
        assert row["gold"], row
        for gold in row["gold"]:
            assert set(gold) == {"law", "article"} and ARTICLE_LABEL.match(gold["article"]), row


def article_labels(law_file: Path) -> set[str]:
    return {
        match.group(1)
        for line in law_file.read_text(encoding="utf-8").splitlines()
        if (match := re.match(r"^(第[零〇一二三四五六七八九十百千]+条)\s", line))
    }


def test_in_scope_extra_gold_articles_exist(shared_corpus: Path) -> None:
    laws = shared_corpus / "laws"
    labels_by_law: dict[str, set[str]] = {}
    missing: list[tuple[str, ...]] = []
    for row in rows_of(IN_SCOPE_EXTRA):
        for gold in row["gold"]:
            law_file = laws / f"{gold['law']}.md"
            if not law_file.is_file():
                missing.append((row["id"], gold["law"]))
                continue
            labels = labels_by_law.setdefault(gold["law"], article_labels(law_file))
            if gold["article"] not in labels:
                missing.append((row["id"], gold["law"], gold["article"]))
    assert missing == []


def test_triage_and_case_service_share_the_dispute_categories() -> None:
    from intake.lifecycle import CATEGORIES as CASE_CATEGORIES

    assert tuple(triage_rules.CATEGORIES) == tuple(CASE_CATEGORIES)
