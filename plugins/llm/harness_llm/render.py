"""The exchange behind a sample, on the run page of any task a text model ran on: the messages
sent, the completion received, tokens, latency, and why a request failed. Samples of other models
carry no trace, and get nothing from this renderer."""

from __future__ import annotations

from typing import Any

from harness import Renderer, RunRecord, SampleRecord
from harness.views import Panel, table, text


class ExchangeRenderer(Renderer):
    tasks = ("*",)

    def sample_panels(self, sample: SampleRecord, run: RunRecord) -> list[Panel]:
        return exchange_panels(sample.trace)


def exchange_panels(trace: dict[str, Any] | None) -> list[Panel]:
    if not trace or "messages" not in trace:
        return []
    conversation = "\n\n".join(f"[{m.get('role', '?')}]\n{m.get('content', '')}" for m in trace["messages"])
    panels = [text(conversation, "Request", f"{len(trace['messages'])} messages")]
    if trace.get("error"):
        panels.append(text(str(trace["error"]), "Request failed", "scored as the task's unparseable prediction"))
    else:
        caption = "answered from the request cache" if trace.get("cached") else ""
        panels.append(text(str(trace.get("completion") or ""), "Completion", caption))
    usage = trace.get("usage") or {}
    if usage:
        panels.append(table([{"measure": k, "value": v} for k, v in usage.items() if v is not None], "Usage"))
    return panels
