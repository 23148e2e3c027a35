"""Statuses are decided over the whole stored collection: versions and repeals across ingest calls,
removal bringing an older version back, status changes that move metadata and never re-encode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from knowledge.units import UnitStatus
from tests.knowledge.index_fixtures import CharGramEmbeddings

pytest.importorskip("knowledge.parsing")

TITLE = "青山村村规民约"
RULES_2019 = f"""---
community: QSC
adopted_on: 2019-05-01
---
# {TITLE}

第一条 村民应当爱护公共道路，不得在路上晾晒稻谷。

第二条 饲养家禽应当圈养。

第三条 村里的池塘每年冬天由各户轮流清淤。
"""
RULES_2024 = f"""---
community: QSC
adopted_on: 2024-03-15
---
# {TITLE}

第一条 村民应当爱护公共道路和路灯。

第二条 饲养家禽家畜应当圈养，不得损坏他人庄稼。

第三条 垃圾应当分类投放到指定地点。
"""
OLD_LAW = """# 中华人民共和国旧测试法

2010年6月1日 第一次会议通过

<!-- INFO END -->

第一条 为了规范山林承包，制定本法。

第二条 承包山林的农户应当按时植树造林。
"""
NEW_LAW = """# 中华人民共和国新测试法

2024年6月1日 第一次会议通过

<!-- INFO END -->

第一条 为了规范农村山林的承包和经营，制定本法。

