"""普法 prose: explainers split by heading and paragraph into passages of bounded size."""

from __future__ import annotations

from typing import Any

from knowledge.parsing.sources import SourceText, fail, flat_meta, resolve_scope
from knowledge.parsing.structure import blocks_from_lines, chunk_paragraphs, group_sections, split_title
from knowledge.units import Document, Unit, UnitKind

PASSAGE_CHARS = 550  # passages of ~400–600 characters read well and embed well


def parse_prose(source: SourceText, meta: dict[str, Any]) -> Document:
    h1, lines = split_title(source.lines)
    title = str(meta.get("title") or h1 or source.path.stem)
    scope = resolve_scope(source, meta)
    blocks = blocks_from_lines(lines, plain_headings=False, hard_wrapped=source.hard_wrapped,
                               starts_unit=lambda _line: False)
    sections, _ = group_sections(blocks, lambda _line: None)
    stem = source.path.stem
    unit_meta = flat_meta(meta)
    units: list[Unit] = []
    for section in sections:
        for chunk in chunk_paragraphs(section.paragraphs, max_chars=PASSAGE_CHARS):
            units.append(Unit(id=f"prose/{stem}/{len(units) + 1}", kind=UnitKind.PROSE, doc_title=title,
                              text=chunk, path=section.path, scope=scope, source=str(source.path),
                              meta=dict(unit_meta)))
    if not units:
        raise fail(source.path, "empty", "the file holds headings but no text")
    return Document(source=str(source.path), kind=UnitKind.PROSE, title=title, units=tuple(units),
                    scope=scope, meta=dict(meta))

