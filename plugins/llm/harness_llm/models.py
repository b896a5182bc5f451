"""`openai-chat` (an OpenAI-compatible endpoint) and `hf-local` (a local transformers checkpoint):
models that serve every task with a text interface (`Task.text`)."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, ClassVar

from harness import ConfigError, RunContext, Task, to_json
from harness_llm.prompting import TextModel
from harness_llm.served import Endpoint

#: How long received answers may wait before they are written to the request cache together: a run
#: killed in between sends at most this much work again.
CACHE_EVERY_S = 1.0


class OpenAIChat(TextModel):
    name = "openai-chat"
    description = (
        "A served chat model through the official openai client: any OpenAI-compatible endpoint (vLLM, llama.cpp, "
        "LM Studio, Ollama, hosted APIs); answers kept in the results store, never requested twice."
    )
    defaults: ClassVar[dict[str, Any]] = {
        "base_url": "",
        "model": "",
        "api_key_env": "OPENAI_API_KEY",
        "temperature": 0.0,
        "max_tokens": 256,
        "concurrency": 4,
        "timeout": 60.0,
        "retries": 3,
        "backoff": 1.0,
        "price_prompt": 0.0,
        "price_completion": 0.0,
        **TextModel.common,
    }
    batch_size = 16
    requires = ("base_url", "model")

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        c = self.config
        if int(c["concurrency"]) < 1:
            raise ConfigError(f"model 'openai-chat': concurrency must be 1 or more, got {c['concurrency']}")
        if float(c["timeout"]) <= 0:
            raise ConfigError(f"model 'openai-chat': timeout must be positive, got {c['timeout']}")
        c["base_url"] = str(c["base_url"]).rstrip("/")
        self.endpoint = Endpoint(c["base_url"], c["model"], c["api_key_env"], c["timeout"], c["retries"], c["backoff"])

    def preflight(self, task: Task) -> None:
        self._interface(task)
        self.endpoint.preflight()

    @property
    def settings(self) -> dict[str, Any]:
        """The generation settings sent with every request (part of the cache key)."""
        return {"temperature": float(self.config["temperature"]), "max_tokens": int(self.config["max_tokens"])}

    def cache_key(self, messages: list[dict[str, str]]) -> str:
        """Endpoint, model name, messages and generation settings: what decides the answer."""
        what = {"endpoint": self.endpoint.base_url, "model": self.endpoint.model, "messages": messages, **self.settings}
        return hashlib.sha256(to_json(what).encode()).hexdigest()

    def predict(self, batch: list[dict[str, Any]], ctx: RunContext) -> list[Any]:
        conversations = self.requests(batch, ctx)
        keys = [self.cache_key(m) for m in conversations]
        stored = ctx.cache.get(keys) if ctx.cache is not None else {}
        answers = {i: stored[key] for i, key in enumerate(keys) if key in stored}
        cached = set(answers)
        todo = [i for i in range(len(batch)) if i not in answers]
        if todo:
            with ThreadPoolExecutor(max_workers=min(int(self.config["concurrency"]), len(todo))) as pool:
                futures = {pool.submit(self.endpoint.complete, conversations[i], self.settings): i for i in todo}
                pending: list[dict[str, Any]] = []
                written = time.monotonic()
                try:
                    for future in as_completed(futures):
                        i = futures[future]
                        answers[i] = future.result()
                        if "error" not in answers[i]:
                            request = {"messages": conversations[i], **self.settings}
                            entry = {"endpoint": self.endpoint.base_url, "model": self.endpoint.model, "request": request}
                            pending.append({"key": keys[i], **entry, "answer": answers[i]})
                        if ctx.cache is not None and time.monotonic() - written >= CACHE_EVERY_S:
                            ctx.cache.put(pending)
                            pending, written = [], time.monotonic()
                finally:  # what was paid for is kept, even when the run stops here
                    if ctx.cache is not None:
                        ctx.cache.put(pending)
        predictions = []
        for i, inp in enumerate(batch):
            answer = answers[i]
            completion = answer.get("completion") or ""
            predictions.append(self.parse(completion, inp, ctx))
            ctx.trace(i, self._trace(conversations[i], answer, cached=i in cached))
        return predictions

    def _trace(self, messages: list[dict[str, str]], answer: dict[str, Any], cached: bool) -> dict[str, Any]:
        usage: dict[str, Any] = {"latency_s": answer.get("latency_s"), "failed": 1 if "error" in answer else 0}
        for entry in ("prompt_tokens", "completion_tokens"):
            usage[entry] = answer.get(entry)
        prices = float(self.config["price_prompt"]), float(self.config["price_completion"])
        if any(prices) and usage["prompt_tokens"] is not None and usage["completion_tokens"] is not None:
            usage["cost"] = (usage["prompt_tokens"] * prices[0] + usage["completion_tokens"] * prices[1]) / 1e6
        trace: dict[str, Any] = {"messages": messages, "completion": answer.get("completion"), "usage": usage, "cached": cached}
        trace["attempts"] = answer.get("attempts")
        if "error" in answer:
            trace["error"] = answer["error"]
        return trace


class HFLocal(TextModel):
    name = "hf-local"
    description = (
        "A local Hugging Face checkpoint folder (causal or seq2seq) through transformers: the tokenizer's chat template "
        "when it has one, greedy decoding, batched; CPU unless device=cuda."
    )
    defaults: ClassVar[dict[str, Any]] = {
        "pretrained": "",
        "device": "cpu",
        "max_new_tokens": 64,
        "batch": 8,
        **TextModel.common,
    }
    batch_size = 32
    requires = ("pretrained",)

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        if int(self.config["batch"]) < 1:
            raise ConfigError(f"model 'hf-local': batch must be 1 or more, got {self.config['batch']}")
        self._generator: Any = None

    def preflight(self, task: Task) -> None:
        from harness_llm.local import check_folder

        self._interface(task)
        check_folder(str(self.config["pretrained"]), str(self.config["device"]))

    def predict(self, batch: list[dict[str, Any]], ctx: RunContext) -> list[Any]:
        from harness_llm.local import Generator

        if self._generator is None:
            self._generator = Generator(str(self.config["pretrained"]), str(self.config["device"]))
        conversations = self.requests(batch, ctx)
        step = int(self.config["batch"])
        predictions = []
        for start in range(0, len(batch), step):
            answers = self._generator.generate(conversations[start : start + step], int(self.config["max_new_tokens"]))
            for offset, answer in enumerate(answers):
                i = start + offset
                predictions.append(self.parse(answer["completion"], batch[i], ctx))
                usage = {k: answer[k] for k in ("prompt_tokens", "completion_tokens", "latency_s")}
                ctx.trace(i, {"messages": conversations[i], "completion": answer["completion"], "usage": usage})
        return predictions


MODELS = (OpenAIChat, HFLocal)
