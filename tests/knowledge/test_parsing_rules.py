"""Village rules and conventions in .md, .txt (GB18030), .docx and .pdf, with their metadata."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from knowledge.parsing import iter_documents, parse_file
from knowledge.parsing.rules import detect_adoption
from knowledge.units import Document, DocumentError, UnitKind

from .pdfmaker import write_pdf

RULES = Path(__file__).parent / "fixtures" / "rules"


def test_markdown_rules_with_front_matter() -> None:
    rules = parse_file(RULES / "青山村村规民约.md")
    assert (rules.kind, rules.title, rules.scope) == (UnitKind.RULES, "青山村村规民约", "QSC")
    assert [u.id for u in rules.units] == [f"rules/QSC/青山村村规民约/{n}" for n in range(1, 6)]
    second = rules.units[1]
    assert (second.label, second.number, second.path) == ("第二条", 2, ("第一章 总则",))
    assert "（二）不在公共场所堆放柴草杂物。" in second.text
    assert rules.units[3].path == ("第二章 邻里关系",)
    assert all(u.scope == "QSC" for u in rules.units)
    assert rules.units[0].meta == {"adopted_on": "2024-03-15", "adopted_by": "村民会议",
                                   "version": "2024年修订版", "effective_on": "2024-03-15"}
    assert rules.units[0].citation == "《青山村村规民约》第一条"
    assert rules.warnings == ()


def test_gb18030_text_with_sidecar_and_metadata_found_in_the_text() -> None:
    convention = parse_file(RULES / "绿水社区居民公约.txt")
    assert convention.kind is UnitKind.RULES  # 居民公约 in the title
    assert (convention.title, convention.scope) == ("绿水社区居民公约", "LSS")
    labels = [(u.label, u.path) for u in convention.units if u.label]
    assert labels == [("一、", ("第一章 共同家园",)), ("二、", ("第一章 共同家园",)),
                      ("三、", ("第二章 文明养犬",)), ("四、", ("第二章 文明养犬",))]
    assert convention.units[3].text == "夜间十点后不在楼道大声喧哗。"  # the closing note is its own unit
    closing = convention.units[-1]
    assert (closing.label, closing.text) == (None, "本公约于二〇二三年十月八日经居民代表会议讨论通过。")
    assert closing.id == "rules/LSS/绿水社区居民公约/note-1"
    assert convention.meta["adopted_on"] == "2023-10-08"
    assert convention.meta["adopted_by"] == "居民代表会议"
    assert convention.meta["version"] == "第二版"  # from the sidecar


def test_items_numbered_afresh_under_each_heading() -> None:
    rules = parse_file(RULES / "物业管理规约.txt")
    assert rules.title == "幸福小区管理规约"
    assert [u.id.rsplit("/", 1)[1] for u in rules.units] == ["1.1", "1.2", "2.1", "2.2", "2.3"]
    assert [u.label for u in rules.units] == ["1.", "2.", "1.", "2.", "3."]
    assert rules.units[2].path == ("二、房屋使用",)
    assert rules.meta["adopted_on"] == "2022-06-01"
    assert rules.warnings == ()


def test_command_line_metadata_wins(tmp_path: Path) -> None:
    path = tmp_path / "公约.md"
    path.write_text("---\ncommunity: QSC\nversion: 1\n---\n# 村民公约\n\n第一条 爱护环境。\n\n"
                    "第二条 和睦相处。\n", "utf-8")
    rules = parse_file(path, kind="rules", community="QSC-02",
                       meta={"version": "3", "title": "青山村二组公约"})
    assert rules.scope == "QSC-02"
    assert rules.units[0].id == "rules/QSC-02/青山村二组公约/1"
    assert rules.units[0].meta["version"] == "3"


def _docx(path: Path, paragraphs: list[str]) -> Path:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def test_docx_rules(tmp_path: Path) -> None:
    path = _docx(tmp_path / "青山村村规民约.docx", [
        "青山村村规民约", "第一章 总则", "第一条 为了建设美丽乡村，制定本村规民约。",
        "第二条 村民应当遵守下列约定：", "（一）不乱倒垃圾；", "（二）不焚烧秸秆。",
        "第二章 附则", "第三条 本村规民约经2024年3月15日村民会议表决通过。",
    ])
    rules = parse_file(path, community="QSC")
    assert rules.title == "青山村村规民约"
    assert [(u.label, u.path) for u in rules.units] == [
        ("第一条", ("第一章 总则",)), ("第二条", ("第一章 总则",)), ("第三条", ("第二章 附则",))]
    assert rules.units[1].text == "村民应当遵守下列约定：\n（一）不乱倒垃圾；\n（二）不焚烧秸秆。"
    assert rules.meta["adopted_on"] == "2024-03-15"


def test_pdf_rules_rejoin_wrapped_lines(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "村规民约.pdf", [
        ["青山村村规民约", "第一条 为了维护本村秩序，促进", "邻里和睦，制定本村规民约。"],
        ["第二条 村民建房应当依法申请", "宅基地，不得占用耕地。", "（1）本条自公布之日起执行。"],
    ])
    rules = parse_file(path, meta={"community": "QSC"})
    assert [u.label for u in rules.units] == ["第一条", "第二条"]
    assert rules.units[0].text == "为了维护本村秩序，促进邻里和睦，制定本村规民约。"
    assert rules.units[1].text == "村民建房应当依法申请宅基地，不得占用耕地。\n（1）本条自公布之日起执行。"


def test_rules_without_a_community_are_refused_politely(tmp_path: Path) -> None:
    path = tmp_path / "某村村规民约.md"
    path.write_text("# 某村村规民约\n\n第一条 和睦相处。\n", "utf-8")
    with pytest.raises(DocumentError) as caught:
        parse_file(path)
    assert caught.value.code == "no_community"
    assert "--community" in caught.value.reason


def test_bad_community_code(tmp_path: Path) -> None:
    path = tmp_path / "公约.md"
    path.write_text("# 公约\n\n第一条 和睦相处。\n", "utf-8")
    with pytest.raises(DocumentError) as caught:
        parse_file(path, kind="rules", community="青山 村")
    assert caught.value.code == "bad_metadata"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本村规民约经2024年3月15日村民会议表决通过，自通过之日起施行。",
         {"adopted_on": "2024-03-15", "adopted_by": "村民会议", "effective_on": "2024-03-15"}),
        ("本公约经2024年3月15日居民会议通过，自2024年5月1日起施行。",
         {"adopted_on": "2024-03-15", "adopted_by": "居民会议", "effective_on": "2024-05-01"}),
        ("本公约于二〇二三年十月八日经居民代表会议讨论通过。",
         {"adopted_on": "2023-10-08", "adopted_by": "居民代表会议"}),
        ("本规约由业主大会于2022年6月1日表决通过。", {"adopted_on": "2022-06-01", "adopted_by": "业主大会"}),
        ("青山村村规民约（2024年修订）\n第一条 ……", {"version": "2024年修订"}),
        ("第一条 大家和睦相处。", {}),
    ],
)
def test_adoption_found_in_the_text(text: str, expected: dict[str, str]) -> None:
    assert detect_adoption(text) == expected


def test_a_folder_of_rules_in_every_format(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.md").write_text("# 甲村村规民约\n\n一、爱护环境。\n\n二、邻里和睦。\n", "utf-8")
    _docx(folder / "b.docx", ["乙村村规民约", "1. 不乱倒垃圾。", "2. 不焚烧秸秆。"])
    write_pdf(folder / "c.pdf", [["丙村村规民约", "（1）节约用水。", "（2）爱护林木。"]])
    (folder / "d.txt").write_text("丁村村规民约\n第一条 勤俭节约。\n第二条 尊老爱幼。\n", "utf-8")
    documents = list(iter_documents([folder], community="QSC"))
    assert all(isinstance(d, Document) for d in documents)
    titles = [(d.title, [u.label for u in d.units]) for d in documents if isinstance(d, Document)]
    assert titles == [("甲村村规民约", ["一、", "二、"]), ("乙村村规民约", ["1.", "2."]),
                      ("丙村村规民约", ["（1）", "（2）"]), ("丁村村规民约", ["第一条", "第二条"])]


_W = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}


def _number_list_as(document: docx.document.Document, fmt: str, text: str) -> None:
    """Make the "List Number" style count like Word's 第一条/第二条 numbering."""
    style = document.styles["List Number"].element
    num_id = style.xpath("./w:pPr/w:numPr/w:numId/@w:val")[0]
    numbering = document.part.numbering_part.element
    abstract_id = numbering.xpath(f"./w:num[@w:numId='{num_id}']/w:abstractNumId/@w:val")[0]
    level = numbering.xpath(f"./w:abstractNum[@w:abstractNumId='{abstract_id}']/w:lvl[@w:ilvl='0']")[0]
    level.find("w:numFmt", _W).set(f"{{{_W['w']}}}val", fmt)
    level.find("w:lvlText", _W).set(f"{{{_W['w']}}}val", text)


