"""Harvest candidate legal terms from law texts (headings and definitions) for the jieba dictionary.

Reads law markdown (by default ../shared/corpus/laws beside the checkout), never evaluation
questions. Prints one candidate term per line with how often it was seen; a person reviews the
list and merges what is useful into knowledge/data/legal_terms.txt.

    python benchmarks/harvest_legal_terms.py [FOLDER ...] > /tmp/candidates.txt
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from knowledge.parsing import iter_documents
from knowledge.units import Document

SHARED_LAWS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws"
_HEADING_WORDS = re.compile(r"^(?:第[^ ]+[编章节]|[一二三四五六七八九十]+、)\s*")
_SPLIT = re.compile(r"[、和与及，,；;（）()\s]+|以及|或者")
_DEFINED = (
    re.compile(r"本(?:法|条例|规定|编|章|解释)所称(?:的)?([\u4e00-\u9fff]{2,10}?)，?(?:是指|包括|指)"),
    re.compile(r"（以下简称([\u4e00-\u9fff]{2,10})）"),
    re.compile(r"^([\u4e00-\u9fff]{2,10})是指"),
)
_STOP = {"总则", "附则", "一般规定", "其他规定", "法律责任", "监督管理", "特别规定", "基本规定", "适用范围",
         "通则", "分则", "序言"}


def harvest(folders: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for document in iter_documents(folders, kind="law"):
        if not isinstance(document, Document):
            continue
        for unit in document.units:
            for heading in unit.path:
                for part in _SPLIT.split(_HEADING_WORDS.sub("", heading)):
                    if 2 <= len(part) <= 10 and part not in _STOP:
                        counts[part] += 1
            for pattern in _DEFINED:
                counts.update(m.group(1) for m in pattern.finditer(unit.text))
    return counts


def main(argv: list[str]) -> None:
    folders = [Path(a) for a in argv] or [SHARED_LAWS]
    for term, count in sorted(harvest(folders).items(), key=lambda item: (-item[1], item[0])):
        print(f"{term}\t{count}")


if __name__ == "__main__":
    main(sys.argv[1:])
