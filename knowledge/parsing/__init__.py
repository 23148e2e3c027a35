"""Sources → :class:`~knowledge.units.Document`: laws, village rules, FAQs and 普法 prose.

``parse_file`` reads one file; ``iter_documents`` walks files and folders (sorted, so the order is
the same on every machine) and yields a Document or a DocumentError per file, never stopping a batch
because of one bad file. Statuses across documents (repealed, superseded versions) are applied
afterwards by :func:`knowledge.statutes.apply_statuses`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from knowledge.parsing.faq import looks_like_faq, parse_faq
from knowledge.parsing.laws import looks_like_law, parse_law
from knowledge.parsing.prose import parse_prose
from knowledge.parsing.rules import RULES_TITLE_RE, parse_rules
from knowledge.parsing.sources import SourceText, fail, is_sidecar, read_source
from knowledge.parsing.structure import ARTICLE_RE, leading_title
from knowledge.units import Document, DocumentError, UnitKind

__all__ = ["infer_kind", "iter_documents", "iter_source_files", "parse_file"]

_ARTICLE_LINE = re.compile(ARTICLE_RE.pattern, re.MULTILINE)
_LAW_TITLE = re.compile(r"(?:法|法典|条例|规定|办法|细则|解释|决定)(?:[(（][^)）]*[)）])?$")


def parse_file(path: str | Path, *, kind: UnitKind | str | None = None, community: str | None = None,
               meta: dict[str, Any] | None = None) -> Document:
    """Parse one source file.

    Metadata is merged from (weakest first) what the text says, YAML front matter, the sidecar
    ``<file>.meta.yaml``, then the ``community``/``meta`` arguments. Raises :class:`DocumentError` for a
    file that cannot be ingested at all.
    """
    path = Path(path)
    source = read_source(path)
    merged: dict[str, Any] = {**source.front, **source.sidecar, **(meta or {})}
    if community:
        merged["community"] = community
    chosen = _kind(path, kind or merged.get("kind"))
    resolved = chosen or infer_kind(source, merged)
    try:
        if resolved is UnitKind.LAW:
            return parse_law(source, merged)
        if resolved is UnitKind.RULES:
            return parse_rules(source, merged)
        if resolved is UnitKind.FAQ:
            return parse_faq(source, merged)
        return parse_prose(source, merged)
    except DocumentError:
        raise
    except (ValueError, TypeError, KeyError) as exc:  # malformed structured data
        raise fail(path, "malformed", f"cannot read it as {resolved.value}: {exc}") from exc


def _kind(path: Path, value: object) -> UnitKind | None:
    if value is None or value == "":
        return None
    try:
        return UnitKind(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(k.value for k in UnitKind)
        raise fail(path, "bad_metadata", f"unknown kind {value!r}; use one of {allowed}") from None


def infer_kind(source: SourceText, meta: dict[str, Any]) -> UnitKind:
    """Guess the kind of a source that does not say: structure first, then the title words."""
    if source.fmt in ("yaml", "csv"):
        return UnitKind.FAQ
    text = source.text
    if looks_like_law(text):
        return UnitKind.LAW
    head = f"{meta.get('title', '')}\n{source.path.stem}\n{text[:300]}"
    if meta.get("community") or RULES_TITLE_RE.search(head):
        return UnitKind.RULES
    has_articles = len(_ARTICLE_LINE.findall(text)) >= 3
    if source.fmt in ("docx", "pdf"):
        # Word and PDF files are mostly village rules; a law title with articles makes it a law.
        title = str(meta.get("title") or leading_title(source.lines)[0] or source.path.stem)
        return UnitKind.LAW if has_articles and _LAW_TITLE.search(title) else UnitKind.RULES
    if looks_like_faq(text):
        return UnitKind.FAQ
    return UnitKind.LAW if has_articles else UnitKind.PROSE


def iter_source_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files under ``paths`` (recursively, sorted), skipping sidecars, hidden files and manifests."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in relative.parts) \
                        and _wanted(child):
                    yield child
        else:
            yield path


def _wanted(path: Path) -> bool:
    """In folders, skip sidecars and a folder's MANIFEST/README; other files are reported if unsupported."""
    return not (is_sidecar(path) or path.stem.upper() in ("MANIFEST", "README"))


def iter_documents(paths: Iterable[str | Path], *, kind: UnitKind | str | None = None,
                   community: str | None = None) -> Iterator[Document | DocumentError]:
    """Parse every file under ``paths``; one bad file yields its error and the batch goes on."""
    for path in iter_source_files(paths):
        try:
            yield parse_file(path, kind=kind, community=community)
        except DocumentError as error:
            yield error
