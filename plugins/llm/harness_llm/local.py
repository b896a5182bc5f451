"""Generation from a local Hugging Face checkpoint folder: causal or seq2seq, chat template when the
tokenizer has one, greedy, in batches (left-padded for causal models). Imports torch and
transformers only here, when `hf-local` first predicts."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import ConfigError


def check_folder(folder: str, device: str) -> None:
    """One line before the first sample when the folder or the device cannot serve."""
    if not folder:
        raise ConfigError("hf-local needs --model-arg pretrained=PATH (a local folder saved with save_pretrained)")
    path = Path(folder).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(f"hf-local: pretrained={folder} is not a checkpoint folder (no config.json there)")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ConfigError(f"hf-local: device must be cpu, cuda or cuda:N, got {device!r}")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ConfigError(f"hf-local: device={device}, but torch sees no CUDA device here (use device=cpu)")


def plain_prompt(messages: Sequence[dict[str, str]]) -> str:
    """The conversation as text for a tokenizer without a chat template."""
    lines = [f"{m['role']}: {m['content']}" for m in messages]
    return "\n\n".join(lines) + "\n\nassistant:"


class Generator:
    def __init__(self, folder: str, device: str) -> None:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        path = str(Path(folder).expanduser())
        config = AutoConfig.from_pretrained(path, local_files_only=True)
        self.seq2seq = bool(getattr(config, "is_encoder_decoder", False))
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.tokenizer.padding_side = "right" if self.seq2seq else "left"
        loader = AutoModelForSeq2SeqLM if self.seq2seq else AutoModelForCausalLM
        self.device = torch.device(device)
        self.model = loader.from_pretrained(path, local_files_only=True).to(self.device).eval()
        self.torch = torch

    def prompt(self, messages: Sequence[dict[str, str]]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
            return str(text)
        return plain_prompt(messages)

    def generate(self, conversations: Sequence[Sequence[dict[str, str]]], max_new_tokens: int) -> list[dict[str, Any]]:
        """Greedy completions of a batch, with each one's token counts and its share of the time."""
        start = time.monotonic()
        prompts = [self.prompt(m) for m in conversations]
        encoded = self.tokenizer(prompts, return_tensors="pt", padding=True).to(self.device)
        pad = self.tokenizer.pad_token_id
        with self.torch.no_grad():
            output = self.model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, pad_token_id=pad)
        generated = output if self.seq2seq else output[:, encoded["input_ids"].shape[1] :]
        share = (time.monotonic() - start) / max(1, len(prompts))
        answers = []
        for row, mask in zip(generated, encoded["attention_mask"], strict=True):
            tokens = [int(t) for t in row.tolist()]
            special = set(self.tokenizer.all_special_ids)
            kept = [t for t in tokens if t not in special]
            answers.append(
                {
                    "completion": self.tokenizer.decode(kept, skip_special_tokens=True),
                    "prompt_tokens": int(mask.sum()),
                    "completion_tokens": len(kept),
                    "latency_s": share,
                }
            )
        return answers
