"""Statute status: which laws are repealed or replaced, and which version of a law is current.

Three sources, weakest first:
- the bundled registry ``knowledge/data/repealed.yaml`` (婚姻法 → 民法典 on 2021-01-01, …);
- what a batch of documents says about itself: an article "…《X》同时废止" repeals X;
- versions: among documents with the same normalised title, the newest version is in force and the
  older ones are superseded by it.

``apply_statuses`` is a pure function over a batch; run it over the whole collection (parsing is
cheap), because a newly added version changes the status of the older one.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from knowledge.units import Document, UnitKind, UnitStatus

PRC = "中华人民共和国"
_BOOK_MARKS = re.compile(r"[《》〈〉<>]")
_SPACES = re.compile(r"[\s\u3000\u200b]+")
# Trailing version notes: (2021-12-24), （2018年修正）, （2018修订）, (2020年版)
_VERSION_NOTE = re.compile(r"[(（]\s*(?:\d{4}-\d{2}-\d{2}|\d{4}\s*年?\s*(?:修正|修订|修改|版|文本))\s*[)）]$")
_ARTICLE_TAIL = re.compile(r"(?:第[零〇一二三四五六七八九十百千两0-9０-９]+条.*|[0-9０-９]+条.*)$")
_REPEAL_SENTENCE = re.compile(r"[^。；]*?(?:同时|予以|起|即行)废止")
_QUOTED_TITLE = re.compile(r"《([^》]{2,80})》")
_LEAD_IN = re.compile(r"^(?:根据|依据|按照|依照|参照|违反|适用|按|依|据|查|看|问)+")
_TRAIL = re.compile(r"(?:的?(?:规定|条文|内容|相关规定))?[的，。？?！!]*$")
_COMMENCEMENT = re.compile(r"自(\d{4}年\d{1,2}月\d{1,2}日)起施行")

# Everyday short names people use for laws.
ABBREVIATIONS: dict[str, str] = {
    "民诉法": "民事诉讼法", "刑诉法": "刑事诉讼法", "行诉法": "行政诉讼法", "消法": "消费者权益保护法",
    "消保法": "消费者权益保护法", "劳动法规": "劳动法", "劳合法": "劳动合同法", "土地法": "土地管理法",
    "治安法": "治安管理处罚法", "治安处罚法": "治安管理处罚法", "交通法": "道路交通安全法",
    "道交法": "道路交通安全法", "未保法": "未成年人保护法", "老年法": "老年人权益保障法",
    "反家暴法": "反家庭暴力法", "土地承包法": "农村土地承包法", "调解法": "人民调解法",
    "村组法": "村民委员会组织法", "居组法": "城市居民委员会组织法",
}


@dataclass(frozen=True, slots=True)
class Replacement:
    """A law that is no longer in force and what took its place."""

    title: str  # the old law, full title: 中华人民共和国合同法
    replaced_by: str | None  # the law in force now (the end of the chain), or None if simply repealed
    on: str | None = None  # ISO date the old law ceased to apply
    basis: str | None = None  # the provision that repealed it: 《中华人民共和国民法典》第一千二百六十条
    via: tuple[str, ...] = ()  # intermediate replacements: 经济合同法 → (合同法,) → 民法典

    @property
    def short_title(self) -> str:
        return strip_prc(self.title)


def strip_prc(title: str) -> str:
    return title[len(PRC):] if title.startswith(PRC) and len(title) > len(PRC) else title


def normalise_title(title: str) -> str:
    """A comparison key for law titles: no 《》, whitespace, 中华人民共和国 or trailing version note."""
    text = _SPACES.sub("", _BOOK_MARKS.sub("", title))
    previous = None
    while previous != text:
        previous = text
        text = _VERSION_NOTE.sub("", text)
    text = strip_prc(text)
    return ABBREVIATIONS.get(text, text)


def title_aliases(title: str) -> tuple[str, ...]:
    """The ways a title is written: 民法典 ↔ 中华人民共和国民法典 (and everyday abbreviations)."""
    key = normalise_title(title)
    aliases = {title.strip(), key}
    if title.startswith(PRC) or (key.endswith(("法", "法典")) and not key.startswith("最高")):
        aliases.add(PRC + key)
    aliases.update(short for short, full in ABBREVIATIONS.items() if full == key)
    return tuple(sorted(a for a in aliases if a))


def mentioned_title(mention: str) -> str:
    """The title in a mention such as 《中华人民共和国合同法》第五十二条, 合同法第52条, 根据婚姻法的规定."""
    text = _SPACES.sub("", mention)
    quoted = _QUOTED_TITLE.search(text)
    if quoted:
        return quoted.group(1)
    text = _LEAD_IN.sub("", _ARTICLE_TAIL.sub("", text))
    return _TRAIL.sub("", text)


class StatuteRegistry:
    """Replacements keyed by normalised title; follows chains to the law in force today."""

    def __init__(self, entries: Iterable[Replacement] = ()) -> None:
        self._entries: dict[str, Replacement] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: Replacement) -> None:
        self._entries[normalise_title(entry.title)] = entry

    def __iter__(self) -> Iterator[Replacement]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def merged(self, entries: Iterable[Replacement]) -> StatuteRegistry:
        registry = StatuteRegistry(self._entries.values())
        for entry in entries:
            registry.add(entry)
        return registry

    def direct(self, name: str) -> Replacement | None:
        """The entry for a mention of a law ("《中华人民共和国合同法》第五十二条")."""
        return self._entries.get(normalise_title(mentioned_title(name)))

    def exact(self, title: str) -> Replacement | None:
        """The entry for a document title (a title quoting another law is not a mention of it)."""
        return self._entries.get(normalise_title(title))

    def find(self, name: str) -> Replacement | None:
        first = self.direct(name)
        if first is None:
            return None
        via: list[str] = []
        current = first
        while current.replaced_by:
            following = self._entries.get(normalise_title(current.replaced_by))
            if following is None or current.replaced_by in via or len(via) > 8:
                break
            via.append(current.replaced_by)
            current = following
        if not via:
            return first
        return dataclasses.replace(first, replaced_by=current.replaced_by, via=tuple(via))


@cache
def default_registry() -> StatuteRegistry:
    raw = yaml.safe_load(resources.files("knowledge.data").joinpath("repealed.yaml").read_text("utf-8"))
    return StatuteRegistry(
        Replacement(title=str(item["title"]), replaced_by=item.get("replaced_by"),
                    on=str(item["replaced_on"]) if item.get("replaced_on") else None, basis=item.get("basis"))
        for item in raw
    )


def find_replacement(name: str, registry: StatuteRegistry | None = None) -> Replacement | None:
    """What replaced the law named in ``name`` ("婚姻法", "《中华人民共和国合同法》", "合同法第52条")."""
    return (registry or default_registry()).find(name)


def detect_repeals(documents: Iterable[Document]) -> list[Replacement]:
    """Repeals a batch states itself: an article saying "…《X》同时废止" (民法典 第一千二百六十条)."""
    found: list[Replacement] = []
    for document in documents:
        if document.kind not in (UnitKind.LAW, UnitKind.RULES):
            continue
        own = normalise_title(document.title)
        for unit in document.units:
            if "废止" not in unit.text:
                continue
            commencement = _COMMENCEMENT.search(unit.text)
            on = _iso(commencement.group(1)) if commencement else None
            on = on or document.meta.get("effective") or _as_of(document) or None
            for sentence in _REPEAL_SENTENCE.findall(unit.text):
                for title in _QUOTED_TITLE.findall(sentence):
                    if normalise_title(title) == own:
                        continue  # an older version of the same law: versions handle it
                    found.append(Replacement(title=title, replaced_by=document.title, on=on,
                                             basis=f"《{document.title}》{unit.label or ''}"))
    return found


def _as_of(document: Document) -> str:
    """The date of the text a document holds: its version date, else its latest header date."""
    meta = document.meta
    return str(meta.get("version_date") or meta.get("amended") or meta.get("adopted_on")
               or meta.get("adopted") or "")


def _iso(text: str) -> str | None:
    match = re.match(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    return f"{int(match[1]):04d}-{int(match[2]):02d}-{int(match[3]):02d}" if match else None


def _version_key(document: Document) -> tuple[str, str]:
    """Newer sorts higher. A file's version date wins; undated documents count as the oldest."""
    meta = document.meta
    primary = str(meta.get("version_date") or meta.get("adopted_on") or "")
    secondary = str(meta.get("amended") or meta.get("version") or meta.get("adopted") or "")
    return primary, secondary


