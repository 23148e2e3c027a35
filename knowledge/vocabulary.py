"""Vocabulary for retrieval: a jieba dictionary of legal terms and everyday words → legal terms.

Residents say 房东, 老公, 欠工资; statutes say 出租人, 配偶, 劳动报酬. ``expand_query`` finds the
everyday words in a question (longest match first, no overlaps) and returns the legal terms they
map to, for the lexical and dense sides of retrieval to add to the query.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml

_DATA = "knowledge.data"


def legal_dictionary_path() -> Path:
    """The jieba user dictionary (``term freq pos`` per line) for ``jieba.load_userdict``."""
    return Path(str(resources.files(_DATA).joinpath("legal_terms.txt")))


@cache
def legal_terms() -> tuple[str, ...]:
    lines = legal_dictionary_path().read_text("utf-8").splitlines()
    return tuple(line.split()[0] for line in lines if line.strip())


@cache
def everyday_terms() -> dict[str, list[str]]:
    """Everyday word → legal terms, from ``knowledge/data/everyday_terms.yaml``."""
    raw = yaml.safe_load(resources.files(_DATA).joinpath("everyday_terms.yaml").read_text("utf-8")) or {}
    return {str(word): [str(term) for term in terms] for word, terms in raw.items() if terms}


@cache
def _by_first_char() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for word in sorted(everyday_terms(), key=len, reverse=True):
        index.setdefault(word[0], []).append(word)
    return index


def everyday_words_in(text: str) -> list[str]:
    """The everyday words found in ``text``: longest match at each position, no overlaps."""
    found: list[str] = []
    index = _by_first_char()
    position = 0
    while position < len(text):
        match = next((w for w in index.get(text[position], ()) if text.startswith(w, position)), None)
        if match:
            found.append(match)
            position += len(match)
        else:
            position += 1
    return found


def expand_query(text: str) -> list[str]:
    """Legal terms for the everyday words in ``text`` (in order, without repeats or words already there)."""
    mapping = everyday_terms()
    terms: list[str] = []
    for word in everyday_words_in(text):
        for term in mapping[word]:
            if term not in terms and term not in text:
                terms.append(term)
    return terms
