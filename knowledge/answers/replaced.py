"""Old laws named in a question: tell the resident what replaced them, and search the new law.

The 民法典 (in force 2021-01-01, article 1260) repealed the 婚姻法, 继承法, 民法通则, 收养法, 担保法,
合同法, 物权法, 侵权责任法 and 民法总则. ``knowledge.statutes.find_replacement`` (the parser's list)
is used when it is available; the table below is the fallback and the test fixture.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.answers.model import ReplacedLaw

CIVIL_CODE = "中华人民共和国民法典"
_CIVIL_CODE_DATE = "2021-01-01"

# Short name as residents write it → (replacing law, date in force).
FALLBACK_REPLACEMENTS: dict[str, tuple[str, str]] = {
    name: (CIVIL_CODE, _CIVIL_CODE_DATE)
    for name in (
        "婚姻法",
        "继承法",
        "民法通则",
        "收养法",
        "担保法",
        "合同法",
        "物权法",
        "侵权责任法",
        "民法总则",
    )
}
FALLBACK_REPLACEMENTS["环境噪声污染防治法"] = ("中华人民共和国噪声污染防治法", "2022-06-05")

# "合同法" inside "劳动合同法", "婚姻法" inside nothing else, … : a name only counts on its own.
_NAME = re.compile(
    r"(?:中华人民共和国)?(?<!劳动)(?<!劳务)(?<!技术)(婚姻法|继承法|民法通则|收养法|担保法|合同法|物权法|侵权责任法|"
    r"民法总则|环境噪声污染防治法)(?:第[一二三四五六七八九十百千零〇0-9]+条)?"
)


def _lookup() -> Callable[[str], tuple[str, str] | None]:
    """The parser's repeal registry when it is there, else the table above."""
    try:
        from knowledge.statutes import find_replacement
    except ImportError:  # pragma: no cover - the registry ships with heshi
        return FALLBACK_REPLACEMENTS.get

    def lookup(name: str) -> tuple[str, str] | None:
        found = find_replacement(name)
        fallback = FALLBACK_REPLACEMENTS.get(name)
        if found is None or not found.replaced_by:
            return fallback
        return found.replaced_by, found.on or (fallback[1] if fallback else "")

    return lookup


def find_replaced(question: str) -> tuple[list[ReplacedLaw], str]:
    """The old laws ``question`` names, and the question rewritten to search their replacements.

    An article number of the old law ("合同法第五十二条") is dropped from the search: the 民法典
    numbers its articles differently, so the old number would find the wrong article.
    """
    lookup = _lookup()
    found: dict[str, ReplacedLaw] = {}

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        replacement = lookup(name)
        if replacement is None:
            return match.group(0)
        new, on = replacement
        found.setdefault(name, ReplacedLaw(old=name, new=new, on=on))
        return short_title(new)

    rewritten = _NAME.sub(swap, question)
    return list(found.values()), rewritten


def short_title(title: str) -> str:
    return title.removeprefix("中华人民共和国")
