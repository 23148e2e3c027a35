"""Reading source files into text: encodings, front matter, sidecars, .docx and .pdf, bad files.

Every failure becomes a :class:`DocumentError` whose reason starts with a short code
(``empty``, ``binary``, ``undecodable``, ``encrypted_pdf``, ``scanned_pdf``, ``unreadable``,
``unsupported``, ``bad_front_matter``, ``bad_metadata``) followed by a plain explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.units import NATIONAL_SCOPE, DocumentError

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
DATA_SUFFIXES = {".yaml", ".yml", ".csv"}
BINARY_SUFFIXES = {".docx", ".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | DATA_SUFFIXES | BINARY_SUFFIXES
SIDECAR_SUFFIX = ".meta.yaml"

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
# Control characters other than tab/newline/carriage return/form feed mark a binary file.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


_CONVERT_HINTS = {
    ".doc": "save it as .docx (Word: File → Save As) and ingest that",
    ".wps": "save it as .docx and ingest that",
    ".rtf": "save it as .docx and ingest that",
    ".xls": "save it as .csv with question, alternates, answer, source columns",
    ".xlsx": "save it as .csv with question, alternates, answer, source columns",
    ".jpg": "a photo has no text layer; type the text, or scan to a PDF with text (OCR)",
    ".jpeg": "a photo has no text layer; type the text, or scan to a PDF with text (OCR)",
    ".png": "a picture has no text layer; type the text, or scan to a PDF with text (OCR)",
    ".html": "save the page as text (.txt) or markdown (.md)",
    ".htm": "save the page as text (.txt) or markdown (.md)",
}


def fail(source: Path | str, code: str, text: str) -> DocumentError:
    return DocumentError(str(source), f"{code}: {text}")


@dataclass(slots=True)
class SourceText:
    """A source decoded to text, with whatever metadata travelled with it."""

    path: Path
    fmt: str  # "md", "txt", "docx", "pdf", "yaml", "csv"
    text: str
    front: dict[str, Any] = field(default_factory=dict)  # YAML front matter (md/txt)
    sidecar: dict[str, Any] = field(default_factory=dict)  # <file>.meta.yaml
    hard_wrapped: bool = False  # lines are layout lines (pdf), not paragraphs

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


def read_source(path: Path) -> SourceText:
    """Decode ``path``; raise :class:`DocumentError` when it cannot be read as a document at all."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = _CONVERT_HINTS.get(suffix, "use .md, .txt, .docx, .pdf, .yaml or .csv")
        ending = suffix or "(no extension)"
        raise fail(path, "unsupported", f"files ending in {ending} are not supported; {hint}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(path, "unreadable", f"cannot read the file ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise fail(path, "empty", "the file is empty")
    sidecar = read_sidecar(path)
    if suffix == ".pdf":
        return SourceText(path, "pdf", pdf_text(path, raw), sidecar=sidecar, hard_wrapped=True)
    if suffix == ".docx":
        return SourceText(path, "docx", docx_text(path, raw), sidecar=sidecar)
    text = decode_text(path, raw)
    fmt = {".markdown": "md", ".yml": "yaml"}.get(suffix, suffix[1:])
    front: dict[str, Any] = {}
    if fmt in ("md", "txt"):
        front, text = split_front_matter(path, text)
    if not text.strip() and not front:
        raise fail(path, "empty", "the file holds no text")
    return SourceText(path, fmt, text, front=front, sidecar=sidecar)


def decode_text(path: Path, raw: bytes) -> str:
    """UTF-8 (a BOM is tolerated), else GB18030; reject binary data either way."""
    if b"\x00" in raw[:4096]:
        raise fail(path, "binary", "this looks like a binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise fail(path, "undecodable", "the text is neither UTF-8 nor GB18030") from exc
    if len(_CONTROL.findall(text)) > max(3, len(text) // 200):
        raise fail(path, "binary", "this looks like a binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    data = _load_mapping(path, match.group(1), "bad_front_matter", "the --- front matter block")
    return data, text[match.end():]


def read_sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    return _load_mapping(path, sidecar.read_text("utf-8-sig"), "bad_metadata", f"the sidecar {sidecar.name}")


def _load_mapping(path: Path, text: str, code: str, what: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise fail(path, code, f"{what} is not valid YAML ({exc.__class__.__name__})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise fail(path, code, f"{what} must be a mapping of keys to values")
    return {str(k): v for k, v in data.items()}


def docx_text(path: Path, raw: bytes) -> str:
    import io
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise fail(path, "unreadable", "not a valid .docx file (it may be damaged or an old .doc)") from exc
    from knowledge.parsing.word import document_lines

    paragraphs = document_lines(document)
    text = "\n".join(paragraphs)
    if not text.strip():
        raise fail(path, "empty", "the .docx file holds no text")
    return text


_ENCRYPTED = "the PDF is password-protected; save an unprotected copy"


def pdf_text(path: Path, raw: bytes) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise fail(path, "encrypted_pdf", _ENCRYPTED)
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        if "crypt" in str(exc).lower():
            raise fail(path, "encrypted_pdf", _ENCRYPTED) from exc
        raise fail(path, "unreadable", "not a readable PDF file (it may be damaged)") from exc
    text = "\n".join(strip_page_furniture(pages))
    if not text.strip():
        raise fail(path, "scanned_pdf", "the PDF has no text layer (a scan?); it needs OCR or a text copy")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_PAGE_NUMBER = re.compile(
    r"^(?:[-—–\s]*[0-9０-９]+[-—–\s]*|第\s*[0-9０-９]+\s*页(?:\s*[,，/]?\s*共\s*[0-9０-９]+\s*页)?"
    r"|[0-9０-９]+\s*/\s*[0-9０-９]+|Page\s+\d+(?:\s+of\s+\d+)?)$", re.IGNORECASE)


def strip_page_furniture(pages: list[str]) -> list[str]:
    """Drop page numbers and the running header/footer lines repeated at the edges of every page."""
    split = [[line for line in page.splitlines() if line.strip()] for page in pages]
    edges: dict[str, int] = {}
    for lines in split:
        for line in {*lines[:2], *lines[-2:]}:
            edges[line.strip()] = edges.get(line.strip(), 0) + 1
    repeated = {line for line, count in edges.items() if len(split) >= 3 and count >= len(split) - 1}
    cleaned = []
    for number, lines in enumerate(split):
        kept = [line for line in lines if not _PAGE_NUMBER.match(line.strip())]
        # on the first page a running header is usually the title: keep it once
        edge = {*kept[:2], *kept[-2:]} if number else set()
        cleaned.append("\n".join(line for line in kept if not (line in edge and line.strip() in repeated)))
    return cleaned


COMMUNITY_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def resolve_scope(source: SourceText, meta: dict[str, Any], *, community_applies: bool = True) -> str:
    """``national`` or a validated community code: ``scope:`` first, then ``community`` (the CLI's
    --community, front matter, sidecar) unless ``community_applies`` is False (laws)."""
    value = meta.get("scope") or (meta.get("community") if community_applies else None) or NATIONAL_SCOPE
    code = str(value).strip()
    if code != NATIONAL_SCOPE and not COMMUNITY_CODE_RE.match(code):
        raise fail(source.path, "bad_metadata", f"community code {code!r} must be letters, digits, - or _")
    return code


def id_part(text: str) -> str:
    """A title or entry id as one segment of a unit id: no "/" (ids are split on it), no spaces."""
    return re.sub(r"\s+", "", str(text)).replace("/", "／") or "_"


def flat_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Unit metadata stays flat (it goes into vector-store metadata): scalars only, dates as text."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if key in ("title", "kind", "scope", "community", "header"):
            continue
        if isinstance(value, str | int | float | bool):
            out[key] = value
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            out[key] = ",".join(value)
    return out
