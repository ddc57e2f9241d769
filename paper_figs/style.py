"""One figure style: colour-blind-safe (Okabe–Ito) colours, one per scheme, mathtext labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SCHEME_COLOURS = {"lecun": "#0072B2", "xavier": "#009E73", "he": "#D55E00", "ntk": "#CC79A7"}
SCHEME_MARKERS = {"lecun": "o", "xavier": "s", "he": "^", "ntk": "D"}
SCHEME_LABELS = {"lecun": "LeCun", "xavier": "Xavier", "he": "He", "ntk": "NTK"}
EXTRA_COLOURS = ["#E69F00", "#56B4E9", "#F0E442", "#000000"]

SINGLE_COLUMN = (3.4, 2.5)  # inches: readable at single-column width
RC = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.3, "lines.markersize": 3.5,
    "axes.grid": True, "grid.alpha": 0.3, "savefig.dpi": 200, "figure.dpi": 100,
    "pdf.fonttype": 42, "savefig.bbox": "tight", "mathtext.fontset": "cm",
    "svg.hashsalt": "initmatters", "path.simplify": False,
}


def figure(ncols: int = 1, nrows: int = 1, width_scale: float = 1.0):
    """A new figure at single-column size (wider with ``ncols`` panels)."""
    plt.rcParams.update(RC)
    w, h = SINGLE_COLUMN
    fig, axes = plt.subplots(nrows, ncols, figsize=(w * width_scale * (1 if ncols == 1 else 0.75 * ncols),
                                                    h * (1 if nrows == 1 else 0.8 * nrows)), squeeze=False)
    return fig, axes


def integer_ticks(ax):
    """Integer tick labels on the x-axis (depths)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def legend_below(fig, ax, ncol: int = 4):
    """One legend for the whole figure under its panels (entries from ``ax``), then a tight layout."""
    handles, labels = ax.get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False)