@pytest.mark.parametrize(("fmt", "text", "labels"), [
    ("decimal", "%1.", ["1.", "2.", "3."]),
    ("chineseCounting", "第%1条", ["第一条", "第二条", "第三条"]),
    ("chineseCounting", "%1、", ["一、", "二、", "三、"]),
])
def test_docx_automatic_list_numbering_is_kept(tmp_path: Path, fmt: str, text: str,
                                               labels: list[str]) -> None:
    document = docx.Document()
    document.add_paragraph("青山村村规民约")
    for rule in ("爱护公共设施。", "不乱倒垃圾。", "邻里和睦相处。"):
        document.add_paragraph(rule, style="List Number")
    _number_list_as(document, fmt, text)
    path = tmp_path / "auto.docx"
    document.save(str(path))
    rules = parse_file(path, community="QSC")
    assert [u.label for u in rules.units] == labels
    assert [u.text for u in rules.units] == ["爱护公共设施。", "不乱倒垃圾。", "邻里和睦相处。"]


def _rules_from_text(path: Path, text: str) -> Document:
    path.write_text(text, "utf-8")
    return parse_file(path, community="QSC")


def test_article_labels_as_people_type_them(tmp_path: Path) -> None:
    rules = _rules_from_text(tmp_path / "青山村村规民约.md",
                             "# 青山村村规民约\n\n第一条：爱护环境。\n\n**第二条** 邻里和睦。\n\n"
                             "第三条、尊老爱幼。\n\n第四条规定的事项，由村委会负责。\n")
    assert [(u.label, u.text) for u in rules.units] == [
        ("第一条", "爱护环境。"), ("第二条", "邻里和睦。"),
        ("第三条", "尊老爱幼。\n第四条规定的事项，由村委会负责。"),  # "第四条规定…" cites, it does not start
    ]


