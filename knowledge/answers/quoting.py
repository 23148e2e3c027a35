"""Choosing what to quote from an article: all of a short one, the relevant parts of a long one.

A long article (a list of 十几项 items, several paragraphs) is cut to the paragraph or items that
overlap the question most. The lead-in sentence of a list ("有下列情形之一的……") is kept so the
items still read as law. Every part quoted is a verbatim substring of the article; omitted parts are
marked with …….
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ELLIPSIS = "……"
_ITEM = re.compile(r"^\s*[（(][一二三四五六七八九十百]+[)）]")
_NOT_WORD = re.compile(r"[^0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]+")
# Frequent function characters that make bigrams match without meaning anything.
_STOP = set("的了是在和与或及等我你他她它们吗呢吧啊呀么什怎样如何可以能不会有没这那个把被就都也还")
_LABEL_PREFIX = re.compile(r"^\s*第[一二三四五六七八九十百千零〇0-9]+条(之[一二三四五六七八九十]+)?\s*")


@dataclass(frozen=True, slots=True)
class Quote:
    text: str  # what is shown, parts joined with ……
    parts: tuple[str, ...]  # each a verbatim substring of the article
    complete: bool


def bigrams(text: str) -> set[str]:
    flat = _NOT_WORD.sub("", text)
    return {flat[i : i + 2] for i in range(len(flat) - 1) if not (flat[i] in _STOP and flat[i + 1] in _STOP)}


def overlap(question: str, passage: str) -> float:
    """Share of the question's character bigrams that occur in the passage (0..1)."""
    wanted = bigrams(question)
    return len(wanted & bigrams(passage)) / len(wanted) if wanted else 0.0


def article_body(text: str) -> str:
    """The article text without a leading 第X条 label (sources differ on whether it is included)."""
    return _LABEL_PREFIX.sub("", text, count=1).strip()


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def select_quote(article: str, question: str, max_chars: int = 240) -> Quote:
    """The relevant part(s) of ``article`` for ``question``, about ``max_chars`` long or shorter."""
    body = article_body(article)
    parts = paragraphs(body)
    if len(body) <= max_chars:
        return Quote(body, (body,), True)
    if len(parts) == 1:
        # One paragraph: quote it whole unless it is very long, then keep its relevant sentences.
        return (
            Quote(body, (body,), True) if len(body) <= 2 * max_chars else _cut_one(body, question, max_chars)
        )
    scored = sorted(range(len(parts)), key=lambda i: (-overlap(question, parts[i]), i))
    chosen: set[int] = set()
    used = 0
    for index in scored:
        if used and used + len(parts[index]) > max_chars:
            continue
        chosen.add(index)
        used += len(parts[index])
        lead = _lead_in(parts, index)
        if lead is not None and lead not in chosen:
            chosen.add(lead)
            used += len(parts[lead])
        if used >= max_chars:
            break
    ordered = sorted(chosen)
    return _join(parts, ordered)


def _lead_in(parts: list[str], index: int) -> int | None:
    """For an item （三）, the nearest preceding paragraph that is not an item (the list's lead-in)."""
    if not _ITEM.match(parts[index]):
        return None
    for back in range(index - 1, -1, -1):
        if not _ITEM.match(parts[back]):
            return back
    return None


def _join(parts: list[str], ordered: list[int]) -> Quote:
    pieces: list[str] = []
    previous = -1
    for index in ordered:
        if (index != previous + 1 and pieces) or (index != 0 and not pieces):
            pieces.append(ELLIPSIS)
        pieces.append(parts[index])
        previous = index
    if ordered and ordered[-1] != len(parts) - 1:
        pieces.append(ELLIPSIS)
    text = "\n".join(pieces)
    return Quote(text, tuple(parts[i] for i in ordered), len(ordered) == len(parts))


_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")


def _cut_one(body: str, question: str, max_chars: int) -> Quote:
    """A single very long paragraph: keep the sentences that overlap the question most."""
    sentences = [s for s in _SENTENCE.findall(body) if s.strip()]
    return _join(sentences, sorted(_best(sentences, question, max_chars)))


def _best(sentences: list[str], question: str, max_chars: int) -> set[int]:
    chosen: set[int] = set()
    used = 0
    for index in sorted(range(len(sentences)), key=lambda i: (-overlap(question, sentences[i]), i)):
        if used and used + len(sentences[index]) > max_chars:
            continue
        chosen.add(index)
        used += len(sentences[index])
    return chosen


def is_verbatim(quote: str, article: str) -> bool:
    """True when every part of ``quote`` (split at ……) occurs in ``article``, ignoring whitespace."""
    flat_article = re.sub(r"\s+", "", article)
    pieces = [re.sub(r"\s+", "", p) for p in quote.split(ELLIPSIS)]
    pieces = [p for p in pieces if p]
    return bool(pieces) and all(p in flat_article for p in pieces)
