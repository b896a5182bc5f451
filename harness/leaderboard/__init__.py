"""Leaderboards: their definitions (TOML files and plugins' registrations), ranking stored runs
into boards with confidence intervals and paired tests, seed-aware rows, and run-to-run comparison.

The `kexue-2019` overview ships in `boards/` so that installs without a checkout have it.
"""
