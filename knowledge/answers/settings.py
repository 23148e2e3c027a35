"""Settings of the answer layer (env prefix ``HESHI_ANSWER_``) and of the optional model (``HESHI_LLM_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AnswerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HESHI_ANSWER_", env_file=".env", extra="ignore")

    # Below this retrieval score the evidence is weak: say so and offer a person. Calibrated by
    # benchmarks/answers_calibrate.py (see docs/answers.md); the retrieval score is fused and in [0, 1].
    min_score: float = Field(default=0.33, ge=0.0, le=1.0)
    k: int = Field(default=8, ge=1, le=50)  # hits retrieved per question
    max_citations: int = Field(default=3, ge=1, le=10)  # articles quoted in one answer
    related_citations: int = Field(default=2, ge=0, le=10)  # further articles named as related, unquoted
    overlap_weight: float = Field(default=0.2, ge=0.0, le=2.0)  # rerank: score + weight × bigram overlap
    relative_margin: float = Field(default=0.8, ge=0.0, le=1.0)  # cite hits scoring ≥ margin × the best
    quote_chars: int = Field(default=240, ge=40)  # an article longer than this is cut to its relevant parts
    out_of_scope_detector: bool = True


class LLMSettings(BaseSettings):
    """Any OpenAI-compatible chat endpoint (DeepSeek, Qwen, GLM, vLLM, Ollama). Off unless both
    ``HESHI_LLM_BASE_URL`` and ``HESHI_LLM_MODEL`` are set."""

    model_config = SettingsConfigDict(env_prefix="HESHI_LLM_", env_file=".env", extra="ignore")

    base_url: str = ""
    model: str = ""
    api_key: SecretStr = SecretStr("")
    timeout: float = Field(default=20.0, gt=0.0)  # seconds; on timeout the composed answer is sent
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    max_tokens: int = Field(default=800, ge=64)

    @property
    def enabled(self) -> bool:
        return bool(self.base_url.strip() and self.model.strip())
