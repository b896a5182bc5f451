"""The request cache: answers a served model already received, so that none is paid for twice.

A model that sends requests (`openai-chat`) looks a batch up by keys it computes from the
endpoint, the model name, the messages and the generation settings (one read), and stores new
answers as they arrive, at most a second apart, before the samples are scored: a run killed
mid-batch resumes without sending again what was answered. The table holds what was sent and
received, never a key or a header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.records import to_json
from harness.store.connection import Connections
from harness.store.schema import has_table, utcnow


class Requests(Connections):
    def cached_answers(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The answers stored under any of `keys`, by key (none when the file has no cache yet)."""
        if not keys or not self.exists():
            return {}
        with self.connect(read_only=True) as con:
            if not has_table(con, "requests"):
                return {}
            found = con.execute("SELECT cache_key, answer FROM requests WHERE list_contains(?, cache_key)", [list(keys)])
            return {key: json.loads(answer) for key, answer in found.fetchall()}

    def cache_answers(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Store answers ({key, endpoint, model, request, answer} each) in one transaction, replacing
        older ones under the same keys (`--no-cache` asked again)."""
        if not entries:
            return
        import pyarrow as pa

        from harness.store.arrow import column, table

        latest = {e["key"]: e for e in entries}  # one row per key: the last answer given for it
        text = pa.string()
        incoming = table(
            {
                "cache_key": column(list(latest), text),
                "endpoint": column([e["endpoint"] for e in latest.values()], text),
                "model": column([e["model"] for e in latest.values()], text),
                "request": column([to_json(e["request"]) for e in latest.values()], text),
                "answer": column([to_json(e["answer"]) for e in latest.values()], text),
                "created_at": column([utcnow()] * len(latest), pa.timestamp("us")),
            }
        )
        # one statement for the batch (a row-by-row executemany costs about a millisecond a row)
        with self.transaction() as con:
            con.register("incoming_requests", incoming)
            con.execute("INSERT OR REPLACE INTO requests BY NAME SELECT * FROM incoming_requests")
            con.unregister("incoming_requests")

    def count_requests(self) -> int:
        """How many answers the cache holds."""
        if not self.exists():
            return 0
        with self.connect(read_only=True) as con:
            if not has_table(con, "requests"):
                return 0
            return int(con.execute("SELECT count(*) FROM requests").fetchall()[0][0])


class StoreCache:
    """A store's request cache as `RunContext.cache` (harness.context.RequestCache); with
    `reads=False` (`harness run --no-cache`) it answers nothing and still stores every answer."""

    def __init__(self, store: Requests, reads: bool = True) -> None:
        self.store, self.reads = store, reads

    def get(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        return self.store.cached_answers(keys) if self.reads else {}

    def put(self, entries: Sequence[Mapping[str, Any]]) -> None:
        self.store.cache_answers(entries)
