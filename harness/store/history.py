"""Re-scored runs: new per-sample scores and metric values written over the old in one transaction,
and the values they replaced kept in `metric_history` with when and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.records import Artifact, MetricValue, to_json
from harness.store.connection import Connections, rows
from harness.store.errors import StoreError
from harness.store.runs import INSERT_METRIC, metric_row
from harness.store.schema import current_version, has_table, utcnow


class History(Connections):
    def replace_scores(
        self,
        run_id: str,
        scores: Sequence[tuple[str, Mapping[str, Any], Mapping[str, str]]],
        metrics: Sequence[MetricValue],
        replaced: Sequence[tuple[MetricValue, MetricValue, str]] = (),
        descriptions: Mapping[str, str] | None = None,
        artifacts: Sequence[Artifact] = (),
    ) -> None:
        """Write a re-scored run: each sample's whole `scores` and `versions` (sample id, scores,
        versions), the metric rows in `metrics` and the `artifacts` (each replacing the one of its
        name), and a history row for each (old, new, reason) in `replaced`. One transaction: an
        interrupted re-score leaves the run as it was."""
        import pyarrow as pa

        from harness.store.arrow import column, table

        rescored = table(
            {
                "sample_id": column([sample_id for sample_id, _, _ in scores], pa.string()),
                "scores": column([to_json(s) for _, s, _ in scores], pa.string()),
                "versions": column([to_json(v) for _, _, v in scores], pa.string()),
            }
        )
        now = utcnow()
        with self.transaction() as con:
            status = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchall()
            if status != [("finished",)]:  # replaced (`--overwrite`) or deleted meanwhile: nothing to write over
                raise StoreError(f"run {run_id} was replaced or removed while it was re-scored; nothing was written for it")
            con.register("rescored_samples", rescored)
            con.execute(
                "UPDATE samples SET scores = r.scores::JSON, versions = r.versions::JSON FROM rescored_samples r "
                "WHERE samples.run_id = ? AND samples.sample_id = r.sample_id",
                [run_id],
            )
            con.unregister("rescored_samples")
            for old, new, reason in replaced:
                con.execute(
                    "INSERT INTO metric_history (run_id, metric, version, value, ci_low, ci_high, new_version, new_value, "
                    "replaced_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, old.name, old.version, old.value, old.ci_low, old.ci_high, new.version, new.value, now, reason],
                )
            con.execute("DELETE FROM metrics WHERE run_id = ? AND list_contains(?, metric)", [run_id, [m.name for m in metrics]])
            for a in artifacts:
                con.execute("DELETE FROM artifacts WHERE run_id = ? AND name = ?", [run_id, a.name])
                con.execute("INSERT INTO artifacts VALUES (?, ?, ?, ?)", [run_id, a.name, a.kind, a.data])
            for m in metrics:
                con.execute(INSERT_METRIC, metric_row(run_id, m, descriptions))

    def metric_history(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Values `harness rescore` replaced, oldest first (rows: run_id, metric, version, value,
        ci_low, ci_high, new_version, new_value, replaced_at, reason)."""
        with self.connect(read_only=True) as con:
            if current_version(con) == 0 or not has_table(con, "metric_history"):
                return []
            where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
            return rows(con, f"SELECT * FROM metric_history {where} ORDER BY replaced_at, run_id, metric", params)
