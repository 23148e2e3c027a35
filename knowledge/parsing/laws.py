"""Law texts in markdown (H1 title, dated header, ``<!-- INFO END -->``, headings, 第X条 articles)."""

from __future__ import annotations

import re
from typing import Any

from knowledge.parsing.dates import all_dates, file_date, parse_date
from knowledge.parsing.sources import SourceText, fail, flat_meta, id_part, resolve_scope
from knowledge.parsing.structure import (
    MD_HEADING_RE,
    Block,
    Section,
    article_start,
    blocks_from_lines,
    check_numbering,
    chunk_paragraphs,
    clean_line,
    cn_item_start,
    group_sections,
    leading_title,
    unit_keys,
)
from knowledge.units import Document, Unit, UnitKind

INFO_END = "<!-- INFO END -->"
PASSAGE_CHARS = 600
_EFFECTIVE_RE = re.compile(r"自(.{6,16}?日)起施行")


def looks_like_law(text: str) -> bool:
    return INFO_END in text


def parse_law(source: SourceText, meta: dict[str, Any]) -> Document:
    lines = source.lines
    title, subtitle, header, body_start = _split_header(lines)
    if title is None:  # a law saved as .docx/.pdf/.txt: the title is the first line
        found, rest = leading_title(lines[body_start:])
        if found:
            title, body_start = found, len(lines) - len(rest)
    title = str(meta.get("title") or title or source.path.stem)
    version_date = meta.get("version_date") or file_date(source.path.stem)
    blocks = blocks_from_lines(lines[body_start:], plain_headings=source.fmt != "md",
                               hard_wrapped=source.hard_wrapped, starts_unit=lambda s: bool(article_start(s)))
    for block in blocks:
        block.line += body_start
    base_path = (subtitle,) if subtitle else ()
    loose, articles = group_sections(blocks, article_start, base_path=base_path)
    warnings: list[str] = []
    doc_meta = _header_meta(header, articles)
    if version_date:
        doc_meta["version_date"] = str(version_date)
    doc_meta.update({k: v for k, v in meta.items() if k not in ("title", "kind")})
    scope = resolve_scope(source, meta, community_applies=False)  # --community is for rules/FAQs
    key = id_part(f"{title}@{version_date}" if version_date else title)

    if articles:
        warnings += check_numbering(articles, expect_first=None if subtitle else 1)
        passages = _loose_passages(loose)
        first = articles[0].line
        before = [p for p in passages if p.line < first]  # a preamble, 序言
        after = [p for p in passages if p.line >= first]  # text under a heading between or after articles
        keyed = [(p, f"intro-{i}") for i, p in enumerate(before, start=1)]
        keyed += [(p, f"annex-{i}") for i, p in enumerate(after, start=1)]
        keyed += list(zip(articles, unit_keys(articles), strict=True))
        keyed.sort(key=lambda pair: pair[0].line)  # document order
        sections, keys = [s for s, _ in keyed], [k for _, k in keyed]
    else:
        sections, keys, note = _without_articles(blocks, base_path)
        warnings.append(note)
    unit_meta = flat_meta(doc_meta)
    units = tuple(
        Unit(id=f"law/{key}/{tail}", kind=UnitKind.LAW, doc_title=title, text=section.text,
             path=section.path, label=section.label, number=section.number, scope=scope,
             source=str(source.path), meta=dict(unit_meta))
        for section, tail in zip(sections, keys, strict=True)
        if section.text or section.label
    )
    if not units:
        raise fail(source.path, "empty", "no articles or text found in this law file")
    return Document(source=str(source.path), kind=UnitKind.LAW, title=title, units=units, scope=scope,
                    meta=doc_meta, warnings=tuple(warnings))


def _split_header(lines: list[str]) -> tuple[str | None, str | None, list[str], int]:
    """Title, subtitle (the second H1 before the marker, e.g. 物权编), header lines, body start index."""
    end = next((i for i, line in enumerate(lines) if line.strip() == INFO_END), None)
    title = subtitle = None
    header: list[str] = []
    for index, raw in enumerate(lines[: end if end is not None else len(lines)]):
        line = clean_line(raw)
        heading = MD_HEADING_RE.match(line)
        if heading and len(heading.group(1)) == 1 and heading.group(2):
            if title is None:
                title = heading.group(2).strip()
            elif end is not None:
                subtitle = heading.group(2).strip()
            if end is None:  # no marker: the body starts right after the title
                return title, None, [], index + 1
        elif line:
            header.append(line)
    if end is None:
        return title, None, [], 0
    return title, subtitle, header, end + 1


def _header_meta(header: list[str], articles: list[Section]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if header:
        meta["header"] = list(header)
    dated = [(line, date) for line in header if (date := parse_date(line))]
    if dated:
        meta["adopted"] = dated[0][1]
        amended = [date for line, date in dated if re.search("修正|修订|修改", line)]
        if amended:
            meta["amended"] = max(amended)
    effective = next((date for line, date in dated if "施行" in line), None)
    if effective is None:
        # The commencement article (本法自2021年1月1日起施行) is usually among the last ones.
        for section in reversed(articles[-3:]):
            match = _EFFECTIVE_RE.search(section.text)
            if match and all_dates(match.group(1)):
                effective = all_dates(match.group(1))[0]
                break
    if effective:
        meta["effective"] = effective
    return meta


def _loose_passages(loose: list[Section]) -> list[Section]:
    """Text outside articles (a preamble, 序言) as passages of bounded size."""
    passages: list[Section] = []
    for section in loose:
        for chunk in chunk_paragraphs(section.paragraphs, max_chars=PASSAGE_CHARS):
            passages.append(Section(None, None, None, section.path, [chunk], section.line))
    return passages


def _without_articles(blocks: list[Block],
                      base_path: tuple[str, ...]) -> tuple[list[Section], list[str], str]:
    """A law text with no 第X条: numbered items (一、二、) if it has them, else bounded passages."""
    loose, items = group_sections(blocks, cn_item_start, base_path=base_path)
    numbers = [item.number or 0 for item in items]
    if len(items) >= 2 and numbers[0] == 1 and numbers == sorted(numbers):
        sections = _loose_passages(loose) + items
        n_loose = len(sections) - len(items)
        keys = [f"intro-{i}" for i in range(1, n_loose + 1)] + [f"item-{k}" for k in unit_keys(items)]
        return sections, keys, f"no 第X条 articles; split into {len(items)} numbered items (一、二、…)"
    everything, _ = group_sections(blocks, lambda _line: None, base_path=base_path)
    passages = _loose_passages(everything)
    keys = [f"p{i}" for i in range(1, len(passages) + 1)]
    return passages, keys, f"no 第X条 articles; split into {len(passages)} passages by paragraph"
