"""Rebuild prompts/fonts/HeshiSansSC-Regular.otf: Noto Sans CJK SC cut down to the characters the
statistics chart can draw (every character of the Chinese catalogs, the dispute categories, ASCII).

    pip download --no-deps mplfonts==0.0.11 && unzip -j mplfonts-*.whl '*/NotoSansCJKsc-Regular.otf'
    python tools/make_chart_font.py NotoSansCJKsc-Regular.otf

Run it again when a catalog gains characters (tests/bot/test_admin.py checks the chart's labels).
The original's licence (SIL OFL 1.1) travels with the subset in prompts/fonts/OFL.txt.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.lifecycle import CATEGORIES  # noqa: E402

TARGET = ROOT / "prompts" / "fonts" / "HeshiSansSC-Regular.otf"
FAMILY = "Heshi Sans SC"  # a Modified Version may not keep the original's name


def characters() -> set[str]:
    chars = set("".join(CATEGORIES)) | {chr(c) for c in range(0x20, 0x7F)}
    chars |= set("０１２３４５６７８９，。：；！？（）【】《》、“”‘’—…·％")
    for catalog in (ROOT / "prompts" / "messages" / "zh").glob("*.yaml"):
        chars |= set(catalog.read_text(encoding="utf-8"))
    return {char for char in chars if char.isprintable()}


def main(source: str) -> None:
    font = TTFont(source)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(char) for char in characters()])
    subsetter.subset(font)
    names = {1: FAMILY, 16: FAMILY, 4: f"{FAMILY} Regular", 6: "HeshiSansSC-Regular",
             3: f"{FAMILY} (subset of Noto Sans CJK SC)"}
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    font.save(TARGET)
    print(f"{TARGET.relative_to(ROOT)}: {len(characters())} characters, {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
