"""A real local process speaking the OpenAI chat-completions protocol, for the tests.

    python fake_openai.py   -> prints "PORT <n>" once it listens on 127.0.0.1

GET /v1/models lists the configured models; POST /v1/chat/completions answers deterministically:
"标题：" + the first 8 characters of the last user message, then a second line (so the titling
parser must keep the first line only); token counts are character counts. Control endpoints for
the tests: POST /_config {"models": [...], "key": "..." or null, "faults": [...], "answers": [{"match": text,
"text": completion}, ...], "latency": s},
GET /_stats.
A fault is {"fault": "429" | "500" | "timeout" | "malformed" | "no-choices", "match": text or null,
"times": n}: the next n chat requests (whose last user message contains `match`) get it.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE: dict = {"models": ["tiny-chat"], "key": None, "faults": [], "answers": [], "chat": 0, "listed": 0, "auth": []}
LOCK = threading.Lock()


def completion_for(messages: list[dict]) -> str:
    last = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    with LOCK:
        scripted = [a["text"] for a in STATE["answers"] if a["match"] in last]
    if scripted:  # a test's own answer for the request whose last user message contains `match`
        return scripted[0]
    return "标题：" + last.replace("\n", "")[:8] + "\n这是解释，不是标题。"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _json(self, status: int, value: object, headers: dict | None = None) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode(), headers)

    def _authorised(self) -> bool:
        sent = self.headers.get("Authorization", "")
        with LOCK:
            STATE["auth"].append(sent)
            key = STATE["key"]
        if key is None or sent == f"Bearer {key}":
            return True
        given = sent.removeprefix("Bearer ")
        self._json(401, {"error": {"message": f"Incorrect API key provided: {given}", "type": "invalid_request_error"}})
        return False

    def do_GET(self) -> None:
        if self.path == "/_stats":
            with LOCK:
                self._json(200, {k: STATE[k] for k in ("chat", "listed", "auth")})
            return
        if self.path == "/v1/models":
            with LOCK:
                STATE["listed"] += 1
            if self._authorised():
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "tests"} for m in STATE["models"]]
                self._json(200, {"object": "list", "data": data})
            return
        self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path == "/_config":
            with LOCK:
                STATE.update(body)
                STATE.update(chat=0, listed=0, auth=[])
            self._json(200, {"ok": True})
            return
        if self.path != "/v1/chat/completions":
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        with LOCK:
            STATE["chat"] += 1
        if not self._authorised():
            return
        if body.get("model") not in STATE["models"]:
            self._json(404, {"error": {"message": f"model {body.get('model')} not found"}})
            return
        last = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
        fault = None
        with LOCK:
            for rule in STATE["faults"]:
                if rule.get("times", 1) > 0 and (rule.get("match") is None or rule["match"] in last):
                    rule["times"] = rule.get("times", 1) - 1
                    fault = rule["fault"]
                    break
        if fault == "429":
            self._json(429, {"error": {"message": "rate limited"}}, {"retry-after-ms": "5"})
        elif fault == "500":
            self._json(500, {"error": {"message": "the server had an error"}})
        elif fault == "timeout":
            time.sleep(float(STATE.get("delay", 2.0)))
            self._json(200, {"error": "too late"})
        elif fault == "malformed":
            self._send(200, b"{not json at all", kind="application/json")
        elif fault == "no-choices":
            self._json(200, {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"], "choices": []})
        else:
            time.sleep(float(STATE.get("latency", 0.0)))  # what a real server takes to answer
            text = completion_for(body["messages"])
            prompt = sum(len(m["content"]) for m in body["messages"])
            self._json(
                200,
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": prompt, "completion_tokens": len(text), "total_tokens": prompt + len(text)},
                },
            )


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
