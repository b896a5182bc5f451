"""The `harness` command line: one module per command group, sharing output helpers and options."""

from __future__ import annotations

from harness.cli.app import cli, main

__all__ = ["cli", "main"]
