"""Village rules and residents'/owners' conventions (村规民约, 居民公约, 管理规约).

Articles are 第X条 or numbered items (一、 / 1. / （1）); 第X章 lines and markdown headings give the
path. A rules document belongs to one community: without a community code it is refused.
"""

from __future__ import annotations

import re
from typing import Any

from knowledge.parsing.dates import DATE_RE, normalise_date, parse_date
from knowledge.parsing.sources import SourceText, fail, flat_meta, id_part, resolve_scope
from knowledge.parsing.structure import (
    Block,
    Matcher,
    Section,
    arabic_item_start,
    blocks_from_lines,
    check_numbering,
    chunk_paragraphs,
    clean_heading,
    cn_item_start,
    group_sections,
    leading_title,
    loose_article_start,
    paren_item_start,
    split_title,
    unit_keys,
)
from knowledge.units import NATIONAL_SCOPE, Document, Unit, UnitKind

RULES_TITLE_RE = re.compile(r"村规民约|居民公约|管理规约|业主公约|自治章程|村民公约|社区公约|临时管理规约")
_ASSEMBLY = (r"(?:村民代表会议|村民会议|居民代表会议|居民会议|业主大会|业主代表大会"
             r"|成员代表大会|成员大会|职工代表大会)")
_ADOPTED_AFTER_DATE = re.compile(
    rf"(?P<date>{DATE_RE.pattern})[^。\n]{{0,12}}?(?P<by>{_ASSEMBLY})[^。\n]{{0,12}}?通过")
_ADOPTED_BEFORE_DATE = re.compile(
    rf"(?P<by>{_ASSEMBLY})[^。\n]{{0,6}}?(?P<date>{DATE_RE.pattern})[^。\n]{{0,12}}?通过")
_VERSION_RES = (
    re.compile(r"[（(]\s*(?P<v>\d{4}\s*年\s*(?:修订|修正|修改)版?)\s*[)）]"),
    re.compile(r"(?P<v>第[一二三四五六七八九十0-9]+版)"),
    re.compile(r"版本\s*[:：]\s*(?P<v>[^\s，。]+)"),
)
_EFFECTIVE = re.compile(
    rf"自\s*(?P<when>{DATE_RE.pattern}|通过之日|公布之日|发布之日)\s*起(?:施行|执行|生效|实施)")
_STYLES: tuple[tuple[str, Matcher], ...] = (
    ("article", loose_article_start), ("cn", cn_item_start),
    ("arabic", arabic_item_start), ("paren", paren_item_start),
)
PASSAGE_CHARS = 500


def parse_rules(source: SourceText, meta: dict[str, Any]) -> Document:
    community = _community(source, meta)
    title, lines = _title(source, meta)
    detected = detect_adoption(source.text)
    merged = {**detected, **meta}
    for key in ("adopted_on", "effective_on"):
        if key in merged:
            merged[key] = normalise_date(merged[key])
    if "version" in merged:
        merged["version"] = str(merged["version"])
    merged["community"] = community

    def any_start(line: str) -> bool:
        return any(matcher(line) for _, matcher in _STYLES)

    blocks = blocks_from_lines(lines, plain_headings=True, hard_wrapped=source.hard_wrapped,
                               starts_unit=any_start)
    starts, blocks = _choose_style(blocks)
    warnings: list[str] = []
    pieces: list[tuple[float, str, str | None, int | None, tuple[str, ...], str]] = []
    if starts is None:
        loose, articles = group_sections(blocks, lambda _line: None)
        warnings.append("no numbered articles found; split into passages")
    else:
        loose, articles = group_sections(blocks, starts)
        if starts is not loose_article_start:
            loose += _closing_notes(articles)
        runs = _numbering_runs(articles)
        for index, run in enumerate(runs, start=1):
            warnings += check_numbering(run)
            prefix = f"{index}." if len(runs) > 1 else ""
            pieces += [(a.line, prefix + key, a.label, a.number, a.path, a.text)
                       for a, key in zip(run, unit_keys(run), strict=True)]
    for section in loose:
        for part, chunk in enumerate(chunk_paragraphs(section.paragraphs, max_chars=PASSAGE_CHARS)):
            pieces.append((section.line + part / 100, "", None, None, section.path, chunk))
    if not pieces:
        raise fail(source.path, "empty", "no rule text found")
    pieces.sort(key=lambda piece: piece[0])
    unit_meta = flat_meta(merged)
    notes = 0
    prefix = f"rules/{community}/{id_part(title)}"
    units: list[Unit] = []
    for _, key, label, number, path, text in pieces:
        if not key:  # text outside the numbered articles: a preamble or a closing note
            notes += 1
            key = f"note-{notes}"
        units.append(Unit(id=f"{prefix}/{key}", kind=UnitKind.RULES, doc_title=title, text=text, path=path,
                          label=label, number=number, scope=community, source=str(source.path),
                          meta=dict(unit_meta)))
    return Document(source=str(source.path), kind=UnitKind.RULES, title=title, units=tuple(units),
                    scope=community, meta=merged, warnings=tuple(warnings))