def _group_key(document: Document) -> tuple[str, str, str]:
    return document.kind.value, document.scope, normalise_title(document.title)


def _version_name(document: Document) -> str:
    meta = document.meta
    date = meta.get("version_date") or meta.get("adopted_on") or meta.get("version")
    return f"{document.title}（{date}）" if date else document.title


def apply_statuses(documents: Sequence[Document], registry: StatuteRegistry | None = None) -> list[Document]:
    """The batch with statuses set: repealed laws, superseded versions, unique ids.

    After this, unit ids are unique across the batch: a second document with the same title and
    version (a byte-identical copy in another folder) keeps its units under ``…~2`` ids and a warning.
    Identical units share the same ``hash``, so an index can tell the copies apart from new text.
    """
    registry = (registry or default_registry()).merged(detect_repeals(documents))
    status: dict[int, tuple[UnitStatus, str | None, str | None]] = {}

    for index, document in enumerate(documents):
        own = str(document.meta.get("status") or "").lower()
        if own in (UnitStatus.REPEALED.value, UnitStatus.SUPERSEDED.value):
            status[index] = (UnitStatus(own), document.meta.get("superseded_by"), "stated in its metadata")
        if document.kind is not UnitKind.LAW:
            continue
        replacement = registry.exact(document.title)
        if replacement and _predates(document, replacement):
            status.setdefault(index, (UnitStatus.REPEALED, replacement.replaced_by, replacement.basis))

    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, document in enumerate(documents):
        if document.kind in (UnitKind.LAW, UnitKind.RULES):
            groups[_group_key(document)].append(index)
    for members in groups.values():
        ordered = sorted(members, key=lambda i: (_version_key(documents[i]), documents[i].source),
                         reverse=True)
        newest = documents[ordered[0]]
        for index in ordered[1:]:
            if _version_key(documents[index]) == _version_key(newest):
                continue  # a copy of the same version: same status, ids made unique below
            status.setdefault(index, (UnitStatus.SUPERSEDED, _version_name(newest), "a newer version"))

    # Documents in force claim their ids first, so the current text always owns the plain id and an
    # older version of the same rules is renamed …@{its version}/….
    seen_ids: set[str] = set()
    result: dict[int, Document] = {}
    in_force_first = sorted(range(len(documents)), key=lambda i: i in status)
    for index in in_force_first:
        result[index] = _with_status(documents[index], status.get(index), seen_ids)
    return [result[index] for index in range(len(documents))]


