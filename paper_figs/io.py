"""Atomic writers for figure outputs: CSV, JSON, and a Matplotlib figure as PDF and PNG."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from validation.artifacts import atomic_write, check_finite

# fontTools warns about the font files' own timestamps each time a PDF embeds a subset: not ours
logging.getLogger("fontTools").setLevel(logging.ERROR)


def save_csv(path, columns: dict) -> Path:
    """Write equal-length columns; refuses NaN/inf (an empty cell stands for 'not applicable')."""
    names = list(columns)
    n = {len(v) for v in columns.values()}
    if len(n) != 1:
        raise ValueError(f"columns: unequal lengths {n}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for row in zip(*columns.values()):
        out = []
        for v in row:
            if v is None or v == "":
                out.append("")
            elif isinstance(v, (float, np.floating)):
                check_finite(float(v), str(path))
                out.append(repr(float(v)))
            else:
                out.append(str(v))
        w.writerow(out)
    return atomic_write(path, buf.getvalue())


def save_figure(fig, stem) -> list:
    """Save ``fig`` as ``stem.pdf`` and ``stem.png`` atomically; close it."""
    stem = Path(stem)
    paths = []
    for ext in ("pdf", "png"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext)
        paths.append(atomic_write(stem.with_suffix(f".{ext}"), buf.getvalue(), binary=True))
    plt.close(fig)
    return paths
