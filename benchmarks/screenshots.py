"""Copy a few journey screenshots into docs/screenshots/ for the README: cropped, scaled and palette-compressed.

Run the journey first (python -m pytest tests/test_browser_full_journey.py; it writes tests/.artifacts/journey/),
then: python benchmarks/screenshots.py. Each PNG stays under 200 KB.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / ".artifacts" / "journey"
TARGET = ROOT / "docs" / "screenshots"
# README name -> the journey screenshot's name after its number (the last one with that name wins).
PICKS = {
    "home.png": "rui_home",
    "trends.png": "ada_trend_detail",
    "drafts.png": "dora_draft_warning",
    "review.png": "rui_draft_approved",
    "calendar.png": "rui_calendar_published",
    "results.png": "dora_results_imported",
}
WIDTH, MAX_HEIGHT, LIMIT = 1000, 1300, 200_000


def shrink(src: Path, dst: Path) -> int:
    """Write `src` cropped to MAX_HEIGHT (at WIDTH), scaled to WIDTH and quantised; return the file size."""
    with Image.open(src) as img:
        img = img.convert("RGB")
        scale = WIDTH / img.width
        img = img.crop((0, 0, img.width, min(img.height, int(MAX_HEIGHT / scale))))
        img = img.resize((WIDTH, round(img.height * scale)), Image.LANCZOS)
        for colours in (128, 64, 32):
            img.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)
            if dst.stat().st_size < LIMIT:
                break
    return dst.stat().st_size


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    shots = sorted(SOURCE.glob("*.png"))
    if not shots:
        print(f"no screenshots in {SOURCE}: run tests/test_browser_full_journey.py first", file=sys.stderr)
        return 1
    for name, wanted in PICKS.items():
        found = [p for p in shots if p.stem.split("_", 1)[1] == wanted]
        if not found:
            print(f"{name}: no journey screenshot named {wanted}", file=sys.stderr)
            return 1
        size = shrink(found[-1], TARGET / name)
        print(f"{name:<14} from {found[-1].name:<32} {size / 1000:6.1f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
