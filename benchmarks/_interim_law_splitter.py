"""A minimal law-markdown splitter used by the benchmarks ONLY while ``knowledge.parsing`` is not there.

The real parser (``knowledge.parsing.iter_documents``) replaces it; :func:`load_law_units` prefers it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from knowledge.units import Document, Unit, UnitKind

_ARTICLE = re.compile(r"^第([零〇一二两三四五六七八九十百千]+)条(?:之[一二三四五六七八九十]+)?[\s　]")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def _cn_to_int(text: str) -> int:
    total, digit = 0, 0
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        else:
            total += (digit or 1) * _UNITS[char]
            digit = 0
    return total + digit


def split_law(path: Path) -> Document:
    lines = path.read_text(encoding="utf-8").splitlines()
    title = next(line[2:].strip() for line in lines if line.startswith("# "))
    body = lines[next((i for i, line in enumerate(lines) if "INFO END" in line), 0) + 1 :]
    headings: list[tuple[int, str]] = []
    units: list[Unit] = []
    label, number, text_lines, article_path = "", 0, [], ()

    def flush() -> None:
        if label:
            units.append(Unit(id=f"law/{title}/{number}", kind=UnitKind.LAW, doc_title=title,
                              text="\n".join(text_lines).strip(), path=article_path, label=label,
                              number=number, source=str(path)))

    for line in body:
        heading = re.match(r"^(#+)\s+(.*)", line)
        match = _ARTICLE.match(line)
        if heading:
            flush()
            label = ""
            level = len(heading.group(1))
            name = re.sub(r"\s+", " ", heading.group(2))
            headings = [h for h in headings if h[0] < level] + [(level, name)]
        elif match:
            flush()
            label = line[: match.end()].strip()
            number = _cn_to_int(match.group(1))
            text_lines = [line[match.end() :].strip()]
            article_path = tuple(h[1] for h in headings)
        elif label and line.strip():
            text_lines.append(line.strip())
    flush()
    return Document(source=str(path), kind=UnitKind.LAW, title=title, units=tuple(units))


def iter_law_documents(paths: list[Path]) -> Iterator[Document]:
    for root in paths:
        files = sorted(root.rglob("*.md")) if root.is_dir() else [root]
        for file in files:
            if any(line.startswith("# ") for line in file.read_text(encoding="utf-8").splitlines()[:3]):
                yield split_law(file)