def test_docx_tables_are_read_in_place(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("青山村村规民约")
    document.add_paragraph("第一章 总则")
    table = document.add_table(rows=2, cols=2)
    rows = [("第一条", "爱护环境。"), ("第二条", "邻里和睦。")]
    for row, (label, text) in zip(table.rows, rows, strict=True):
        row.cells[0].text, row.cells[1].text = label, text
    document.add_paragraph("第二章 附则")
    document.add_paragraph("第三条 本村规民约自通过之日起施行。")
    path = tmp_path / "table.docx"
    document.save(str(path))
    rules = parse_file(path, community="QSC")
    assert [(u.label, u.text, u.path) for u in rules.units] == [
        ("第一条", "爱护环境。", ("第一章 总则",)), ("第二条", "邻里和睦。", ("第一章 总则",)),
        ("第三条", "本村规民约自通过之日起施行。", ("第二章 附则",))]


def test_pdf_page_headers_footers_and_items(tmp_path: Path) -> None:
    pages = [
        ["青山村村规民约（2024年修订）", "第一条 村民应当遵守下列约", "定：", "（一）不乱倒垃圾；",
         "（二）不焚烧", "秸秆。", "第 1 页 共 3 页"],
        ["青山村村规民约（2024年修订）", "第二条 邻里之间互相帮助，", "和睦相处。", "第 2 页 共 3 页"],
        ["青山村村规民约（2024年修订）", "第三条 本村规民约自通过之日起施行。", "- 3 -"],
    ]
    rules = parse_file(write_pdf(tmp_path / "村规民约.pdf", pages), community="QSC")
    assert rules.title == "青山村村规民约（2024年修订）"
    assert rules.meta["version"] == "2024年修订"
    assert [(u.label, u.text) for u in rules.units] == [
        ("第一条", "村民应当遵守下列约定：\n（一）不乱倒垃圾；\n（二）不焚烧秸秆。"),
        ("第二条", "邻里之间互相帮助，和睦相处。"),
        ("第三条", "本村规民约自通过之日起施行。"),
    ]


def test_chinese_numbered_sections_above_articles_are_headings(tmp_path: Path) -> None:
    rules = _rules_from_text(tmp_path / "公约.txt",
                             "幸福村村规民约\n为了建设文明乡风，制定本公约。\n一、社会治安\n第一条 不赌博。\n"
                             "第二条 不打架斗殴。\n二、消防安全\n第三条 不在柴草旁用火。\n")
    assert [(u.label, u.path) for u in rules.units] == [
        (None, ()), ("第一条", ("一、社会治安",)), ("第二条", ("一、社会治安",)),
        ("第三条", ("二、消防安全",))]
    assert rules.units[0].text == "为了建设文明乡风，制定本公约。"
