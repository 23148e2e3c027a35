"""The sample knowledge base shipped in ``knowledge/sample``: structure, counts and citations.

The sample is what the main job runs on when ``../shared`` is absent, so it must be well formed on
its own; when the shared corpus is present, every article it cites from a law must really exist.
The last part reads every file with the real parser (``knowledge.parsing.parse_file``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.numerals import cn_to_int, int_to_cn
from knowledge.parsing import iter_documents, parse_file
from knowledge.samples import SAMPLE_COMMUNITIES, SAMPLE_DIR, SAMPLE_SOURCES
from knowledge.units import NATIONAL_SCOPE, Document, UnitKind, UnitStatus

RULES = sorted((SAMPLE_DIR / "rules").glob("*.md"))
FAQS = sorted((SAMPLE_DIR / "faq").glob("*.yaml"))
PROSE = sorted((SAMPLE_DIR / "prose").glob("*.md"))

CATEGORIES = {
    "邻里纠纷", "婚姻家庭", "继承赡养", "物业纠纷", "土地宅基地", "劳动报酬", "消费纠纷", "损害赔偿", "其他",
}
LEVELS = {"county", "town", "village", "grid"}

NUM = "零〇一二两三四五六七八九十百千"
ARTICLE_LINE = re.compile(rf"^第([{NUM}]+)条\s", re.MULTILINE)
# A cited title, or an article number (or a range 第X条至第Y条) that belongs to the last cited title.
CITATION = re.compile(rf"《([^《》]+)》|第([{NUM}]+)条(?:至第([{NUM}]+)条)?")


def split_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path.name}: no YAML front matter"
    head, sep, body = text[4:].partition("\n---\n")
    assert sep, f"{path.name}: front matter is not closed"
    front = yaml.safe_load(head)
    assert isinstance(front, dict), f"{path.name}: front matter is not a mapping"
    return front, body


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def article_numbers(text: str) -> list[int]:
    return [cn_to_int(m.group(1)) for m in ARTICLE_LINE.finditer(text)]


def citations(text: str) -> Iterator[tuple[str, int]]:
    """(title, article number) for every 第X条 after a 《title》, in reading order.

    A bare 第X条 refers to the last title named before it, as a reader would take it.
    """
    current: str | None = None
    for match in CITATION.finditer(text):
        if match.group(1):
            current = match.group(1).replace("〈", "《").replace("〉", "》")
            continue
        if current is None:
            continue
        low = cn_to_int(match.group(2))
        high = cn_to_int(match.group(3)) if match.group(3) else low
        assert low <= high, f"backwards range after 《{current}》: {match.group(0)}"
        for number in range(low, high + 1):
            yield current, number


def cited_texts() -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of sample text whose citations must hold, each read on its own."""
    for path in FAQS:
        for entry in load_yaml(path)["entries"]:
            yield f"{path.name}#{entry['id']}", entry["answer"]
            yield f"{path.name}#{entry['id']}.source", str(entry.get("source", ""))
    for path in PROSE:
        yield path.name, split_front_matter(path)[1]
    for path in RULES:
        body = split_front_matter(path)[1]
        # An article's own label is not a citation: read each article without it.
        for line in body.splitlines():
            yield path.name, ARTICLE_LINE.sub("", line + " ", count=1)


def sample_rules_articles() -> dict[str, set[int]]:
    return {split_front_matter(p)[0]["title"]: set(article_numbers(split_front_matter(p)[1])) for p in RULES}


# --- rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_rules_have_front_matter_and_consecutive_articles(path: Path) -> None:
    front, body = split_front_matter(path)
    assert front["kind"] == "rules"
    assert re.fullmatch(r"[A-Z]{3}", front["community"])
    assert isinstance(front["adopted_on"], dt.date)
    assert front["adopted_by"] and front["version"]
    assert body.lstrip().startswith(f"# {front['title']}\n")
    numbers = article_numbers(body)
    assert numbers == list(range(1, len(numbers) + 1)), "articles must run 第一条, 第二条, … without gaps"


def test_village_rules_cover_the_expected_chapters() -> None:
    front, body = split_front_matter(SAMPLE_DIR / "rules" / "青山村村规民约.md")
    assert front["community"] == "QSC"
    assert 28 <= len(article_numbers(body)) <= 36
    chapters = re.findall(r"^## 第[一二三四五六七八九十]+章 (.+)$", body, re.MULTILINE)
    assert len(chapters) == 8
    for topic in ("总则", "邻里", "环境卫生", "宅基地", "孝老爱亲", "移风易俗", "调解", "附则"):
        assert any(topic in chapter for chapter in chapters), topic


def test_each_rules_document_belongs_to_one_known_community() -> None:
    codes = {c["code"] for c in load_yaml(SAMPLE_COMMUNITIES)["communities"]}
    by_community = {split_front_matter(p)[0]["community"]: p for p in RULES}
    assert set(by_community) == {"QSC", "LSS"}
    assert set(by_community) <= codes
    residents = split_front_matter(by_community["LSS"])[1]
    assert len(article_numbers(residents)) >= 12
    assert "青山村" not in residents and "绿水社区" not in split_front_matter(by_community["QSC"])[1]


