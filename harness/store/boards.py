"""What a leaderboard reads: finished runs with a metric, metric values, per-sample scores.

Each read goes through `query`, so inside `Store.reading()` a whole ranking is served by one
read-only connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.store.connection import Connections
from harness.store.schema import current_version

# A run made with --limit that stopped short of the split: fewer samples than the whole split.
# (A limit at least the split's size evaluates every sample and n_samples < limit shows it; a limit
# equal to the split's size cannot be told apart from a cut and counts as partial.)
PARTIAL_SQL = "coalesce(r.sample_limit IS NOT NULL AND (r.n_samples IS NULL OR r.n_samples >= r.sample_limit), false)"


class Boards(Connections):
    def task_metrics(self) -> list[dict[str, Any]]:
        """Every (task, metric) pair recorded for a run, sorted, as rows with those two keys."""
        return self.query("SELECT DISTINCT r.task, m.metric FROM runs r JOIN metrics m USING (run_id) ORDER BY ALL")

    def stored_boards(self) -> list[dict[str, Any]]:
        """For each task, the board (JSON text) and plugin of its latest finished run that stored one."""
        return self.query(
            "SELECT task, arg_max(board, finished_at) AS board, arg_max(plugin, finished_at) AS plugin FROM runs "
            "WHERE status = 'finished' AND board IS NOT NULL GROUP BY task ORDER BY task"
        )

    def finished_runs_for_board(
        self,
        task: str,
        metric: str | None = None,
        dataset: str | None = None,
        split: str | None = None,
        include_partial: bool = False,
    ) -> list[dict[str, Any]]:
        """The task's finished runs, one row each with its value of `metric` (default: its primary
        metric) and a `partial` flag (cut short by --limit; left out unless `include_partial`)."""
        metric_clause = "m.metric = ?" if metric else "m.is_primary"
        sql = (
            "SELECT r.run_id, r.model, r.model_config, r.dataset, r.split, r.n_samples, r.sample_limit, r.finished_at, "
            f"r.train_dataset, r.seed, r.data_fingerprint, {PARTIAL_SQL} AS partial, "
            "m.metric, m.value, m.ci_low, m.ci_high, m.higher_is_better, m.version "
            f"FROM runs r JOIN metrics m USING (run_id) WHERE r.task = ? AND r.status = 'finished' AND {metric_clause}"
        )
        params: list[Any] = [task, *([metric] if metric else [])]
        for column, value in (("dataset", dataset), ("split", split)):
            if value is not None:
                sql += f" AND r.{column} = ?"
                params.append(value)
        if not include_partial:
            sql += f" AND NOT {PARTIAL_SQL}"
        return self.query(sql, params)

    def metric_versions(self, task: str | None = None) -> list[dict[str, Any]]:
        """Every finished run's metrics with the version each was computed by (rows: run_id, task,
        model, metric, version, finished_at), newest run first: what tells stale values apart."""
        where, params = ("AND r.task = ?", [task]) if task else ("", [])
        return self.query(
            "SELECT r.run_id, r.task, r.model, m.metric, m.version, r.finished_at FROM runs r JOIN metrics m USING (run_id) "
            f"WHERE r.status = 'finished' {where} ORDER BY r.finished_at DESC, r.run_id, m.metric",
            params,
        )

    def complete_run_counts(self, task: str) -> list[dict[str, Any]]:
        """Per (dataset, split, data fingerprint): how many complete finished runs of the task, and
        the list of their models."""
        return self.query(
            "SELECT dataset, split, data_fingerprint, count(*) AS runs, list(DISTINCT model) AS models "
            f"FROM runs r WHERE task = ? AND status = 'finished' AND NOT {PARTIAL_SQL} GROUP BY ALL",
            [task],
        )

    def metric_values(self, run_ids: Sequence[str], names: Sequence[str]) -> list[dict[str, Any]]:
        """Value and interval of each named metric of each run (rows: run_id, metric, value, ci_low, ci_high)."""
        return self.query(
            "SELECT run_id, metric, value, ci_low, ci_high FROM metrics "
            "WHERE list_contains(?, run_id) AND list_contains(?, metric)",
            [list(run_ids), list(names)],
        )

    def metric_scores(self, run_ids: Sequence[str], metric: str) -> list[dict[str, Any]]:
        """Every sample's score for `metric` (JSON text, or None where the sample has none), by run."""
        return self.query(
            "SELECT run_id, sample_id, json_extract(scores, ?) AS score FROM samples WHERE list_contains(?, run_id)",
            [f'$."{metric}"', list(run_ids)],
        )

    def metric_score_columns(self, run_ids: Sequence[str], metric: str) -> dict[str, Any] | None:
        """The runs' scores for `metric` as NumPy columns (None when the file has no tables yet):
        `run` (position in `run_ids`), `code` (the sample id's rank among all ids read), `value`
        (the score as a number, masked where it is not one) and `odd` (a score present but no
        number: an object of statistics, a string). A JSON null (not applicable) is left out.

        Codes rank the distinct ids (few) instead of sorting every row by its id string, so
        pairing two runs is an integer intersection.
        """
        with self.connect(read_only=True) as con:
            if current_version(con) == 0:
                return None
            return con.execute(
                "WITH x AS (SELECT list_position(?, run_id) - 1 AS run, sample_id, json_extract(scores, ?) AS v "
                "FROM samples WHERE list_contains(?, run_id)), "
                "c AS (SELECT sample_id, row_number() OVER (ORDER BY sample_id) AS code FROM (SELECT DISTINCT sample_id FROM x)) "
                "SELECT run, code, TRY_CAST(v AS DOUBLE) AS value, (value IS NULL AND v::VARCHAR <> 'null') AS odd "
                "FROM x JOIN c USING (sample_id) WHERE v IS NOT NULL",
                [list(run_ids), f'$."{metric}"', list(run_ids)],
            ).fetchnumpy()
