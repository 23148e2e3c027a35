"""Where the bundled sample knowledge base lives (``knowledge/sample``, see its README).

Ingest :data:`SAMPLE_SOURCES` rather than the whole folder: ``communities.yaml`` beside them is the
demo's community setup, not a knowledge source.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
SAMPLE_SOURCES: tuple[Path, ...] = (SAMPLE_DIR / "rules", SAMPLE_DIR / "faq", SAMPLE_DIR / "prose")
SAMPLE_COMMUNITIES = SAMPLE_DIR / "communities.yaml"
