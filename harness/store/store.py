"""`Store`: the results database, read and written through methods named for what they answer.

The methods live with the tables they touch (runs.py, samples.py, sweeps.py, boards.py); the
connection handling they share is connection.py's.
"""

from __future__ import annotations

from harness.store.boards import Boards
from harness.store.history import History
from harness.store.requests import Requests
from harness.store.runs import Runs
from harness.store.samples import Samples
from harness.store.schema import TABLES, current_version
from harness.store.sweeps import Sweeps


class Store(Runs, Samples, Sweeps, Boards, History, Requests):
    """The results database (DuckDB): runs, their metrics, samples and artifacts, sweeps, and the
    request cache of served models.

    Plugins and scripts read results through it (`get_run`, `runs`, `samples`, `artifacts`, `query`);
    `Store()` opens `$HARNESS_DB`, else `harness.duckdb` in the harness home.
    """

    def counts(self) -> dict[str, int]:
        """Rows per table (runs, metrics, samples, artifacts)."""
        if not self.exists():
            return dict.fromkeys(TABLES, 0)
        with self.connect(read_only=True) as con:
            if current_version(con) == 0:
                return dict.fromkeys(TABLES, 0)
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
