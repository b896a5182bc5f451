"""Sweep rows: each sweep's grid, plan and progress, as its driver records them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.records import to_json
from harness.store.connection import Connections
from harness.store.schema import has_table, utcnow

#: A sweep's (done, failed, cached) run counts.
Counts = tuple[int, int, int]


class Sweeps(Connections):
    def has_sweeps(self) -> bool:
        """An older file opened read-only (the dashboard) has no sweeps table until a sweep writes to it."""
        if not self.exists():
            return False
        with self.connect(read_only=True) as con:
            return has_table(con, "sweeps")

    def unfinished_sweep(self, grid_key: str) -> str | None:
        """The id of the latest sweep over this grid that did not finish (one to resume), if any."""
        if not self.has_sweeps():
            return None
        found = self.query(
            "SELECT sweep_id FROM sweeps WHERE grid_key = ? AND status <> 'finished' ORDER BY started_at DESC LIMIT 1",
            [grid_key],
        )
        return found[0]["sweep_id"] if found else None

    def latest_sweep(self, grid_key: str) -> str | None:
        """The id of the latest sweep over this grid, whatever its status, if any."""
        if not self.has_sweeps():
            return None
        found = self.query("SELECT sweep_id FROM sweeps WHERE grid_key = ? ORDER BY started_at DESC LIMIT 1", [grid_key])
        return found[0]["sweep_id"] if found else None

    def add_sweep(
        self,
        sweep_id: str,
        name: str | None,
        grid_key: str,
        grid: Mapping[str, Any],
        plan: Sequence[Mapping[str, Any]],
        executor: str,
        counts: Counts,
    ) -> None:
        """Record a sweep starting now, `running`, over `plan` (one entry per run of its grid)."""
        now = utcnow()
        with self.transaction() as con:
            con.execute(
                "INSERT INTO sweeps VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, NULL)",
                [sweep_id, name, grid_key, to_json(grid), to_json(plan), executor, len(plan), *counts, now, now],
            )

    def resume_sweep(self, sweep_id: str, plan: Sequence[Mapping[str, Any]], executor: str, counts: Counts) -> None:
        """Mark a stored sweep `running` again, with the plan and executor of this attempt."""
        with self.transaction() as con:
            con.execute(
                "UPDATE sweeps SET status = 'running', executor = ?, plan = ?, total = ?, done = ?, failed = ?, "
                "cached = ?, updated_at = ?, finished_at = NULL WHERE sweep_id = ?",
                [executor, to_json(plan), len(plan), *counts, utcnow(), sweep_id],
            )

    def update_sweep(self, sweep_id: str, counts: Counts, status: str | None = None) -> None:
        """Record a sweep's progress; with `status`, that it ended so (finished, failed, interrupted)."""
        now = utcnow()
        with self.transaction() as con:
            con.execute(
                "UPDATE sweeps SET done = ?, failed = ?, cached = ?, updated_at = ? WHERE sweep_id = ?", [*counts, now, sweep_id]
            )
            if status:
                con.execute("UPDATE sweeps SET status = ?, finished_at = ? WHERE sweep_id = ?", [status, now, sweep_id])

    def sweeps(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Every sweep, most recent first, in brief (no grid, no plan)."""
        if not self.has_sweeps():
            return []
        sql = (
            "SELECT sweep_id, name, status, executor, total, done, failed, cached, started_at, updated_at, finished_at "
            "FROM sweeps ORDER BY started_at DESC, sweep_id"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.query(sql)

    def sweeps_by_prefix(self, prefix: str) -> list[dict[str, Any]]:
        """The whole rows (grid and plan as JSON text) of the sweeps whose id starts with `prefix`."""
        if not self.has_sweeps():
            return []
        return self.query("SELECT * FROM sweeps WHERE starts_with(sweep_id, ?)", [prefix])
