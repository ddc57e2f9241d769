"""The figure registry: each figure is a small spec with a config per size and a builder.

A builder ``build(config, out_dir, *, progress) -> list[Path]`` computes its data,
writes the data file (CSV/JSON) first, then the picture (PDF and PNG), all via
:func:`paper_figs.io.save_*` (atomic).  ``config`` holds everything that changes the
numbers, seeds included, so the manifest can decide when to rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

FIGURES: dict = {}


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: str
    build: Callable = field(repr=False)
    configs: dict = field(repr=False)  # size name ("tiny", "default", "full") -> config dict
    module: str = ""

    def config(self, size: str) -> dict:
        return dict(self.configs[size])


def register(name: str, title: str, configs: dict):
    """Decorator adding a builder to :data:`FIGURES`."""
    missing = {"tiny", "default", "full"} - set(configs)
    if missing:
        raise ValueError(f"configs: figure {name} lacks sizes {sorted(missing)}")

    def deco(fn):
        FIGURES[name] = FigureSpec(name, title, fn, configs, fn.__module__)
        return fn

    return deco