# --- FAQ ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FAQS, ids=lambda p: p.name)
def test_faq_entries_are_complete(path: Path) -> None:
    data = load_yaml(path)
    assert data["title"] and data["scope"]
    entries = data["entries"]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "FAQ ids must be unique within a file"
    for entry in entries:
        assert re.fullmatch(r"[a-z0-9-]+", entry["id"])
        assert isinstance(entry["question"], str) and entry["question"].strip()
        assert isinstance(entry["answer"], str) and len(entry["answer"]) >= 40
        assert all(isinstance(a, str) and a.strip() for a in entry.get("alternates", []))
        assert all(isinstance(t, str) for t in entry.get("tags", []))
        assert isinstance(entry.get("source", ""), str)


def test_faq_counts_and_scopes() -> None:
    national = load_yaml(SAMPLE_DIR / "faq" / "公共服务问答.yaml")
    village = load_yaml(SAMPLE_DIR / "faq" / "青山村办事指南.yaml")
    assert national["scope"] == "national" and len(national["entries"]) >= 24
    assert village["scope"] == "QSC" and 5 <= len(village["entries"]) <= 8
    questions = [q for e in national["entries"] for q in [e["question"], *e.get("alternates", [])]]
    assert len(questions) == len(set(questions)), "one phrasing must lead to one answer"


# --- prose -------------------------------------------------------------------------------------


def test_there_are_at_least_ten_prose_notes() -> None:
    assert len(PROSE) >= 10


def test_sample_sources_hold_every_knowledge_file_and_nothing_else() -> None:
    listed = {p for folder in SAMPLE_SOURCES for p in folder.rglob("*") if p.is_file()}
    assert listed == set(RULES) | set(FAQS) | set(PROSE)
    everything = {p for p in SAMPLE_DIR.rglob("*") if p.is_file()}
    assert everything - listed == {SAMPLE_COMMUNITIES, SAMPLE_DIR / "README.md"}


@pytest.mark.parametrize("path", PROSE, ids=lambda p: p.name)
def test_prose_note_is_short_sectioned_and_cites_articles(path: Path) -> None:
    front, body = split_front_matter(path)
    assert front["kind"] == "prose" and front["scope"] == "national" and front["title"]
    assert isinstance(front["topics"], list) and front["topics"]
    assert len(re.findall(r"^## \S", body, re.MULTILINE)) >= 2
    assert 300 <= len(re.sub(r"\s", "", body)) <= 900
    assert any(True for _ in citations(body)), "a 普法 note names the articles it explains"


# --- communities -------------------------------------------------------------------------------


def test_communities_form_one_tree_with_mediators_in_it() -> None:
    data = load_yaml(SAMPLE_COMMUNITIES)
    communities = {c["code"]: c for c in data["communities"]}
    assert len(communities) == len(data["communities"])
    for code, community in communities.items():
        assert community["level"] in LEVELS and community["name"]
        if community["level"] == "county":
            assert "parent" not in community
        else:
            assert community["parent"] in communities, code
        if community["level"] == "grid":
            assert code.startswith(f"{community['parent']}-") and community.get("grid_worker")
            assert isinstance(community["grid_worker_chat_id"], int)
    assert {c for c, v in communities.items() if v["level"] == "grid"} == {"QSC-01", "QSC-02", "LSS-01"}

    grid_workers = [c["grid_worker_chat_id"] for c in communities.values() if c["level"] == "grid"]
    chat_ids = [p["chat_id"] for p in data["mediators"] + data["coordinators"]] + grid_workers
    assert len(chat_ids) == len(set(chat_ids))
    assert {m["chat_id"] for m in data["mediators"]} == {2001, 2002}
    for mediator in data["mediators"]:
        assert mediator["level"] == 1 and mediator["capacity"] == 3
        assert set(mediator["communities"]) <= set(communities)
        assert set(mediator["specialties"]) <= CATEGORIES
    assert [(c["chat_id"], c["level"], c["role"]) for c in data["coordinators"]] == [(3001, 2, "coordinator")]
    assert all(set(c["communities"]) <= set(communities) for c in data["coordinators"])


# --- citations ---------------------------------------------------------------------------------


def test_citations_of_sample_rules_point_at_existing_articles() -> None:
    rules = sample_rules_articles()
    checked = 0
    for where, text in cited_texts():
        for title, number in citations(text):
            if title in rules:
                assert number in rules[title], f"{where}: 《{title}》 has no article {number}"
                checked += 1
    assert checked >= 10


