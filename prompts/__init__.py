"""Prompt templates and user-facing message catalogs, kept as files.

- ``prompts/templates/*.txt``: prompt templates for the optional language model.
- ``prompts/messages/<lang>/*.yaml``: message catalogs, one file per feature, merged per language.
  Simplified Chinese (``zh``) is the default and must hold every key; English (``en``) falls back to it.
"""

from prompts.catalog import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, Catalog, catalog, t
from prompts.templates import load_template

__all__ = ["DEFAULT_LANGUAGE", "SUPPORTED_LANGUAGES", "Catalog", "catalog", "load_template", "t"]
