"""One OpenAI-compatible chat-completions endpoint, through the official `openai` client.

The client's own retries are off: this module retries 429s, 5xx answers, timeouts, dropped
connections and malformed bodies itself, with a doubling wait (bounded; a server's Retry-After is
honoured up to a minute), and then reports the sample as failed with the reason instead of failing
the run. A 401 ends the run: every later request would be refused too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from harness import ConfigError, HarnessError
from harness_llm.secrets import NO_KEY, read_key, redact

#: The longest wait between two attempts, and the longest Retry-After honoured (seconds).
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 60.0
RETRYABLE = {408, 409, 429}


class Unauthorized(HarnessError):
    """The endpoint refused the key: the run cannot go on."""


class Endpoint:
    def __init__(self, base_url: str, model: str, api_key_env: str, timeout: float, retries: int, backoff: float) -> None:
        self.base_url, self.model, self.api_key_env = base_url.rstrip("/"), model, api_key_env
        self.timeout, self.retries, self.backoff = timeout, max(0, retries), max(0.0, backoff)
        self._client: Any = None

    @property
    def key(self) -> str | None:
        return read_key(self.api_key_env)

    def client(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(base_url=self.base_url, api_key=self.key or NO_KEY, timeout=self.timeout, max_retries=0)
        return self._client

    def _refused(self, status: int) -> str:
        state = "set" if self.key else "not set"
        return (
            f"{self.base_url} refused the key (HTTP {status}): it was read from ${self.api_key_env}, which is {state}; "
            f"set {self.api_key_env} or name another variable with --model-arg api_key_env=NAME"
        )

    def preflight(self) -> list[str]:
        """One request before the first sample: the endpoint answers, accepts the key and serves
        the model. Returns the models it lists; raises ConfigError with one line otherwise."""
        import openai

        if not self.base_url:
            raise ConfigError(
                "openai-chat needs --model-arg base_url=URL (an OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1)"
            )
        try:
            listed = sorted(m.id for m in self.client().models.list(timeout=min(self.timeout, 30.0)))
        except openai.AuthenticationError:
            raise ConfigError(self._refused(401)) from None
        except openai.PermissionDeniedError:
            raise ConfigError(self._refused(403)) from None
        except openai.NotFoundError:
            listed = []  # an endpoint without GET /models: the first request says whether the model exists
        except openai.APIConnectionError as exc:
            cause = self._message(exc.__cause__ or exc) or type(exc).__name__
            raise ConfigError(
                f"cannot reach base_url {self.base_url} ({cause}): start the server or correct --model-arg base_url"
            ) from None
        except openai.APIStatusError as exc:
            raise ConfigError(f"{self.base_url} answered HTTP {exc.status_code} to GET /models: {self._message(exc)}") from None
        except Exception as exc:  # a body that is not a model list: not an OpenAI-compatible endpoint
            raise ConfigError(
                f"{self.base_url} did not answer GET /models as an OpenAI-compatible endpoint does "
                f"({type(exc).__name__}): check base_url (it usually ends in /v1)"
            ) from None
        if not self.model:
            lists = ", ".join(listed) or "nothing"
            raise ConfigError(f"openai-chat needs --model-arg model=NAME ({self.base_url} lists: {lists})")
        if listed and self.model not in listed:
            raise ConfigError(f"{self.base_url} does not list model {self.model!r} (it lists: {', '.join(listed)})")
        return listed

    def _message(self, exc: Any) -> str:
        """The first line of what went wrong, as the server put it, never holding the key."""
        body = getattr(exc, "body", None)
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            text = body["message"]
        else:
            text = str(getattr(exc, "message", "") or exc)
        line = redact(text, self.key).strip().splitlines()[0] if text.strip() else ""
        return line[:300]

    def complete(self, messages: Sequence[Mapping[str, str]], settings: Mapping[str, Any]) -> dict[str, Any]:
        """The answer to one request: {completion, prompt_tokens, completion_tokens, latency_s,
        attempts}, or {error, latency_s, attempts} once the retries are spent. Never raises but
        `Unauthorized`."""
        import openai

        attempts = self.retries + 1
        waited = 0.0
        reason = ""
        for attempt in range(1, attempts + 1):
            start = time.monotonic()
            retry_after: float | None = None
            try:
                response = self.client().chat.completions.create(model=self.model, messages=list(messages), **settings)
                completion = response.choices[0].message.content
                if not isinstance(completion, str):
                    raise TypeError("the first choice has no message content")
            except openai.AuthenticationError:
                raise Unauthorized(self._refused(401)) from None
            except openai.APITimeoutError:
                reason = f"timed out after {self.timeout:g} s"
            except openai.APIConnectionError as exc:
                reason = f"connection failed: {self._message(exc.__cause__ or exc)}"
            except openai.APIStatusError as exc:
                reason = f"HTTP {exc.status_code}: {self._message(exc)}"
                if exc.status_code not in RETRYABLE and exc.status_code < 500:
                    return {"error": reason, "latency_s": waited + time.monotonic() - start, "attempts": attempt}
                retry_after = _retry_after(exc.response.headers)
            except Exception as exc:  # a body that is not a chat completion
                reason = f"malformed answer ({type(exc).__name__}: {self._message(exc)})"
            else:
                usage = getattr(response, "usage", None)
                return {
                    "completion": completion,
                    "prompt_tokens": getattr(usage, "prompt_tokens", None),
                    "completion_tokens": getattr(usage, "completion_tokens", None),
                    "finish_reason": getattr(response.choices[0], "finish_reason", None),
                    "latency_s": time.monotonic() - start,
                    "attempts": attempt,
                }
            waited += time.monotonic() - start
            if attempt < attempts:
                pause = min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF_S)
                if retry_after is not None:
                    pause = max(pause, min(retry_after, MAX_RETRY_AFTER_S))
                time.sleep(pause)
        gave_up = f"{reason} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})"
        return {"error": gave_up, "latency_s": waited, "attempts": attempts}


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                return None
    return None
