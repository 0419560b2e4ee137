"""Draw a captured terminal pane (plain text, as `tmux capture-pane -p` gives it) to PNG,
in DejaVu Sans Mono on a dark background: the README's pictures
(examples/term_pictures.sh).

    python3 examples/term_png.py PANE.txt OUT.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SIZE, PAD = 15, 16
BACK, FORE, BOLD = "#1e1e1e", "#e0e0e0", "#ffffff"
RED, GREEN, YELLOW = "#f06a6a", "#6ad07a", "#e8c35a"


def colour(line: str) -> str:
    """The colour a terminal would give the line's first word (verdict words, ✗ / ✓)."""
    head = line.strip()
    if head.startswith(("BLOCKED", "✗", "blocked")):
        return RED
    if head.startswith(("READY", "✓", "ready", "Saved for")):
        return GREEN
    if head.startswith(("DEGRADED", "degraded", "!", "Region of")):
        return YELLOW
    return FORE


def draw(text: str) -> Image.Image:
    font = ImageFont.truetype(FONT, SIZE)
    lines = text.rstrip("\n").split("\n")
    cell_w = font.getlength("M")
    cell_h = SIZE + 5
    cols = max((len(ln) for ln in lines), default=1)
    img = Image.new("RGB", (int(cols * cell_w) + 2 * PAD, len(lines) * cell_h + 2 * PAD), BACK)
    pen = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        pen.text((PAD, PAD + i * cell_h), line, font=font, fill=colour(line))
    return img


def main(src: str, dst: str) -> int:
    draw(Path(src).read_text(encoding="utf-8")).save(dst, optimize=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
