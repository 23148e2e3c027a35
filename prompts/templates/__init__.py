"""Prompt templates for the optional language model, one text file each."""

from importlib import resources


def load_template(name: str) -> str:
    """Return the text of ``prompts/templates/<name>.txt``."""
    return resources.files("prompts").joinpath("templates", f"{name}.txt").read_text(encoding="utf-8")
