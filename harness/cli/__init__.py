"""The `harness` command line: one module per command group, sharing output helpers and options."""

from __future__ import annotations

from harness.cli.main import main

__all__ = ["main"]
