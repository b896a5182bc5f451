"""`hf-local` on tiny checkpoints built from a config and saved to a temporary folder (no download)."""

from __future__ import annotations

import json

import pytest

from harness.store import Store

pytest.importorskip("transformers")

ALPHABET = list("abcdefghijklmnopqrstuvwxyz0123456789:：标题 \n[]/<>_|.")  # anything else reads as <unk>
TEMPLATE = "{% for m in messages %}[{{ m.role }}]{{ m.content }}\n{% endfor %}[assistant]"


def char_tokenizer(template: str | None):
    """A character-level fast tokenizer (every character of the toy task's prompts is in it)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "<unk>", "<eos>", *dict.fromkeys(ALPHABET)])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>")
    if template:
        tokenizer.chat_template = template
    return tokenizer, len(vocab)


@pytest.fixture(params=["causal", "seq2seq+template"])
def checkpoint(request, tmp_path):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    template = TEMPLATE if "template" in request.param else None
    tokenizer, size = char_tokenizer(template)
    if request.param.startswith("seq2seq"):
        config = T5Config(
            vocab_size=size, d_model=16, d_kv=4, d_ff=32, num_layers=1, num_decoder_layers=1, num_heads=2,
            pad_token_id=0, eos_token_id=2, decoder_start_token_id=0,
        )  # fmt: skip
        model = T5ForConditionalGeneration(config)
    else:
        config = GPT2Config(vocab_size=size, n_positions=512, n_embd=16, n_layer=1, n_head=2, pad_token_id=0, eos_token_id=2)
        model = GPT2LMHeadModel(config)
    folder = tmp_path / request.param
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_a_local_checkpoint_answers_every_sample_with_its_exchange(checkpoint, cli):
    folder = checkpoint
    args = ["run", "--task", "llm-echo", "--model", "hf-local", "--model-arg", f"pretrained={folder}"]
    result = cli(*args, "--model-arg", "max_new_tokens=4", "--model-arg", "batch=4", "--model-arg", "shots=1", "--json")
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["status"] == "finished" and run["n_samples"] == 6
    assert run["model_config"]["prompt"] == "3" and run["metrics"]["llm-echo-match"]["value"] is not None
    assert run["metrics"]["usage-prompt-tokens"]["value"] > 6 * len("word0000")
    samples = Store(cli.env["HARNESS_DB"]).samples(run["run_id"])
    for sample in samples:
        assert [m["role"] for m in sample.trace["messages"]] == ["system", "user", "assistant", "user"]
        assert sample.trace["usage"]["completion_tokens"] <= 4
        assert sample.prediction == {"word": sample.trace["completion"].splitlines()[0].removeprefix("标题：").strip()} or (
            not sample.trace["completion"].strip()
        )
    # greedy decoding in batches: a second recomputation gives the same completions
    again = json.loads(cli(*args, "--model-arg", "max_new_tokens=4", "--model-arg", "batch=4", "--model-arg", "shots=1",
                               "--overwrite", "--json").stdout)  # fmt: skip
    assert [s.trace["completion"] for s in Store(cli.env["HARNESS_DB"]).samples(again["run_id"])] == [
        s.trace["completion"] for s in samples
    ]


def test_a_folder_that_is_not_a_checkpoint_is_one_line(cli, tmp_path):
    result = cli("run", "--task", "llm-echo", "--model", "hf-local", "--model-arg", f"pretrained={tmp_path}")
    assert result.returncode == 2
    assert result.stderr.strip() == f"Error: hf-local: pretrained={tmp_path} is not a checkpoint folder (no config.json there)"


def test_cuda_asked_where_there_is_none_is_one_line(cli, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    (tmp_path / "config.json").write_text("{}")
    args = ["--model-arg", f"pretrained={tmp_path}", "--model-arg", "device=cuda"]
    result = cli("run", "--task", "llm-echo", "--model", "hf-local", *args)
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: hf-local: device=cuda, but torch sees no CUDA device here (use device=cpu)"
