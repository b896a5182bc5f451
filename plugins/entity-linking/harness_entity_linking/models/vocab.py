"""The vocabulary of a local pretrained BERT checkpoint (vocab.txt, or the tokenizer that save_pretrained writes)."""

from __future__ import annotations

from pathlib import Path

from harness import ConfigError


def pretrained_vocab(path: Path) -> dict[str, int]:
    vocab_file = path / "vocab.txt"
    if vocab_file.exists():
        vocab = {line.rstrip("\n"): i for i, line in enumerate(vocab_file.read_text(encoding="utf-8").splitlines())}
    else:
        try:  # transformers 5.x save_pretrained writes tokenizer.json, not vocab.txt
            from transformers import AutoTokenizer

            vocab = dict(AutoTokenizer.from_pretrained(str(path), local_files_only=True).get_vocab())
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise ConfigError(f"model 'pipeline': no vocab.txt or loadable tokenizer in {path} ({reason})") from None
    missing = [t for t in ("[UNK]", "[CLS]", "[SEP]", "[PAD]") if t not in vocab]
    if missing:
        raise ConfigError(f"model 'pipeline': the vocabulary in {path} lacks {', '.join(missing)}")
    return vocab
