"""Law texts: the shared corpus parses completely and in order; structure, ids and numbering checks."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.numerals import article_label, int_to_cn
from knowledge.parsing import iter_documents, parse_file
from knowledge.units import Document, UnitKind

FIXTURES = Path(__file__).parent / "fixtures"


def _articles(document: Document) -> list[str]:
    return [u.label for u in document.units if u.label and re.fullmatch(r"第.+条(之.+)?", u.label)]


def _manifest_counts(laws: Path) -> dict[str, int]:
    """File name → 条数 from the table in laws/MANIFEST.md."""
    counts: dict[str, int] = {}
    for line in (laws / "MANIFEST.md").read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 7 and cells[1].startswith("`") and cells[0].isdigit():
            counts[cells[1].strip("`")] = int(cells[5])
    return counts


def test_every_article_of_every_law_once_and_in_order(shared_corpus: Path) -> None:
    laws = shared_corpus / "laws"
    expected = _manifest_counts(laws)
    assert len(expected) == 22
    documents = list(iter_documents([laws]))
    assert all(isinstance(d, Document) for d in documents)
    total = 0
    for document in documents:
        assert isinstance(document, Document)
        name = Path(document.source).name
        numbered = [u for u in document.units if u.number is not None]
        assert len(_articles(document)) == expected[name], name
        assert [u.number for u in numbered] == list(range(1, len(numbered) + 1)), name
        assert len({u.id for u in document.units}) == len(document.units)
        assert document.warnings == (), name
        total += len(numbered)
    assert total == 3037


def test_civil_code_article_296(shared_corpus: Path) -> None:
    code = parse_file(shared_corpus / "laws" / "中华人民共和国民法典.md")
    unit = next(u for u in code.units if u.number == 296)
    assert unit.id == "law/中华人民共和国民法典/296"
    assert unit.label == "第二百九十六条"
    assert unit.kind is UnitKind.LAW
    assert unit.path == ("物权编", "第二分编 所有权", "第七章 相邻关系")
    assert unit.text.startswith("不动产权利人因用水、排水、通行")
    assert unit.citation == "《中华人民共和国民法典》第二百九十六条"
    assert code.meta["effective"] == "2021-01-01"
    assert unit.meta["effective"] == "2021-01-01"


def test_national_corpus_counts_like_the_manifest(shared_corpus: Path) -> None:
    national = shared_corpus / "national"
    with (national / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        expected = {row["path"]: int(row["articles"]) for row in csv.DictReader(handle, delimiter="\t")}
    counted: dict[str, int] = {}
    no_articles = 0
    for document in iter_documents([national]):
        assert isinstance(document, Document), document
        relative = Path(document.source).relative_to(national).as_posix()
        counted[relative] = len(_articles(document))
        assert document.units, relative  # files without 第X条 still give passages
        if not counted[relative]:
            no_articles += 1
            assert any("no 第X条" in w for w in document.warnings)
    assert counted == expected
    assert sum(counted.values()) == 64_671
    assert no_articles == 82


def test_civil_code_parts_carry_their_subtitle(shared_corpus: Path) -> None:
    part = parse_file(shared_corpus / "national" / "民法典" / "物权编.md")
    assert part.title == "中华人民共和国民法典"
    first = part.units[0]
    assert (first.number, first.path[0]) == (205, "物权编")
    assert part.warnings == ()  # a part starting at 第二百零五条 is normal


def test_versioned_file_names_keep_versions_apart(tmp_path: Path) -> None:
    text = "# 中华人民共和国示例法\n\n2021年12月24日 通过\n\n<!-- INFO END -->\n\n第一条 甲。\n\n第二条 乙。"
    old = tmp_path / "示例法(2021-12-24).md"
    new = tmp_path / "示例法(2023-09-01).md"
    old.write_text(text, "utf-8")
    new.write_text(text, "utf-8")
    a, b = parse_file(old), parse_file(new)
    assert a.units[0].id == "law/中华人民共和国示例法@2021-12-24/1"
    assert b.units[0].id == "law/中华人民共和国示例法@2023-09-01/1"
    assert a.meta["version_date"] == "2021-12-24"


def test_structure_items_and_sub_articles() -> None:
    law = parse_file(FIXTURES / "law_sample.md")
    assert law.title == "中华人民共和国乡村示例法"
    labels = [u.label for u in law.units]
    assert labels == ["第一条", "第二条", "第三条", "第三条之一", "第四条", "第五条"]
    ids = [u.id for u in law.units]
    assert ids[3] == "law/中华人民共和国乡村示例法/3-1"
    second = law.units[1]
    assert second.path == ("第一章 总则",)
    assert second.text.count("\n") == 3  # lead-in, （一）, （二）, continuation
    assert "（二）" in second.text
    fifth = law.units[-1]
    assert fifth.path == ("第二章 分则", "第一节 邻里")
    assert law.meta["adopted"] == "2024-03-15"
    assert law.meta["effective"] == "2024-05-01"
    assert law.warnings == ()


def test_duplicated_and_skipped_numbers_warn_but_keep_every_unit() -> None:
    law = parse_file(FIXTURES / "law_bad_numbering.md")
    assert [u.number for u in law.units] == [1, 2, 2, 5]
    assert len({u.id for u in law.units}) == 4
    assert law.units[2].id.endswith("/2~2")
    joined = " | ".join(law.warnings)
    assert "duplicated number 第二条" in joined
    assert "skips 2 number(s) before 第五条" in joined


def test_law_without_articles_is_split_into_passages(tmp_path: Path) -> None:
    paragraphs = "\n\n".join("这是一段没有条文编号的规定文字，用来说明段落切分。" * 8 for _ in range(5))
    path = tmp_path / "批复.md"
    path.write_text(f"# 关于某事的批复\n\n<!-- INFO END -->\n\n{paragraphs}\n", "utf-8")
    document = parse_file(path)
    assert document.kind is UnitKind.LAW
    assert all(u.label is None for u in document.units)
    assert all(len(u.text) <= 600 for u in document.units)
    assert "".join(u.text.replace("\n", "") for u in document.units) == paragraphs.replace("\n", "")
    assert any("no 第X条" in w for w in document.warnings)


def test_law_ids_are_unique_and_hashes_stable(shared_corpus: Path) -> None:
    first = parse_file(shared_corpus / "laws" / "中华人民共和国劳动合同法.md")
    again = parse_file(shared_corpus / "laws" / "中华人民共和国劳动合同法.md")
    assert [u.hash for u in first.units] == [u.hash for u in again.units]
    assert Counter(u.id for u in first.units).most_common(1)[0][1] == 1


@pytest.mark.parametrize("typo", ["笫五条 文字。", "第五 条文字。"])
def test_typos_in_official_texts_still_start_articles(tmp_path: Path, typo: str) -> None:
    path = tmp_path / "typo.md"
    body = "\n\n".join(f"第{n}条 文字。" for n in "一二三四") + f"\n\n{typo}\n"
    path.write_text(f"# 示例条例\n\n<!-- INFO END -->\n\n{body}", "utf-8")
    assert [u.number for u in parse_file(path).units] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("第二节  监  护", "第二节 监护"), ("第一分编  通则", "第一分编 通则"), ("附  则", "附则"),
     ("一、 一般规定", "一、一般规定"), ("第三章\u3000法律责任", "第三章 法律责任")],
)
def test_headings_lose_layout_spaces(raw: str, clean: str) -> None:
    from knowledge.parsing.structure import clean_heading

    assert clean_heading(raw) == clean


_bodies = st.text(alphabet="邻里和睦互相帮助调解纠纷，。；（）一二", min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and not s.startswith(("第", "（", "#")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), st.lists(_bodies, min_size=1, max_size=3)), min_size=1, max_size=25))
def test_generated_laws_parse_back_exactly(tmp_path: Path, articles: list[tuple[bool, list[str]]]) -> None:
    """Any law written as headings + 第X条 articles parses back to the same numbers, paths and texts."""
    lines = ["# 生成的示例法", "", "<!-- INFO END -->", ""]
    chapter = None
    expected = []
    for number, (new_chapter, paragraphs) in enumerate(articles, start=1):
        if new_chapter or chapter is None:
            chapter = f"第{int_to_cn(number)}章 规定"
            lines += [f"## {chapter}", ""]
        lines += [f"{article_label(number)} {paragraphs[0]}", ""]
        lines += [line for paragraph in paragraphs[1:] for line in (paragraph, "")]
        expected.append((number, (chapter,), "\n".join(paragraphs)))
    path = tmp_path / "generated.md"
    path.write_text("\n".join(lines), "utf-8")
    law = parse_file(path)
    assert [(u.number, u.path, u.text) for u in law.units] == expected
    assert law.warnings == ()


def test_a_law_saved_as_pdf_or_docx(tmp_path: Path) -> None:
    import docx

    from .pdfmaker import write_pdf

    lines = ["中华人民共和国示例法", "第一章 总则", "第一条 为了示范，制定本法。", "第二条 邻里和睦。",
             "第三条 本法自公布之日起施行。"]
    pdf = write_pdf(tmp_path / "示例法.pdf", [lines])
    word = docx.Document()
    for line in lines:
        word.add_paragraph(line)
    word.save(str(tmp_path / "示例法.docx"))
    word_path = tmp_path / "示例法.docx"
    (tmp_path / "示例法.txt").write_text("\n".join(lines), "utf-8")
    for path in (pdf, word_path, tmp_path / "示例法.txt"):
        law = parse_file(path)
        assert law.kind is UnitKind.LAW, path.name
        assert law.title == "中华人民共和国示例法"
        assert [u.number for u in law.units] == [1, 2, 3]
        assert law.units[0].id == "law/中华人民共和国示例法/1"
        assert law.units[0].path == ("第一章 总则",)


def test_plain_text_headings_nest_like_markdown(tmp_path: Path) -> None:
    path = tmp_path / "示例法.txt"
    lines = ["中华人民共和国示例法", "第一编 总则", "第一章 一般规定", "第一节 范围", "第一条 甲。",
             "第二节 原则", "第二条 乙。", "第二章 其他", "第三条 丙。", "第二编 分则", "第一分编 通则",
             "第四条 丁。"]
    path.write_text("\n".join(lines), "utf-8")
    law = parse_file(path, kind="law")
    assert [u.path for u in law.units] == [
        ("第一编 总则", "第一章 一般规定", "第一节 范围"), ("第一编 总则", "第一章 一般规定", "第二节 原则"),
        ("第一编 总则", "第二章 其他"), ("第二编 分则", "第一分编 通则")]


def test_text_outside_articles_keeps_its_place(tmp_path: Path) -> None:
    path = tmp_path / "示例条例.md"
    path.write_text("# 示例条例\n\n<!-- INFO END -->\n\n为了示范，制定本条例。\n\n## 第一章 总则\n\n"
                    "第一条 甲。\n\n第二条 乙。\n\n## 附件\n\n申请表样式。\n", "utf-8")
    law = parse_file(path)
    assert [(u.id.rsplit("/", 1)[1], u.path) for u in law.units] == [
        ("intro-1", ()), ("1", ("第一章 总则",)), ("2", ("第一章 总则",)), ("annex-1", ("附件",))]
