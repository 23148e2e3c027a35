"""Line-level structure shared by the parsers: headings, article starts, numbered items, paragraphs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from knowledge.numerals import NUMERAL_CHARS, article_label, cn_to_int

_NUM = f"[{NUMERAL_CHARS}]+"
# 第X条 / 第X条之一, followed by whitespace or the end of the line. 笫 and "第X 条" are typos found in
# official texts; they still start an article.
# "第一百二十八 条采用…" (a stray space before 条) is unambiguous even without a space after it.
ARTICLE_RE = re.compile(
    rf"^[第笫](?P<num>{_NUM})(?P<gap>[ \u3000])?条(?:之(?P<sub>[一二三四五六七八九十]+))?(?(gap)|(?=\s|$))")
LOOSE_ARTICLE_RE = re.compile(
    rf"^[第笫](?P<num>{_NUM})\s?条(?:之(?P<sub>[一二三四五六七八九十]+))?(?=[：:、．.，,]|\s|$)")
_EMPHASIS = re.compile(r"^(?:\*\*|__)([第笫][^*_]{1,12}条(?:之[一二三四五六七八九十]+)?)(?:\*\*|__)")
MD_HEADING_RE = re.compile(r"^(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
# A structural line in plain text: 第一编 / 第二分编 / 第三章 / 第四节 (+ a short title).
CHAPTER_RE = re.compile(rf"^第{_NUM}(?:分编|编|章|节|部分)(?:[\s\u3000]|$)")
CN_ITEM_RE = re.compile(r"^(?P<num>[一二三四五六七八九十百〇零两]+)\s*[、．.]\s*")
ARABIC_ITEM_RE = re.compile(r"^(?P<num>[0-9０-９]{1,3})\s*(?:[、．]|\.(?![0-9]))\s*")
PAREN_ITEM_RE = re.compile(r"^[（(]\s*(?P<num>[0-9０-９]{1,3})\s*[)）]\s*")
SENTENCE_END = "。！？；!?;…”」』）)"
# A layout line that ends like this closes its paragraph (a lead-in "下列约定：" too).
_PARAGRAPH_END = (*SENTENCE_END, "：", ":")
# A line that starts like this opens a new paragraph: （一） items, 1. items, 一、 items.
_ENUMERATION = re.compile(
    r"^(?:[（(]\s*[一二三四五六七八九十0-9０-９]+\s*[)）]|[0-9０-９]+\s*[.．、]|[一二三四五六七八九十]+、)")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u3000]+(?=[{_CJK}])")
_HEADING_PREFIX = re.compile(rf"^(第{_NUM}(?:分编|编|章|节|部分))\s*")
_ITEM_PREFIX = re.compile(r"^([一二三四五六七八九十]+、)\s*")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")


def clean_heading(text: str) -> str:
    """``第二节  监  护`` → ``第二节 监护``: drop layout spaces inside Chinese, keep one after the number."""
    text = _SPACE_BETWEEN_CJK.sub("", text.strip())
    text = _HEADING_PREFIX.sub(lambda m: m.group(1) + " ", text, count=1).strip()
    text = _ITEM_PREFIX.sub(lambda m: m.group(1), text, count=1)
    return _SPACES.sub(" ", text)


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def clean_line(text: str) -> str:
    """Trim layout spaces and drop invisible characters (zero-width spaces are common in sources)."""
    return _INVISIBLE.sub("", text).strip(" \t\u3000\xa0")


@dataclass(slots=True)
class Block:
    """A paragraph of body text, or a heading at ``level`` (1 = top)."""

    text: str
    level: int = 0  # 0 = paragraph
    line: int = 0  # 1-based line number in the source text

    @property
    def is_heading(self) -> bool:
        return self.level > 0


def blocks_from_lines(lines: Iterable[str], *, plain_headings: bool, hard_wrapped: bool,
                      starts_unit: Callable[[str], bool]) -> list[Block]:
    """Split text into headings and paragraphs.

    Markdown ``#`` headings always count; ``plain_headings`` also makes 第X章-style lines headings (for
    .txt/.docx/.pdf). ``hard_wrapped`` rejoins layout lines (pdf) into paragraphs: a line continues the
    previous one unless it starts a unit or heading or the previous line ended a sentence.
    """
    blocks: list[Block] = []
    joinable = False
    for number, raw in enumerate(lines, start=1):
        line = clean_line(raw)
        if not line:
            joinable = False
            continue
        md = MD_HEADING_RE.match(line)
        if md:
            if md.group(2):  # a bare "##" is layout, not a heading
                blocks.append(Block(clean_heading(md.group(2)), len(md.group(1)), number))
            joinable = False
            continue
        if plain_headings and _is_plain_heading(line):
            blocks.append(Block(clean_heading(line), _plain_level(line), number))
            joinable = False
            continue
        if hard_wrapped and joinable and blocks and not starts_unit(line) and not _ENUMERATION.match(line):
            blocks[-1].text += line
        else:
            blocks.append(Block(line, 0, number))
        joinable = hard_wrapped and not line.endswith(_PARAGRAPH_END)
    return blocks


def _is_plain_heading(line: str) -> bool:
    match = CHAPTER_RE.match(line)
    if not match:
        return False
    rest = line[match.end():].strip()
    return len(rest) <= 30 and not rest.endswith(("。", "；", "，"))


_PLAIN_LEVELS = {"编": 1, "分编": 2, "部分": 2, "章": 3, "节": 4}  # as the markdown levels of the corpus
_PLAIN_UNIT = re.compile(rf"^第{_NUM}(分编|编|部分|章|节)")


def _plain_level(line: str) -> int:
    match = _PLAIN_UNIT.match(line)
    return _PLAIN_LEVELS[match.group(1)] if match else 4


@dataclass(slots=True)
class Section:
    """The body of one unit: its start label, numbering, heading path and paragraphs."""

    label: str | None
    number: int | None
    sub: int | None
    path: tuple[str, ...]
    paragraphs: list[str] = field(default_factory=list)
    line: float = 0  # source line where it starts (notes split off an item sit at +0.5)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


Matcher = Callable[[str], "UnitStart | None"]


@dataclass(frozen=True, slots=True)
class UnitStart:
    label: str  # as written: 第二百九十六条, 一、, 3., （2）
    number: int
    sub: int | None
    rest: str  # the text after the label on the same line


def article_start(line: str) -> UnitStart | None:
    """A statute article: 第X条 followed by whitespace (the shared corpus's definition)."""
    return _article(ARTICLE_RE.match(line), line, "")


def loose_article_start(line: str) -> UnitStart | None:
    """As typed in village rules: also **第一条**, 第一条：…, 第一条、…"""
    line = _EMPHASIS.sub(r"\1", line, count=1)
    return _article(ARTICLE_RE.match(line) or LOOSE_ARTICLE_RE.match(line), line, "：:、．.，,")


def _article(match: re.Match[str] | None, line: str, separators: str) -> UnitStart | None:
    if not match:
        return None
    number = cn_to_int(match.group("num"))
    sub = cn_to_int(match.group("sub")) if match.group("sub") else None
    rest = clean_line(clean_line(line[match.end():]).lstrip(separators))
    return UnitStart(article_label(number, sub), number, sub, rest)


def item_start(pattern: re.Pattern[str], label_of: Callable[[str], str]) -> Matcher:
    def start(line: str) -> UnitStart | None:
        match = pattern.match(line)
        if not match:
            return None
        rest = clean_line(line[match.end():])
        if not rest:
            return None
        try:
            number = cn_to_int(match.group("num"))
        except ValueError:
            return None
        return UnitStart(label_of(match.group("num")), number, None, rest)

    return start


cn_item_start = item_start(CN_ITEM_RE, lambda n: f"{n}、")
arabic_item_start = item_start(ARABIC_ITEM_RE, lambda n: f"{cn_to_int(n)}.")
paren_item_start = item_start(PAREN_ITEM_RE, lambda n: f"（{cn_to_int(n)}）")


def group_sections(blocks: Iterable[Block], starts: Matcher, *, base_path: tuple[str, ...] = (),
                   heading_offset: int = 0) -> tuple[list[Section], list[Section]]:
    """Group paragraphs into units that begin where ``starts`` matches.

    Returns ``(loose, units)``: ``loose`` holds the paragraphs outside any unit (a preamble, text under
    a heading before its first article) as sections without a label, in order.
    """
    headings: dict[int, str] = {}
    loose: list[Section] = []
    units: list[Section] = []
    current: Section | None = None  # the unit being filled
    open_loose: Section | None = None  # the loose run being filled

    def path() -> tuple[str, ...]:
        return base_path + tuple(headings[level] for level in sorted(headings))

    for block in blocks:
        if block.is_heading:
            level = block.level - heading_offset
            for deeper in [lvl for lvl in headings if lvl >= level]:
                del headings[deeper]
            headings[level] = block.text
            current = open_loose = None
            continue
        start = starts(block.text)
        if start is not None:
            current = Section(start.label, start.number, start.sub, path(),
                              [start.rest] if start.rest else [], block.line)
            units.append(current)
            open_loose = None
        elif current is not None:
            current.paragraphs.append(block.text)
        else:
            if open_loose is None:
                open_loose = Section(None, None, None, path(), [], block.line)
                loose.append(open_loose)
            open_loose.paragraphs.append(block.text)
    return loose, units


def split_sentences(text: str) -> list[str]:
    """Split after 。！？；… so chunks never end mid-sentence."""
    parts = re.split(r"(?<=[。！？；!?;…])(?![”」』）)])", text)
    return [p for p in parts if p]


def chunk_paragraphs(paragraphs: list[str], *, max_chars: int = 600) -> list[str]:
    """Pack paragraphs into chunks of at most ``max_chars`` (paragraphs joined by a newline).

    A paragraph longer than a chunk is split after a sentence; only a single sentence longer than a
    chunk is ever cut in the middle.
    """
    pieces: list[tuple[str, bool]] = []  # (text, starts a new paragraph)
    for paragraph in paragraphs:
        if len(paragraph) <= max_chars:
            pieces.append((paragraph, True))
            continue
        run, first = "", True
        for sentence in split_sentences(paragraph):
            while len(run) + len(sentence) > max_chars:
                if run:
                    pieces.append((run, first))
                    run, first = "", False
                else:  # one sentence longer than a chunk: cut it, no choice
                    pieces.append((sentence[:max_chars], first))
                    sentence, first = sentence[max_chars:], False
            run += sentence
        if run:
            pieces.append((run, first))
    chunks: list[str] = []
    for text, new_paragraph in pieces:
        joiner = "\n" if new_paragraph else ""
        if chunks and len(chunks[-1]) + len(joiner) + len(text) <= max_chars:
            chunks[-1] += joiner + text
        else:
            chunks.append(text)
    return chunks


def check_numbering(sections: list[Section], *, expect_first: int | None = 1) -> list[str]:
    """Warnings for duplicated, skipped or out-of-order numbers (之一 articles follow their base)."""
    warnings: list[str] = []
    seen: dict[tuple[int, int], float] = {}
    previous: tuple[int, int] | None = None
    for section in sections:
        if section.number is None:
            continue
        key = (section.number, section.sub or 0)
        if key in seen:
            warnings.append(f"duplicated number {section.label} (lines {seen[key]} and {section.line})")
        elif previous is None:
            if expect_first is not None and section.number != expect_first:
                warnings.append(f"numbering starts at {section.label}, not at {expect_first}")
        elif key < previous:
            warnings.append(f"{section.label} (line {section.line}) comes after a higher number")
        elif section.number > previous[0] + 1:
            missing = section.number - previous[0] - 1
            warnings.append(
                f"numbering skips {missing} number(s) before {section.label} (line {section.line})")
        seen.setdefault(key, section.line)
        previous = max(previous, key) if previous else key
    return warnings


def unit_keys(sections: list[Section]) -> list[str]:
    """The id tail of each section: ``296``, ``120-1`` for 之一, ``296~2`` for a repeated number."""
    keys: list[str] = []
    counts: dict[str, int] = {}
    for index, section in enumerate(sections, start=1):
        if section.number is None:
            key = str(index)
        else:
            key = f"{section.number}-{section.sub}" if section.sub else str(section.number)
        counts[key] = counts.get(key, 0) + 1
        keys.append(key if counts[key] == 1 else f"{key}~{counts[key]}")
    return keys


def split_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """The first markdown H1 (when it comes before any body text) and the lines after it."""
    for index, raw in enumerate(lines):
        line = clean_line(raw)
        if not line:
            continue
        match = MD_HEADING_RE.match(line)
        if match and len(match.group(1)) == 1 and match.group(2):
            return match.group(2).strip(), lines[index + 1:]
        return None, lines
    return None, lines


def leading_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """The markdown H1, else a short first line that reads as a title (not an article, item or
    sentence), and the lines after it. Word and PDF files put the title on their first line."""
    h1, rest = split_title(lines)
    if h1:
        return h1, rest
    for index, raw in enumerate(lines):
        line = clean_line(raw)
        if not line:
            continue
        if _title_like(line):
            return _SPACES.sub("", line), lines[index + 1:]
        break
    return None, lines


def _title_like(line: str) -> bool:
    if len(line) > 40 or line.endswith(("。", "；", "，", "：", ":", ";")) or CHAPTER_RE.match(line):
        return False
    return not any(start(line) for start in (loose_article_start, cn_item_start, arabic_item_start,
                                             paren_item_start))