def _predates(document: Document, replacement: Replacement) -> bool:
    """Only a text older than the repeal is repealed (a later law may reuse the name)."""
    as_of = _as_of(document)
    return not (as_of and replacement.on and as_of > replacement.on)


def _with_status(document: Document, decided: tuple[UnitStatus, str | None, str | None] | None,
                 seen_ids: set[str]) -> Document:
    new_status, superseded_by, basis = decided or (UnitStatus.IN_FORCE, None, None)
    warnings = list(document.warnings)
    units = []
    for unit in document.units:
        unit_id = _unique(unit.id, seen_ids, _version_tag(document) if decided else None)
        if unit_id != unit.id and not any("already used" in w for w in warnings):
            warnings.append(f"unit id {unit.id} is already used by another document; this document's ids "
                            f"become like {unit_id}")
        changes: dict[str, Any] = {}
        if unit_id != unit.id:
            changes["id"] = unit_id
        if unit.status is not new_status or unit.superseded_by != superseded_by:
            changes.update(status=new_status, superseded_by=superseded_by, hash="")
        units.append(dataclasses.replace(unit, **changes) if changes else unit)
    meta = dict(document.meta)
    if superseded_by:
        meta["superseded_by"] = superseded_by
    if basis:
        meta["status_basis"] = basis
    return dataclasses.replace(document, units=tuple(units), status=new_status, meta=meta,
                               warnings=tuple(warnings))


def _version_tag(document: Document) -> str | None:
    meta = document.meta
    tag = meta.get("version_date") or meta.get("adopted_on") or meta.get("version")
    return re.sub(r"[\s/]+", "", str(tag)) if tag else None


def _unique(unit_id: str, seen: set[str], version: str | None = None) -> str:
    """``unit_id``, or — when taken — ``…@{version}/…`` for an old version, else ``…~N/…``."""
    head, _, tail = unit_id.rpartition("/")
    candidate = unit_id
    if candidate in seen and version and "@" not in head:
        candidate = f"{head}@{version}/{tail}"
    copy = 1
    while candidate in seen:
        copy += 1
        candidate = f"{head}~{copy}/{tail}"
    seen.add(candidate)
    return candidate
