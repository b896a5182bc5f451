"""Plugins used by the core tests, loaded explicitly (fixtures or HARNESS_PLUGINS), never installed."""
