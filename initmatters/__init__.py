"""Command line of the ``initmatters`` package (sits on top of theory, numerics, validation, paper_figs)."""

__version__ = "0.1.0"
