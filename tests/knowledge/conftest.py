"""Fixtures of the knowledge tests: a knowledge base on disk with a counting stand-in encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from tests.knowledge.index_fixtures import CharGramEmbeddings, sample_documents


@pytest.fixture
def encoder() -> CharGramEmbeddings:
    return CharGramEmbeddings()


@pytest.fixture
def kb_settings(_isolated_data_dir: Path) -> KnowledgeSettings:
    return KnowledgeSettings(data_dir=_isolated_data_dir)


@pytest.fixture
def kb(kb_settings: KnowledgeSettings, encoder: CharGramEmbeddings) -> KnowledgeBase:
    """A knowledge base (Chroma and SQLite on disk under the test's data dir) holding the sample units."""
    base = KnowledgeBase.open(kb_settings, embeddings=encoder)
    base.ingest_documents(sample_documents())
    return base