@cache
def law_files(corpus: Path) -> dict[str, Path]:
    """Title → file: the 22 laws first, then the newest file of each title in the national corpus."""
    files: dict[str, Path] = {}
    national = corpus / "national"
    manifest = national / "MANIFEST.tsv"
    if manifest.is_file():
        with manifest.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["title"] not in files or row.get("latest_of_title") in ("1", "True", "true"):
                    files[row["title"]] = national / row["path"]
    for path in (corpus / "laws").glob("*.md"):
        title = path.read_text(encoding="utf-8").partition("\n")[0].lstrip("# ").strip()
        files[title] = path
    return files


@cache
def law_articles(path: Path) -> frozenset[int]:
    return frozenset(article_numbers(path.read_text(encoding="utf-8")))


def test_cited_law_articles_exist_in_the_shared_corpus(shared_corpus: Path) -> None:
    files = law_files(shared_corpus)
    own = set(sample_rules_articles())
    checked = 0
    for where, text in cited_texts():
        for title, number in citations(text):
            if title in own:
                continue
            assert title in files, f"{where}: 《{title}》 is not a law in the shared corpus (misspelt?)"
            assert number in law_articles(files[title]), f"{where}: 《{title}》 has no article {number}"
            checked += 1
    assert checked >= 150


def test_citation_reader_follows_the_last_named_title() -> None:
    text = "依照《甲法》第二条和第十条至第十二条；《乙条例》第一百零五条。另见第三条。"
    assert list(citations(text)) == [
        ("甲法", 2), ("甲法", 10), ("甲法", 11), ("甲法", 12), ("乙条例", 105), ("乙条例", 3),
    ]


# --- read by the parser ------------------------------------------------------------------------

ALL_FILES = [*RULES, *FAQS, *PROSE]


def parsed(path: Path) -> Document:
    document = parse_file(path)
    assert not document.warnings, f"{path.name}: {document.warnings}"
    assert all(unit.status is UnitStatus.IN_FORCE for unit in document.units)
    ids = [unit.id for unit in document.units]
    assert len(ids) == len(set(ids)), f"{path.name}: unit ids must be unique"
    return document


def test_the_sample_sources_ingest_as_a_batch_without_errors() -> None:
    results = list(iter_documents(SAMPLE_SOURCES))
    errors = [r for r in results if not isinstance(r, Document)]
    assert not errors
    assert len(results) == len(ALL_FILES)


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_rules_parse_into_one_unit_per_article(path: Path) -> None:
    front, body = split_front_matter(path)
    document = parsed(path)
    assert document.kind is UnitKind.RULES
    assert document.title == front["title"]
    assert document.scope == front["community"]
    numbers = article_numbers(body)
    assert [u.number for u in document.units] == numbers
    assert [u.label for u in document.units] == [f"第{int_to_cn(n)}条" for n in numbers]
    for unit in document.units:
        assert unit.scope == front["community"] and unit.kind is UnitKind.RULES
        assert unit.id.endswith(f"/{unit.number}") and unit.text and not unit.text.startswith("第")
        assert str(unit.meta.get("adopted_on")) == str(front["adopted_on"])
        assert unit.meta.get("version") == front["version"]


def test_village_rules_keep_their_chapter_in_the_path() -> None:
    document = parsed(SAMPLE_DIR / "rules" / "青山村村规民约.md")
    by_number = {u.number: u for u in document.units}
    assert by_number[1].path[-1] == "第一章 总则"
    assert by_number[29].path[-1].startswith("第七章")
    assert "和事佬" in by_number[29].text
    assert by_number[29].citation == "《青山村村规民约》第二十九条"


@pytest.mark.parametrize("path", FAQS, ids=lambda p: p.name)
def test_faq_parses_into_one_unit_per_entry(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    document = parsed(path)
    assert document.kind is UnitKind.FAQ
    assert document.scope == data["scope"]
    assert len(document.units) == len(data["entries"])
    for unit, entry in zip(document.units, data["entries"], strict=True):
        assert unit.scope == data["scope"]
        assert unit.questions == (entry["question"], *entry["alternates"])
        assert unit.text.strip() == entry["answer"].strip()
        assert unit.id.endswith(entry["id"])


@pytest.mark.parametrize("path", PROSE, ids=lambda p: p.name)
def test_prose_parses_into_passages_by_section(path: Path) -> None:
    front, body = split_front_matter(path)
    document = parsed(path)
    assert document.kind is UnitKind.PROSE and document.title == front["title"]
    assert document.scope == NATIONAL_SCOPE
    sections = re.findall(r"^## (.+)$", body, re.MULTILINE)
    headings = {u.path[-1] for u in document.units if u.path}
    assert set(sections) <= headings
    text = re.sub(r"\s", "", "".join(u.text for u in document.units))
    for paragraph in re.split(r"\n\s*\n", body):
        if paragraph.strip() and not paragraph.lstrip().startswith("#"):
            assert re.sub(r"\s", "", paragraph)[:30] in text, "no passage of the note may be lost"


def test_one_communitys_rules_carry_only_that_community() -> None:
    scopes = {parsed(p).scope: {u.scope for u in parsed(p).units} for p in RULES}
    assert scopes == {"QSC": {"QSC"}, "LSS": {"LSS"}}
