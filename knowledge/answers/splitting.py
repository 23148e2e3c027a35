"""Fitting a long answer into chat messages (Telegram: 4,096 characters) without cutting a quote.

Messages break between paragraphs (blank lines). A paragraph that is a quotation —
``《…》第X条规定：“…”`` — stays whole in one message; only when a single quotation is longer than
the limit is it cut, at sentence ends, and every piece then repeats its citation so no piece is a
quote without its source.
"""

from __future__ import annotations

import re

TELEGRAM_LIMIT = 4096
CONTINUED = "……"
_QUOTE_HEAD = re.compile(r"^(《[^》\n]{1,80}》[^“\n]{0,60}“)")
_SENTENCE_END = re.compile(r"(?<=[。；！？!?;\n])")


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Chunks of at most ``limit`` characters, breaking only between paragraphs where possible."""
    if limit < 40:
        raise ValueError("limit must leave room for a citation and some text (≥ 40)")
    blocks = [b for b in re.split(r"\n{2,}", text.strip()) if b.strip()]
    pieces: list[str] = []
    for block in blocks:
        pieces.extend(_fit_block(block, limit))
    return _pack(pieces, limit)


def _pack(pieces: list[str], limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def _fit_block(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    head = _QUOTE_HEAD.match(block)
    if head:
        return _split_quote(block, head.group(1), limit)
    return _split_sentences(block, limit)


def _split_sentences(block: str, limit: int) -> list[str]:
    """Greedy packing of whole sentences; a sentence longer than the limit is cut hard."""
    out: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE_END.split(block) if s):
        while len(sentence) > limit:
            if current:
                out.append(current)
                current = ""
            out.append(sentence[:limit])
            sentence = sentence[limit:]
        if len(current) + len(sentence) <= limit:
            current += sentence
        else:
            out.append(current)
            current = sentence
    if current:
        out.append(current)
    return out


def _split_quote(block: str, head: str, limit: int) -> list[str]:
    """``head`` = 《…》第X条规定：“ ; each piece is head + [……] + sentences + [……”]."""
    body = block[len(head) :]
    room = limit - len(head) - 2 * len(CONTINUED) - 1
    parts = _split_sentences(body, max(room, 10))
    out = []
    for index, part in enumerate(parts):
        lead = "" if index == 0 else CONTINUED
        tail = "" if index == len(parts) - 1 else CONTINUED + "”"
        out.append(f"{head}{lead}{part}{tail}")
    return out


def join_split(chunks: list[str]) -> str:
    """Inverse of ``split_message`` for tests and logs: the text with repeated citations removed."""
    text = "\n\n".join(chunks)
    return re.sub(CONTINUED + "”\n\n《[^》\n]{1,80}》[^“\n]{0,60}“" + CONTINUED, "", text)
