"""Everyday questions written for law articles, attached to the articles at ingestion (doc2query).

Residents describe what happened ("房东把房子卖了，新房东让我搬走"); articles state rules ("租赁物在承租
人按照租赁合同占有期限内发生所有权变动的，不影响租赁合同的效力"). A small encoder and BM25 both miss
many such pairs. So for the laws people ask about most, we wrote a few questions per article in the
residents' own words; they are indexed with the article (BM25 text, and their own vectors searched as a
channel of their own, see :mod:`knowledge.indexing.questions`) and are never shown as law.

The bundled set (``knowledge/data/article_questions.jsonl``) covers the 22 laws of village life. One
line per article::

    {"law": "中华人民共和国民法典", "article": "第七百二十五条", "number": 725,
     "fingerprint": "<12 hex>", "questions": ["…", "…"]}

``fingerprint`` is taken over the article's text as it was when the questions were written: an article
whose text differs (an amended or renumbered law, another version) gets no questions, so questions can
never stick to the wrong rule. ``HESHI_ARTICLE_QUESTIONS`` picks the set: ``bundled`` (default),
``off``, or a ``.jsonl`` file or folder of them in the format above.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from knowledge.units import Document, UnitKind

BUNDLED = "bundled"
OFF = "off"
_SPACES = re.compile(r"\s+")


def article_fingerprint(text: str) -> str:
    """What identifies an article's wording: whitespace does not count."""
    return hashlib.sha256(_SPACES.sub("", text).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class QuestionBank:
    """Questions by (law title, article number), each set with the fingerprint of the text it was
    written for. ``version`` changes whenever the set does (it is part of every file's ingest key)."""

    entries: dict[tuple[str, int], tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    version: str = OFF

    @classmethod
    def load(cls, setting: str = BUNDLED) -> QuestionBank:
        if setting == OFF:
            return cls()
        if setting == BUNDLED:
            text = resources.files("knowledge.data").joinpath("article_questions.jsonl").read_text("utf-8")
            return cls.from_lines(text.splitlines())
        path = Path(setting).expanduser()
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        lines = [line for file in files for line in file.read_text(encoding="utf-8").splitlines()]
        return cls.from_lines(lines)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> QuestionBank:
        entries: dict[tuple[str, int], tuple[str, tuple[str, ...]]] = {}
        digest = hashlib.sha256()
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            questions = tuple(q.strip() for q in row["questions"] if q.strip())
            if questions:
                entries[(row["law"], int(row["number"]))] = (row["fingerprint"], questions)
                digest.update(line.encode("utf-8"))
        return cls(entries, digest.hexdigest()[:16] if entries else OFF)

    def __len__(self) -> int:
        return len(self.entries)

    def questions_for(self, title: str, number: int | None, text: str) -> tuple[str, ...]:
        if number is None:
            return ()
        entry = self.entries.get((title, number))
        if entry is None or entry[0] != article_fingerprint(text):
            return ()
        return entry[1]

    def attach(self, document: Document) -> Document:
        """The document with its law articles' questions set (other kinds are returned as they are)."""
        if not self.entries or document.kind is not UnitKind.LAW:
            return document
        units = []
        changed = False
        for unit in document.units:
            questions = self.questions_for(unit.doc_title, unit.number, unit.text)
            if questions and questions != unit.questions:
                unit = dataclasses.replace(unit, questions=questions, hash="")
                changed = True
            units.append(unit)
        return dataclasses.replace(document, units=tuple(units)) if changed else document
