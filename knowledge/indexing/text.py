"""The text that is indexed for a unit – decided once, because changing it means re-encoding everything.

Dense side: one vector for the whole unit with its context (law title and 编/章/节 headings) in front,
and for long multi-paragraph articles (≥ 500 characters: with the context they come near the
encoder's 512-token window, ~0.65 tokens per character) one more vector per paragraph with the same
context; a unit's dense score is the best of its vectors (max-pooling). On the national corpus that
adds 9% vectors (a 300-character threshold would add 32%). Lexical side: title, heading words, text.
Measured on the 22 laws (docs/knowledge-index.md) the context and the paragraph vectors each move
dense recall by about ±1 point only; the context is kept because titles separate the many laws of
the national corpus whose articles read alike.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from knowledge.units import Unit, UnitKind, UnitStatus

# Articles longer than this with several paragraphs also get one vector per paragraph.
PARAGRAPH_SPLIT_MIN_CHARS = 500
_SPACES = re.compile(r"\s+")
_CHAPTER_NUMBER = re.compile(r"^第[零一二三四五六七八九十百千\d]+(?:分编|编|章|节)\s*")


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def context_line(unit: Unit) -> str:
    """《title》 followed by the heading path, e.g. ``中华人民共和国民法典 物权编 第七章 相邻关系``."""
    parts = [unit.doc_title, *unit.path]
    return _squash(" ".join(part for part in parts if part))


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(frozen=True, slots=True)
class DenseText:
    """One text to encode for a unit; ``part`` 0 is the whole unit, 1.. are its paragraphs."""

    unit_id: str
    part: int
    text: str


def dense_texts(unit: Unit) -> list[DenseText]:
    """Texts whose vectors stand for ``unit`` (max-pooled at search time)."""
    context = context_line(unit)
    if unit.kind is UnitKind.FAQ:
        body = "\n".join([*unit.questions, unit.text])
        return [DenseText(unit.id, 0, f"{context}\n{body}")]
    texts = [DenseText(unit.id, 0, f"{context}\n{unit.text.strip()}")]
    parts = paragraphs(unit.text)
    if len(parts) > 1 and len(unit.text) >= PARAGRAPH_SPLIT_MIN_CHARS:
        texts += [DenseText(unit.id, i, f"{context}\n{part}") for i, part in enumerate(parts, start=1)]
    return texts


def question_texts(unit: Unit) -> list[str]:
    """Texts of the article-questions channel (:mod:`knowledge.indexing.questions`): the everyday
    questions written for a law article, each encoded alone. FAQ questions are part of the FAQ's own
    text instead (they are the unit's subject, not a paraphrase of a rule)."""
    return [] if unit.kind is UnitKind.FAQ else list(unit.questions)


def heading_terms(unit: Unit) -> str:
    """Headings without their numbering (第七章 → 相邻关系): the words that carry the topic."""
    return " ".join(_CHAPTER_NUMBER.sub("", _squash(part)) for part in unit.path if part)


def lexical_text(unit: Unit) -> str:
    """The text tokenised for BM25: title, heading words, questions (FAQ or written for an article), body."""
    fields = [unit.doc_title, heading_terms(unit), *unit.questions, unit.text]
    return "\n".join(field for field in fields if field)


def index_key(unit: Unit) -> str:
    """The hash of what is indexed for a unit: ``unit.hash`` without status and ``superseded_by``, which
    are only filter metadata. Equal keys mean the stored vectors and tokens can stay."""
    if unit.status is UnitStatus.IN_FORCE and unit.superseded_by is None:
        return unit.hash
    return dataclasses.replace(unit, status=UnitStatus.IN_FORCE, superseded_by=None, hash="").hash