def _community(source: SourceText, meta: dict[str, Any]) -> str:
    """Rules always belong to one community; its code is required."""
    scope = resolve_scope(source, {**meta, "scope": meta.get("community") or meta.get("scope")})
    if scope == NATIONAL_SCOPE:
        raise fail(source.path, "no_community",
                   "village rules need a community code: pass --community CODE, or put 'community: CODE' "
                   f"in the front matter or in {source.path.name}.meta.yaml")
    return scope


def _title(source: SourceText, meta: dict[str, Any]) -> tuple[str, list[str]]:
    """Title from metadata, the markdown H1, or a short first line naming the rules."""
    found, rest = leading_title(source.lines)
    given = str(meta["title"]) if meta.get("title") else None
    if given is None:
        return found or source.path.stem, rest
    if found and (found == re.sub(r"\s+", "", given) or RULES_TITLE_RE.search(found)):
        return given, rest  # the first line repeats the title: not a rule
    return given, rest if split_title(source.lines)[0] else source.lines


_CLOSING = re.compile(r"^本(?:村规民约|居民公约|村民公约|管理规约|公约|规约|约定|章程)")


def _closing_notes(articles: list[Section]) -> list[Section]:
    """Move "本公约于…通过" paragraphs that trail a numbered item out of that item."""
    notes: list[Section] = []
    for article in articles:
        for index, paragraph in enumerate(article.paragraphs[1:], start=1):
            if _CLOSING.match(paragraph):
                trailing = article.paragraphs[index:]
                # placed just after its item (items start on whole line numbers)
                notes.append(Section(None, None, None, article.path, trailing, article.line + 0.5))
                del article.paragraphs[index:]
                break
    return notes


def _numbering_runs(articles: list[Section]) -> list[list[Section]]:
    """Items numbered afresh in each chapter (1. 2. | 1. 2. 3.) form one run per chapter."""
    runs: list[list[Section]] = []
    for article in articles:
        restarts = runs and article.number == 1 and article.path != runs[-1][-1].path
        if not runs or restarts:
            runs.append([])
        runs[-1].append(article)
    return runs if all(run[0].number == 1 for run in runs) else [articles]


def detect_adoption(text: str) -> dict[str, Any]:
    """What the text says about itself: 经2024年3月15日村民会议表决通过 → adopted_on, adopted_by;
    （2024年修订） → version; 自2024年5月1日起施行 / 自通过之日起施行 → effective_on."""
    found: dict[str, Any] = {}
    for pattern in (_ADOPTED_AFTER_DATE, _ADOPTED_BEFORE_DATE):
        match = pattern.search(text)
        if match:
            date = parse_date(match.group("date"))
            if date:
                found["adopted_on"] = date
                found["adopted_by"] = match.group("by")
                break
    for pattern in _VERSION_RES:
        version = pattern.search(text[:2000])
        if version:
            found["version"] = re.sub(r"\s+", "", version.group("v"))
            break
    effective = _EFFECTIVE.search(text)
    if effective:
        date = parse_date(effective.group("when"))
        if date:
            found["effective_on"] = date
        elif "adopted_on" in found and "通过" in effective.group("when"):
            found["effective_on"] = found["adopted_on"]  # 自通过之日起施行
    return found


def _choose_style(blocks: list[Block]) -> tuple[Matcher | None, list[Block]]:
    """Pick the numbering that marks articles; short 一、 lines above 第X条 or 1. are chapter headings."""
    counts = {name: sum(1 for b in blocks if not b.is_heading and matcher(b.text))
              for name, matcher in _STYLES}
    matchers = dict(_STYLES)
    for name in ("article", "arabic"):
        if counts[name] and (name == "article" or counts["cn"]):
            promoted = _cn_headings(blocks)
            if name == "article" or promoted is not None:
                return matchers[name], promoted or blocks
    for name in ("cn", "arabic", "paren"):
        if counts[name] >= 2:
            return matchers[name], blocks
    return None, blocks


def _cn_headings(blocks: list[Block]) -> list[Block] | None:
    """The blocks with 一、总则-style lines turned into headings, if every such line reads as one."""
    cn_lines = {b.line: start for b in blocks if not b.is_heading and (start := cn_item_start(b.text))}
    if not cn_lines or not all(_heading_like(start.rest) for start in cn_lines.values()):
        return None
    return [Block(clean_heading(b.text), 2, b.line) if b.line in cn_lines else b for b in blocks]


def _heading_like(text: str) -> bool:
    return len(text) <= 16 and not text.endswith(("。", "；", "，", "：", ".", ";"))
