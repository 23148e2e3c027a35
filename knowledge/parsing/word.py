"""Reading .docx text in document order, with Word's automatic numbering.

``document_lines`` walks the body in order (paragraphs and tables; a table row becomes one line of
its cells, so a row "第一条 | 内容" reads as an article).

Word's automatic numbering is what python-docx's ``paragraph.text`` leaves out.

Village rules typed in Word often number their articles with list numbering ("第%1条" with Chinese
counting, or "%1."). The numbers live in numbering.xml, not in the text, so without this the
articles would lose their labels. We replay the counters the way Word does for the common formats.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from lxml import etree

from knowledge.numerals import int_to_cn

_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}

_CHINESE_FORMATS = {"chineseCounting", "chineseCountingThousand", "chineseLegalSimplified",
                    "ideographDigital", "japaneseCounting", "taiwaneseCounting", "taiwaneseCountingThousand"}
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_PLACEHOLDER = re.compile(r"%([1-9])")


@cache
def _compiled(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=_NS)


def _xpath(element: Any, expression: str) -> list[Any]:
    """XPath with the w: prefix on any lxml element (python-docx only maps it on its own classes)."""
    return list(_compiled(expression)(element))


def _val(element: Any, tag: str) -> str | None:
    found = _xpath(element, f"./w:{tag}/@w:val")
    return str(found[0]) if found else None


def _format(number: int, fmt: str) -> str:
    if fmt in _CHINESE_FORMATS:
        return int_to_cn(number)
    if fmt == "decimalFullWidth":
        return str(number).translate(_FULLWIDTH)
    if fmt == "lowerLetter":
        return chr(ord("a") + (number - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (number - 1) % 26)
    if fmt == "decimalEnclosedCircle" and 1 <= number <= 20:
        return chr(0x2460 + number - 1)
    return str(number)


class ListNumbering:
    """Replays Word list counters over the paragraphs of one document, in order."""

    def __init__(self, document: Any) -> None:
        self._levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) → (fmt, text, start)
        self._counters: dict[str, dict[int, int]] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {str(_xpath(item, "./@w:abstractNumId")[0]): item
                    for item in _xpath(numbering, "./w:abstractNum")}
        for num in _xpath(numbering, "./w:num"):
            num_id = str(_xpath(num, "./@w:numId")[0])
            abstract_id = _val(num, "abstractNumId")
            if abstract_id not in abstract:
                continue
            for level in _xpath(abstract[abstract_id], "./w:lvl"):
                ilvl = int(_xpath(level, "./@w:ilvl")[0])
                fmt = _val(level, "numFmt") or "decimal"
                text = _val(level, "lvlText") or ""
                start = int(_val(level, "start") or 1)
                self._levels[(num_id, ilvl)] = (fmt, text, start)

    def prefix(self, paragraph: Any) -> str:
        """The number Word shows before ``paragraph`` ("第三条", "2."), or "" when it has none."""
        found = self._num_pr(paragraph)
        if found is None:
            return ""
        num_id, ilvl = found
        if (num_id, ilvl) not in self._levels:
            return ""
        fmt, text, start = self._levels[(num_id, ilvl)]
        if fmt in ("bullet", "none"):
            return ""
        counters = self._counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [level for level in counters if level > ilvl]:
            del counters[deeper]

        def render(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            level_fmt, _, level_start = self._levels.get((num_id, level), (fmt, "", 1))
            return _format(counters.get(level, level_start), level_fmt)

        return _PLACEHOLDER.sub(render, text)

    @staticmethod
    def _num_pr(paragraph: Any) -> tuple[str, int] | None:
        """numId/ilvl from the paragraph, else from its style chain (the "List Number" style)."""
        sources = [paragraph._p]
        style = paragraph.style
        while style is not None:
            sources.append(style.element)
            style = style.base_style
        for element in sources:
            num_ids = _xpath(element, "./w:pPr/w:numPr/w:numId/@w:val")
            if num_ids:
                levels = _xpath(element, "./w:pPr/w:numPr/w:ilvl/@w:val")
                num_id = str(num_ids[0])
                return (None if num_id == "0" else (num_id, int(levels[0]) if levels else 0))
        return None


def document_lines(document: Any) -> list[str]:
    """The body of a python-docx Document as lines, in order, with list numbers restored."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    numbering = ListNumbering(document)
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            prefix = numbering.prefix(paragraph) if paragraph.text.strip() else ""
            lines.append(f"{prefix} {paragraph.text}" if prefix else paragraph.text)
        elif child.tag == qn("w:tbl"):
            for row in Table(child, document).rows:
                # a merged cell shows up once per grid column: keep each text once
                cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                lines.append(" ".join(cells))
    return lines
