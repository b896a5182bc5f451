"""A plugin whose leaderboard definition names a metric its task does not compute (a typo)."""

from harness import hookimpl


@hookimpl
def register_leaderboards(register):
    register({"name": "doubling-typo", "tasks": [{"task": "doubling", "columns": ["absolute_eror"]}]})
