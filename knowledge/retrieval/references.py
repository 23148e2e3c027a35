"""Explicit article references in a query: "民法典第296条", "《中华人民共和国民法典》第二百九十六条",
"村规民约第五条", "劳动合同法第三十条和第三十一条".

:func:`find_references` only reads the text; :class:`TitleResolver` maps the named title to the titles
of documents in the index (short names through :func:`title_aliases`, generic rule names such as
村规民约 to every rules document whose title contains them).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.numerals import cn_to_int
from knowledge.statutes import title_aliases
from knowledge.units import UnitKind

_ARTICLE = re.compile(r"第\s*([零〇一二两三四五六七八九十百千万\d０-９]+)\s*条")
_BRACKETED = re.compile(r"《([^》]{2,80})》\s*$")
_CLAUSE_BREAK = re.compile(r"[，。；;,!?！？\s、和及与或]")
GENERIC_RULE_NAMES = ("村规民约", "居民公约", "管理规约", "业主公约", "自治章程", "村民公约")
MAX_TITLE_CHARS = 60


@dataclass(frozen=True, slots=True)
class ArticleReference:
    title: str  # as written: "民法典", "中华人民共和国民法典", "村规民约"
    number: int
    bracketed: bool  # written in 《》: the whole text is the title


def find_references(query: str) -> list[ArticleReference]:
    """Every 第N条 that follows a title; a bare 第N条 after a titled one reuses that title."""
    references: list[ArticleReference] = []
    previous: ArticleReference | None = None
    for match in _ARTICLE.finditer(query):
        try:
            number = cn_to_int(match.group(1))
        except ValueError:
            continue
        before = query[max(0, match.start() - MAX_TITLE_CHARS - 2) : match.start()].rstrip()
        bracketed = _BRACKETED.search(before)
        if bracketed:
            previous = ArticleReference(bracketed.group(1).strip(), number, True)
        else:
            head = _CLAUSE_BREAK.split(before)[-1] if before else ""
            if len(head) >= 2:
                previous = ArticleReference(head, number, False)
            elif previous is not None:  # "第295条和第296条": the second one names no title
                previous = ArticleReference(previous.title, number, previous.bracketed)
            else:
                continue
        references.append(previous)
    return references


class TitleResolver:
    """Alias → document titles, built from the documents in the index."""

    def __init__(self, documents: Iterable[tuple[str, str]]) -> None:
        """``documents``: (title, kind) pairs."""
        self._titles: dict[str, set[str]] = defaultdict(set)
        for title, kind in documents:
            for alias in {title, *title_aliases(title)}:
                self._titles[_key(alias)].add(title)
            if kind == UnitKind.RULES.value:
                for generic in GENERIC_RULE_NAMES:
                    if generic in title:
                        self._titles[generic].add(title)
        self._longest = max((len(alias) for alias in self._titles), default=0)

    def resolve(self, reference: ArticleReference) -> set[str]:
        """Titles the reference may mean: the whole text when in 《》, else its longest known suffix."""
        written = _key(reference.title)
        if reference.bracketed:
            return set(self._titles.get(written, ()))
        for length in range(min(len(written), self._longest), 1, -1):
            titles = self._titles.get(written[-length:])
            if titles:
                return set(titles)
        return set()


_BRACKETS = str.maketrans({"〈": "《", "〉": "》", "(": "（", ")": "）"})


def _key(title: str) -> str:
    return re.sub(r"\s+", "", title).translate(_BRACKETS)
