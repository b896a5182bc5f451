"""The request cache: answers a served model already received, so that none is paid for twice.

A model that sends requests (`openai-chat`) looks each one up by a key it computes from the
endpoint, the model name, the messages and the generation settings, and stores each new answer at
once, before the sample is scored: a run killed mid-batch resumes without sending again what was
answered. The table holds what was sent and received, never a key or a header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from harness.records import to_json
from harness.store.connection import Connections
from harness.store.schema import has_table, utcnow


class Requests(Connections):
    def cached_answer(self, cache_key: str) -> dict[str, Any] | None:
        """The answer stored under `cache_key`, or None (also when the file has no cache yet)."""
        if not self.exists():
            return None
        with self.connect(read_only=True) as con:
            if not has_table(con, "requests"):
                return None
            found = con.execute("SELECT answer FROM requests WHERE cache_key = ?", [cache_key]).fetchall()
        return json.loads(found[0][0]) if found else None

    def cache_answer(
        self, cache_key: str, endpoint: str, model: str, request: Mapping[str, Any], answer: Mapping[str, Any]
    ) -> None:
        """Store `answer` under `cache_key`, replacing an older one (`--no-cache` asked again)."""
        with self.transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?, ?)",
                [cache_key, endpoint, model, to_json(request), to_json(answer), utcnow()],
            )

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

    def get(self, key: str) -> dict[str, Any] | None:
        return self.store.cached_answer(key) if self.reads else None

    def put(self, key: str, endpoint: str, model: str, request: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
        self.store.cache_answer(key, endpoint, model, request, answer)
