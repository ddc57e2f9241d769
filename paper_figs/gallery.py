"""Thumbnails of the built figures for the README gallery (``initmatters figures --gallery DIR``)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from paper_figs.registry import FIGURES
from validation.artifacts import atomic_write

THUMB_WIDTH = 520  # pixels


def write_thumbnails(out_dir, gallery_dir, names=None) -> list[Path]:
    """``gallery_dir/NAME.png``, at most :data:`THUMB_WIDTH` pixels wide, from ``out_dir/NAME.png``."""
    out_dir, gallery_dir = Path(out_dir), Path(gallery_dir)
    written = []
    for name in names or FIGURES:
        src = out_dir / f"{name}.png"
        if not src.exists():
            raise ValueError(f"gallery: {src} does not exist; build the figure first")
        with Image.open(src) as im:
            im = im.convert("RGB")
            if im.width > THUMB_WIDTH:
                im = im.resize((THUMB_WIDTH, round(im.height * THUMB_WIDTH / im.width)), Image.LANCZOS)
            buf = io.BytesIO()
            im.save(buf, format="PNG", optimize=True)
        written.append(atomic_write(gallery_dir / f"{name}.png", buf.getvalue(), binary=True))
    return written
