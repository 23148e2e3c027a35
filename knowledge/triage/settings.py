"""Settings for triage (env prefix ``HESHI_TRIAGE_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TriageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HESHI_TRIAGE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("~/.local/share/heshi"), validation_alias=AliasChoices("HESHI_DATA_DIR", "data_dir")
    )
    examples: Path | None = None  # labelled examples (jsonl); default: the ones shipped with heshi
    use_embeddings: bool = True  # False: rules only (no model load)
    k: int = Field(default=11, ge=1, le=50)  # neighbours that vote
    embedding_weight: float = Field(default=0.5, ge=0.0, le=1.0)  # share of the neighbours in the fusion

    @property
    def cache_dir(self) -> Path:
        return self.data_dir.expanduser() / "cache" / "triage"
