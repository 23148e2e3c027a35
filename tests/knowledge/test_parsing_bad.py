"""Bad documents: each gets a clear error with a short code, and the rest of the batch still parses."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from knowledge.parsing import iter_documents, parse_file
from knowledge.units import Document, DocumentError

from .pdfmaker import write_pdf

GOOD_LAW = "# 示例法\n\n<!-- INFO END -->\n\n第一条 甲。\n\n第二条 乙。\n"


def _encrypted_pdf(path: Path) -> Path:
    plain = write_pdf(path.with_name("plain.tmp"), [["第一条 保密的村规民约。"]])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt("secret")
    plain.unlink()
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _scanned_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # a page with no text layer, like a scan
    with path.open("wb") as handle:
        writer.write(handle)
    return path


BAD_FILES = {
    "encrypted.pdf": ("encrypted_pdf", _encrypted_pdf),
    "scanned.pdf": ("scanned_pdf", _scanned_pdf),
    "junk.pdf": ("unreadable", lambda p: p.write_bytes(b"%PDF-1.4 this is not really a pdf") and p),
    "broken.docx": ("unreadable", lambda p: p.write_bytes(b"PK\x03\x04 not a zip at all") and p),
    "binary.txt": ("binary", lambda p: p.write_bytes(bytes(range(256)) * 4) and p),
    "empty.md": ("empty", lambda p: p.write_bytes(b"") and p),
    "blank.txt": ("empty", lambda p: p.write_text(" \n\n\t\n", "utf-8") and p),
    "picture.jpg": ("unsupported", lambda p: p.write_bytes(b"\xff\xd8\xff\xe0") and p),
    "bad_front.md": ("bad_front_matter",
                     lambda p: p.write_text("---\nkind: [law\n---\n正文\n", "utf-8") and p),
    "bad_kind.md": ("bad_metadata", lambda p: p.write_text("---\nkind: poem\n---\n正文\n", "utf-8") and p),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_bad_file_gets_its_reason(tmp_path: Path, name: str) -> None:
    code, make = BAD_FILES[name]
    path = tmp_path / name
    make(path)
    with pytest.raises(DocumentError) as caught:
        parse_file(path, community="QSC")
    error = caught.value
    assert error.code == code, error.reason
    assert error.source == str(path)
    assert len(error.reason) > len(code) + 10  # a sentence a person can act on, not just the code


def test_the_batch_goes_on_past_bad_files(tmp_path: Path) -> None:
    for name, (_, make) in BAD_FILES.items():
        make(tmp_path / name)
    (tmp_path / "good.md").write_text(GOOD_LAW, "utf-8")
    (tmp_path / "MANIFEST.md").write_text("not a document", "utf-8")
    results = list(iter_documents([tmp_path], community="QSC"))
    documents = [r for r in results if isinstance(r, Document)]
    errors = {Path(r.source).name: r.code for r in results if isinstance(r, DocumentError)}
    assert [Path(d.source).name for d in documents] == ["good.md"]
    assert len(documents[0].units) == 2
    assert errors == {name: code for name, (code, _) in BAD_FILES.items()}


def test_utf8_bom_and_gb18030_text(tmp_path: Path) -> None:
    bom = tmp_path / "bom.md"
    bom.write_bytes("\ufeff".encode() + GOOD_LAW.encode())
    assert parse_file(bom).title == "示例法"
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("第一条 邻里和睦。\n第二条 爱护环境。\n第三条 尊老爱幼。\n".encode("gb18030"))
    assert [u.text for u in parse_file(gbk).units] == ["邻里和睦。", "爱护环境。", "尊老爱幼。"]


def test_a_pdf_with_an_empty_user_password_opens(tmp_path: Path) -> None:
    plain = write_pdf(tmp_path / "p.pdf", [["青山村村规民约", "第一条 和睦相处。"]])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password="", owner_password="owner")
    protected = tmp_path / "owner-only.pdf"
    with protected.open("wb") as handle:
        writer.write(handle)
    assert parse_file(protected, community="QSC").units[0].text == "和睦相处。"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=400),
       st.sampled_from([".md", ".txt", ".pdf", ".docx", ".yaml", ".csv"]))
def test_random_bytes_never_crash_the_parser(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    try:
        document = parse_file(path, community="QSC")
    except DocumentError as error:
        assert error.code != "error"
    else:
        assert document.units


_PIECES = st.sampled_from([
    "第", "条", "一", "十", "百", "之", "二", "章", "节", "编", "# ", "## ", "\n", "\n\n", "、", "1.",
    "（1）", "（一）", "问：", "答：", "又问：", "---\n", "<!-- INFO END -->", " ", "\u3000", "。",
    "本公约", "2024年3月15日", "村民会议", "通过", "文字", "？", "|",
])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_PIECES, min_size=1, max_size=60).map("".join),
       st.sampled_from([None, "law", "rules", "faq", "prose"]), st.sampled_from([".md", ".txt"]))
def test_structured_noise_gives_units_or_a_clear_error(tmp_path: Path, text: str, kind: str | None,
                                                        suffix: str) -> None:
    path = tmp_path / f"noise{suffix}"
    path.write_text(text, "utf-8")
    try:
        document = parse_file(path, kind=kind, community="QSC")
    except DocumentError as error:
        assert error.code != "error", error.reason
    else:
        assert document.units
        assert len({u.id for u in document.units}) == len(document.units)


@pytest.mark.parametrize(("name", "hint"),
                         [("rules.doc", ".docx"), ("faq.xlsx", ".csv"), ("photo.png", "OCR")])
def test_unsupported_files_say_what_to_do(tmp_path: Path, name: str, hint: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0 old office file")
    with pytest.raises(DocumentError) as caught:
        parse_file(path)
    assert caught.value.code == "unsupported"
    assert hint in caught.value.reason
