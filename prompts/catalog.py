"""Message catalogs: flat dotted keys per language, loaded once from YAML files."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

DEFAULT_LANGUAGE = "zh"
SUPPORTED_LANGUAGES = ("zh", "en")


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = str(node)


class Catalog:
    """All messages of all languages; ``get`` falls back to Chinese, then to the key itself."""

    def __init__(self, messages: dict[str, dict[str, str]]) -> None:
        self._messages = messages

    @classmethod
    def load(cls) -> Catalog:
        root = resources.files("prompts").joinpath("messages")
        messages: dict[str, dict[str, str]] = {}
        for lang in SUPPORTED_LANGUAGES:
            merged: dict[str, str] = {}
            folder = root.joinpath(lang)
            for entry in sorted(folder.iterdir(), key=lambda p: p.name):
                if entry.name.endswith((".yaml", ".yml")):
                    _flatten("", yaml.safe_load(entry.read_text(encoding="utf-8")) or {}, merged)
            messages[lang] = merged
        return cls(messages)

    def has(self, key: str, lang: str = DEFAULT_LANGUAGE) -> bool:
        return key in self._messages.get(lang, {})

    def keys(self, lang: str = DEFAULT_LANGUAGE) -> set[str]:
        return set(self._messages.get(lang, {}))

    def get(self, key: str, lang: str | None = None, **params: Any) -> str:
        lang = lang if lang in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
        text = self._messages[lang].get(key) or self._messages[DEFAULT_LANGUAGE].get(key)
        if text is None:
            return key
        return text.format(**params) if params else text


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    return Catalog.load()


def t(key: str, lang: str | None = None, **params: Any) -> str:
    """Translate ``key`` into ``lang`` (default Simplified Chinese) with ``str.format`` parameters."""
    return catalog().get(key, lang, **params)
