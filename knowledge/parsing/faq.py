"""Service guides and FAQs: YAML, CSV or markdown question/answer pairs; one entry = one unit.

The question and its alternate phrasings are what retrieval matches; the answer is what is returned.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from knowledge.parsing.sources import SourceText, fail, flat_meta, id_part, resolve_scope
from knowledge.parsing.structure import MD_HEADING_RE, clean_line, split_title
from knowledge.units import Document, Unit, UnitKind

# "1. 问：", "二、问题：", "（3）问：": a numbered question
_NUMBERING = (r"(?:[0-9０-９]{1,3}\s*[、.．]|[一二三四五六七八九十]{1,3}\s*、"
              r"|[（(][0-9一二三四五六七八九十]{1,3}[)）])?\s*")
_QUESTION_RE = re.compile(rf"^{_NUMBERING}(?:问题?|Q)\s*[:：]\s*", re.IGNORECASE)
_ANSWER_RE = re.compile(r"^(?:答复?|回答|A)\s*[:：]\s*", re.IGNORECASE)
_LEADING_NUMBER = re.compile(rf"^{_NUMBERING}")
_ALTERNATE_RE = re.compile(r"^(?:又问|也问|别的问法|其他问法|同义问法)\s*[:：]\s*")
_ALT_SPLIT = re.compile(r"\s*[|｜]\s*")
# CSV header aliases (English and Chinese) → field.
_COLUMNS = {
    "id": "id", "编号": "id", "question": "question", "问题": "question", "问": "question",
    "alternates": "alternates", "同义问法": "alternates", "其他问法": "alternates",
    "answer": "answer", "答案": "answer", "答": "answer", "回答": "answer",
    "source": "source", "来源": "source", "依据": "source", "tags": "tags", "标签": "tags",
}


@dataclass(slots=True)
class Entry:
    question: str
    answer: str = ""
    alternates: list[str] = field(default_factory=list)
    id: str | None = None
    source: str | None = None
    tags: list[str] = field(default_factory=list)
    path: tuple[str, ...] = ()


def looks_like_faq(text: str) -> bool:
    lines = [clean_line(line) for line in text.splitlines()]
    if any(_QUESTION_RE.match(line) for line in lines) and any(_ANSWER_RE.match(line) for line in lines):
        return True
    if any(_ALTERNATE_RE.match(line) for line in lines):
        return True
    questions = [line for line in lines if line.startswith("##") and line.endswith(("？", "?"))]
    return len(questions) >= 2


def parse_faq(source: SourceText, meta: dict[str, Any]) -> Document:
    title: str | None = None
    if source.fmt == "yaml":
        data_meta, entries = _from_yaml(source)
        meta = {**data_meta, **meta}
    elif source.fmt == "csv":
        entries = _from_csv(source)
    else:
        title, entries = _from_markdown(source)
    title = str(meta.get("title") or title or source.path.stem)
    scope = resolve_scope(source, meta)
    warnings: list[str] = []
    usable: list[Entry] = []
    for number, entry in enumerate(entries, start=1):
        if not entry.question.strip() or not entry.answer.strip():
            warnings.append(f"entry {entry.id or number} skipped: it needs both a question and an answer")
        else:
            usable.append(entry)
    if not usable:
        raise fail(source.path, "no_entries", "no question/answer entries found")
    stem = source.path.stem
    base_meta = flat_meta(meta)
    units: list[Unit] = []
    seen: set[str] = set()
    for number, entry in enumerate(usable, start=1):
        key = id_part(entry.id) if entry.id else str(number)
        if key in seen:
            warnings.append(f"entry id {key!r} is used twice; the second one is numbered {key}~{number}")
            key = f"{key}~{number}"
        seen.add(key)
        unit_meta = dict(base_meta)
        if entry.source:
            unit_meta["source"] = entry.source
        if entry.tags:
            unit_meta["tags"] = ",".join(entry.tags)
        questions = tuple(dict.fromkeys(q for q in [entry.question, *entry.alternates] if q))
        units.append(Unit(id=f"faq/{stem}/{key}", kind=UnitKind.FAQ, doc_title=title,
                          text=entry.answer.strip(), path=entry.path, scope=scope, source=str(source.path),
                          questions=questions, meta=unit_meta))
    return Document(source=str(source.path), kind=UnitKind.FAQ, title=title, units=tuple(units), scope=scope,
                    meta=dict(meta), warnings=tuple(warnings))


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in _ALT_SPLIT.split(value.strip()) if part]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def _entry(raw: dict[str, Any]) -> Entry:
    return Entry(question=str(raw.get("question") or "").strip(), answer=str(raw.get("answer") or "").strip(),
                 alternates=_as_list(raw.get("alternates")),
                 id=str(raw["id"]).strip() if raw.get("id") not in (None, "") else None,
                 source=str(raw["source"]).strip() if raw.get("source") else None,
                 tags=_as_list(raw.get("tags")))


def _from_yaml(source: SourceText) -> tuple[dict[str, Any], list[Entry]]:
    try:
        data = yaml.safe_load(source.text)
    except yaml.YAMLError as exc:
        raise fail(source.path, "malformed", f"not valid YAML ({exc.__class__.__name__})") from exc
    if isinstance(data, list):
        data = {"entries": data}
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise fail(source.path, "malformed", "a FAQ YAML file needs an 'entries:' list")
    entries = [_entry(item) for item in data["entries"] if isinstance(item, dict)]
    return {k: v for k, v in data.items() if k != "entries"}, entries


def _from_csv(source: SourceText) -> list[Entry]:
    reader = csv.DictReader(io.StringIO(source.text))
    if not reader.fieldnames:
        raise fail(source.path, "malformed", "the CSV file has no header row")
    columns: dict[str, str] = {}
    for name in reader.fieldnames:
        column = _COLUMNS.get(name.strip().lower()) or _COLUMNS.get(name.strip())
        if column:
            columns[name] = column
    if "question" not in columns.values() or "answer" not in columns.values():
        raise fail(source.path, "malformed", "the CSV file needs 'question' and 'answer' columns")
    entries = []
    for row in reader:
        raw = {columns[k]: v for k, v in row.items() if k in columns}
        entries.append(_entry(raw))
    return entries


def _from_markdown(source: SourceText) -> tuple[str | None, list[Entry]]:
    """``## question`` sections, or 问：/答： pairs; ``又问：`` lines add alternate phrasings."""
    title, lines = split_title(source.lines)
    qa_style = any(_QUESTION_RE.match(clean_line(line)) for line in lines)
    headings: dict[int, str] = {}
    question_level = None if qa_style else _question_level(lines)
    entries: list[Entry] = []
    current: Entry | None = None
    in_answer = False
    for raw in lines:
        line = clean_line(raw)
        if not line:
            continue
        heading = MD_HEADING_RE.match(line)
        if heading and not heading.group(2):
            continue
        if heading and (question_level is None or len(heading.group(1)) < question_level):
            level = len(heading.group(1))
            headings = {lvl: text for lvl, text in headings.items() if lvl < level}
            headings[level] = heading.group(2).strip()
            current = None
            continue
        path = tuple(headings[lvl] for lvl in sorted(headings))
        if heading:  # a question heading, maybe numbered: "## 3. 低保怎么申请？"
            current = Entry(question=_LEADING_NUMBER.sub("", heading.group(2).strip()), path=path)
            entries.append(current)
            in_answer = True
        elif qa_style and _QUESTION_RE.match(line):
            current = Entry(question=_QUESTION_RE.sub("", line), path=path)
            entries.append(current)
            in_answer = False
        elif current is None:
            continue
        elif _ALTERNATE_RE.match(line):
            current.alternates += _as_list(_ALTERNATE_RE.sub("", line))
        elif qa_style and _ANSWER_RE.match(line):
            current.answer = _ANSWER_RE.sub("", line)
            in_answer = True
        elif in_answer:
            current.answer = f"{current.answer}\n{line}" if current.answer else line
        else:  # a question continued on the next line
            current.question += line
    return title, entries


def _question_level(lines: list[str]) -> int:
    """Questions are the deepest heading level in the file (## by default)."""
    levels = [len(m.group(1)) for m in (MD_HEADING_RE.match(clean_line(line)) for line in lines) if m]
    return max(levels) if levels else 2