第二条 本法自2025年1月1日起施行。《中华人民共和国旧测试法》同时废止。
"""
PLAIN = f"rules/QSC/{TITLE}"
OLD_IDS = f"rules/QSC/{TITLE}@2019-05-01"


@pytest.fixture
def base(kb_settings: KnowledgeSettings, encoder: CharGramEmbeddings) -> KnowledgeBase:
    return KnowledgeBase.open(kb_settings, embeddings=encoder)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _forget_cached_vectors(base: KnowledgeBase) -> None:
    """Empty the embedding cache, so any re-embedding would reach the counting encoder."""
    with sqlite3.connect(base.settings.kb_dir / "embeddings.sqlite3") as db:
        db.execute("DELETE FROM vectors")


def _ids(base: KnowledgeBase, query: str, **scope: object) -> list[str]:
    return [hit.unit.id for hit in base.search(query, k=10, community="QSC", **scope)]  # type: ignore[arg-type]


def _two_versions_in_separate_calls(base: KnowledgeBase, tmp_path: Path) -> tuple[Path, Path]:
    old = _write(tmp_path / "2019", "rules.md", RULES_2019)
    base.ingest([old])
    new = _write(tmp_path / "2024", "rules.md", RULES_2024)
    return old, new


def test_newer_version_in_a_later_call_supersedes_the_older(
    base: KnowledgeBase, tmp_path: Path, encoder: CharGramEmbeddings
) -> None:
    old, new = _two_versions_in_separate_calls(base, tmp_path)
    assert base.get(f"{PLAIN}/3") is not None
    encoder.passage_calls.clear()
    _forget_cached_vectors(base)

    report = base.ingest([new])

    assert report.units_added == 3 and report.units_restatused == 3 and report.units_replaced == 0
    assert len(encoder.passage_calls) == report.encoded == 3  # the new version only, nothing re-embedded
    current, older = base.get(f"{PLAIN}/3"), base.get(f"{OLD_IDS}/3")
    assert current is not None and current.status is UnitStatus.IN_FORCE and current.source == str(new)
    assert older is not None and older.status is UnitStatus.SUPERSEDED and older.source == str(old)
    assert older.superseded_by == f"{TITLE}（2024-03-15）"
    assert "池塘" in older.text
    assert base.stats()["units_by_status"] == {"in_force": 3, "superseded": 3}
    for mode in ("hybrid", "dense", "lexical"):
        assert f"{OLD_IDS}/3" not in _ids(base, "池塘清淤", mode=mode)
        assert f"{OLD_IDS}/3" in _ids(base, "池塘清淤", mode=mode, include_inactive=True)


def test_moved_units_keep_their_vectors(base: KnowledgeBase, tmp_path: Path) -> None:
    _, new = _two_versions_in_separate_calls(base, tmp_path)
    before = base.vectors.vectors_of([f"{PLAIN}/3#0"])[f"{PLAIN}/3#0"]
    base.ingest([new])
    after = base.vectors.vectors_of([f"{OLD_IDS}/3#0"])[f"{OLD_IDS}/3#0"]
    assert after.tolist() == before.tolist()


def test_removing_the_newer_version_brings_the_older_back_in_force(
    base: KnowledgeBase, tmp_path: Path, encoder: CharGramEmbeddings
) -> None:
    old, new = _two_versions_in_separate_calls(base, tmp_path)
    base.ingest([new])
    encoder.passage_calls.clear()
    _forget_cached_vectors(base)

    assert base.remove(new) == 3

    assert encoder.passage_calls == []
    restored = base.get(f"{PLAIN}/3")
    assert restored is not None and restored.status is UnitStatus.IN_FORCE and restored.source == str(old)
    assert restored.superseded_by is None and base.get(f"{OLD_IDS}/3") is None
    assert base.stats()["units_by_status"] == {"in_force": 3}
    assert _ids(base, "池塘清淤", mode="dense")[0] == f"{PLAIN}/3"
    assert base.ingest([old]).documents_unchanged == 1  # the stored fingerprint still matches


def test_older_version_ingested_after_the_newer_is_superseded_at_once(
    base: KnowledgeBase, tmp_path: Path
) -> None:
    new = _write(tmp_path / "2024", "rules.md", RULES_2024)
    base.ingest([new])
    old = _write(tmp_path / "2019", "rules.md", RULES_2019)

    report = base.ingest([old])

    assert report.units_added == 3 and report.units_restatused == 0
    older = base.get(f"{OLD_IDS}/1")
    assert older is not None and older.status is UnitStatus.SUPERSEDED and older.source == str(old)
    current = base.get(f"{PLAIN}/1")
    assert current is not None and current.status is UnitStatus.IN_FORCE and current.source == str(new)


def test_repeal_stated_in_a_later_call_marks_the_earlier_law(
    base: KnowledgeBase, tmp_path: Path, encoder: CharGramEmbeddings
) -> None:
    old = _write(tmp_path / "old", "旧测试法.md", OLD_LAW)
    base.ingest([old], kind="law")
    new = _write(tmp_path / "new", "新测试法.md", NEW_LAW)
    encoder.passage_calls.clear()
    _forget_cached_vectors(base)

    report = base.ingest([new], kind="law")

    assert report.units_restatused == 2 and len(encoder.passage_calls) == 2
    repealed = base.get("law/中华人民共和国旧测试法/2")
    assert repealed is not None and repealed.status is UnitStatus.REPEALED
    assert repealed.superseded_by == "中华人民共和国新测试法"
    assert "law/中华人民共和国旧测试法/2" not in [h.unit.id for h in base.search("植树造林", k=10)]

    base.remove(new)
    back = base.get("law/中华人民共和国旧测试法/2")
    assert back is not None and back.status is UnitStatus.IN_FORCE and back.superseded_by is None


def test_a_changed_sidecar_is_noticed_and_reingested(base: KnowledgeBase, tmp_path: Path) -> None:
    rules = _write(tmp_path, "rules.md", RULES_2019.split("---\n", 2)[2])  # no front matter
    sidecar = _write(tmp_path, "rules.md.meta.yaml", "community: QSC\nadopted_on: 2019-05-01\n")
    base.ingest([rules])
    assert base.ingest([rules]).documents_unchanged == 1

    sidecar.write_text("community: QSC\nadopted_on: 2020-01-01\nadopted_by: 村民会议\n", encoding="utf-8")
    report = base.ingest([rules])

    assert report.documents_changed == 1 and report.documents_unchanged == 0
    unit = base.get(f"{PLAIN}/1")
    assert unit is not None and unit.meta.get("adopted_on") == "2020-01-01"


def test_sidecar_change_can_make_a_stored_version_the_newest(base: KnowledgeBase, tmp_path: Path) -> None:
    first = _write(tmp_path / "a", "rules.md", RULES_2019.split("---\n", 2)[2])
    first_meta = _write(tmp_path / "a", "rules.md.meta.yaml", "community: QSC\nadopted_on: 2019-05-01\n")
    second = _write(tmp_path / "b", "rules.md", RULES_2024)
    base.ingest([first])
    base.ingest([second])
    assert base.get(f"{PLAIN}/3").source == str(second)  # type: ignore[union-attr]

    first_meta.write_text("community: QSC\nadopted_on: 2025-01-01\n", encoding="utf-8")
    base.ingest([first])

    current, older = base.get(f"{PLAIN}/3"), base.get(f"rules/QSC/{TITLE}@2024-03-15/3")
    assert current is not None and current.source == str(first) and current.status is UnitStatus.IN_FORCE
    assert older is not None and older.source == str(second) and older.status is UnitStatus.SUPERSEDED
    assert base.stats()["units"] == 6

    first_meta.write_text("community: QSC\nadopted_on: 2018-01-01\n", encoding="utf-8")
    base.ingest([first])  # back to the older one: the stored version takes its plain ids back

    current, older = base.get(f"{PLAIN}/3"), base.get(f"rules/QSC/{TITLE}@2018-01-01/3")
    assert current is not None and current.source == str(second) and current.status is UnitStatus.IN_FORCE
    assert older is not None and older.source == str(first) and older.status is UnitStatus.SUPERSEDED
    assert base.stats()["units"] == 6 and base.vectors.count() == 6


RULES_2021 = RULES_2024.replace("2024-03-15", "2021-07-01").replace("和路灯", "和水渠")


def _state(base: KnowledgeBase, root: Path) -> dict[str, tuple[str, str, str | None]]:
    """unit id → (source relative to ``root``, status, superseded_by) of every stored unit."""
    units = base.manifest.get_many([stored.id for stored in base.manifest.iter_stored()])
    return {uid: (str(Path(u.source).relative_to(root)), u.status.value, u.superseded_by)
            for uid, u in units.items()}


@pytest.mark.parametrize("order", [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)])
def test_any_order_of_calls_ends_as_one_call_would(
    base: KnowledgeBase, tmp_path: Path, encoder: CharGramEmbeddings, order: tuple[int, int, int]
) -> None:
    corpus = tmp_path / "corpus"
    files = [_write(corpus / year, "rules.md", text)
             for year, text in (("2019", RULES_2019), ("2021", RULES_2021), ("2024", RULES_2024))]
    reference = KnowledgeBase.open(KnowledgeSettings(data_dir=tmp_path / "reference"), embeddings=encoder)
    reference.ingest([corpus])
    expected = _state(reference, corpus)
    assert sorted({status for _, status, _ in expected.values()}) == ["in_force", "superseded"]

    for index in order:
        base.ingest([files[index]])

    assert _state(base, corpus) == expected
    assert base.vectors.count() == len(expected) == 9

    base.remove(files[1])
    reference.remove(files[1])
    assert _state(base, corpus) == _state(reference, corpus)
    base.remove(files[2])
    assert {status for _, status, _ in _state(base, corpus).values()} == {"in_force"}


def test_status_set_on_a_parsed_document_changes_metadata_only(
    kb: KnowledgeBase, encoder: CharGramEmbeddings
) -> None:
    import dataclasses

    from tests.knowledge.index_fixtures import CIVIL_CODE, sample_documents

    civil = next(d for d in sample_documents() if d.title == CIVIL_CODE)
    assert any(h.unit.id == f"law/{CIVIL_CODE}/293" for h in kb.search("采光和日照", k=3, mode="dense"))
    encoder.passage_calls.clear()
    _forget_cached_vectors(kb)

    report = kb.ingest_documents([dataclasses.replace(civil, status=UnitStatus.REPEALED)])

    assert encoder.passage_calls == [] and report.units_replaced == 0 and report.units_added == 0
    assert report.units_unchanged == len(civil.units) and report.documents_changed == 1
    unit = kb.get(f"law/{CIVIL_CODE}/293")
    assert unit is not None and unit.status is UnitStatus.REPEALED
    assert all(h.unit.doc_title != CIVIL_CODE for h in kb.search("采光和日照", k=10, mode="dense"))


def test_manifest_from_before_profiles_is_upgraded_without_encoding(
    kb_settings: KnowledgeSettings, encoder: CharGramEmbeddings, tmp_path: Path
) -> None:
    old = _write(tmp_path / "2019", "rules.md", RULES_2019)
    first = KnowledgeBase.open(kb_settings, embeddings=encoder)
    first.ingest([old])
    first.close()
    manifest = next(kb_settings.kb_dir.glob("*/manifest.sqlite3"))
    with sqlite3.connect(manifest) as db:  # the schema as it was before profiles
        db.execute("ALTER TABLE documents DROP COLUMN profile")
        db.execute("ALTER TABLE documents DROP COLUMN added")
    encoder.passage_calls.clear()

    base = KnowledgeBase.open(kb_settings, embeddings=encoder)
    assert base.get(f"{PLAIN}/1") is not None  # still searchable as it was
    report = base.ingest([old])  # parsed again to record its profile
    assert report.documents_changed == 1 and report.units_unchanged == 3 and encoder.passage_calls == []
    base.ingest([_write(tmp_path / "2024", "rules.md", RULES_2024)])
    older = base.get(f"{OLD_IDS}/1")
    assert older is not None and older.status is UnitStatus.SUPERSEDED
