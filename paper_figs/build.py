"""Build figures: staging, atomic replacement, a manifest, reuse of unchanged figures.

Each figure is built into a private staging folder, then its files replace the
old ones (``os.replace``, atomic per file); ``manifest.json`` is written last, so an
interrupted run leaves the previous outputs and a manifest that still describes
them (a half-replaced figure has hashes that no longer match and is rebuilt).  A
figure whose config, code and package version are unchanged, and whose files
still match their recorded hashes, is reused unless ``force``.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from tqdm import tqdm

from paper_figs.registry import FIGURES
from validation.artifacts import atomic_write, dumps, sha256

FIGURE_MODULES = ("paper_figs.fig_grad_norm", "paper_figs.fig_layer_share", "paper_figs.fig_kl_bound_map",
                  "paper_figs.fig_training", "paper_figs.fig_tightness", "paper_figs.fig_utility",
                  "paper_figs.fig_spread", "paper_figs.fig_table")
MANIFEST = "manifest.json"


def load_all():
    for mod in FIGURE_MODULES:
        importlib.import_module(mod)
    return FIGURES


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in ("initmatters", "numpy", "scipy", "sympy", "jax", "jaxlib", "matplotlib"):
        try:
            from importlib.metadata import version
            out[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing optional library is just not listed
            out[name] = None
    return out


def git_commit() -> str | None:
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=10)
        return (res.stdout.strip() or None) if res.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _key(spec, config) -> str:
    src = inspect.getsource(sys.modules[spec.module])
    blob = json.dumps({"config": config, "code": hashlib.sha256(src.encode()).hexdigest(),
                       "version": versions().get("initmatters")}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _reusable(entry, key, out) -> bool:
    if not entry or entry.get("status") != "ok" or entry.get("key") != key:
        return False
    for fname, digest in entry.get("files", {}).items():
        p = out / fname
        if not p.exists() or sha256(p) != digest:
            return False
    return True


def build_figures(names=None, *, size: str = "default", out_dir="paper_figs/out",
                  force: bool = False, quiet: bool = False, extra=None) -> dict:
    """Build the named figures (all by default); return the manifest.

    ``extra``: optional callables ``f(out_dir) -> dict`` run after the figures
    (the validation report); each returns manifest entries.
    """
    figures = load_all()
    names = list(figures) if not names else list(names)
    unknown = [n for n in names if n not in figures]
    if unknown:
        raise ValueError(f"only: unknown figure(s) {', '.join(unknown)}; choose from {', '.join(figures)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".staging-*"):  # left by a run that was killed outright (SIGKILL, power loss)
        shutil.rmtree(stale, ignore_errors=True)
    old = {}
    if (out / MANIFEST).exists():
        try:
            old = json.loads((out / MANIFEST).read_text()).get("figures", {})
        except (json.JSONDecodeError, OSError):
            old = {}
    manifest = {"size": size, "versions": versions(), "git_commit": git_commit(),
                "platform": platform.platform(), "figures": dict(old)}
    for name in names:
        spec = figures[name]
        config = spec.config(size)
        key = _key(spec, config)
        if not force and _reusable(old.get(name), key, out):
            if not quiet:
                print(f"[{name}] unchanged, reused", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=out))
        bar = tqdm(desc=name, disable=quiet, file=sys.stderr, leave=False, unit="step")
        try:
            files = spec.build(config, staging, progress=bar.update)
            hashes = {}
            for f in files:
                f = Path(f)
                hashes[f.name] = sha256(f)
                os.replace(f, out / f.name)
            manifest["figures"][name] = {
                "status": "ok", "title": spec.title, "key": key, "config": config,
                "seed": config.get("seed"), "runtime_s": round(time.perf_counter() - t0, 3),
                "files": hashes, "size": size,
            }
            if not quiet:
                print(f"[{name}] built in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - one figure's failure must not stop the others
            manifest["figures"][name] = {
                "status": "failed", "title": spec.title, "key": None, "config": config,
                "error": f"{type(exc).__name__}: {exc}", "size": size,
                "traceback": traceback.format_exc(limit=5),
            }
            print(f"[{name}] FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        finally:
            bar.close()
            shutil.rmtree(staging, ignore_errors=True)
        atomic_write(out / MANIFEST, dumps(manifest) + "\n")  # an interrupted run keeps what it finished
    for fn in extra or ():
        manifest.setdefault("reports", {}).update(fn(out))
    atomic_write(out / MANIFEST, dumps(manifest) + "\n")
    return manifest
