"""Kexue Harness plugin: models you did not write, on every task posed as text (`Task.text`).

`openai-chat` sends each sample to an OpenAI-compatible chat-completions endpoint (vLLM,
llama.cpp's server, LM Studio, Ollama, a hosted API) through the official `openai` client, with a
request cache in the results store; `hf-local` generates with `transformers` from a local
checkpoint folder. The renderer shows each sample's exchange (messages and completion) on the run
page of every task. Module scope imports neither openai, torch nor transformers.
"""

from harness import hookimpl
from harness_llm.models import MODELS
from harness_llm.render import ExchangeRenderer


@hookimpl
def register_models(register):
    for model in MODELS:
        register(model)


@hookimpl
def register_renderers(register):
    register(ExchangeRenderer)
