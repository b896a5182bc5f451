"""`openai-chat` against a real local process speaking the chat-completions protocol (fake_openai.py)."""

from __future__ import annotations

import json

import pytest

from harness.store import Store


def run_args(server, *extra: str, task: str = "llm-echo") -> list[str]:
    return [
        "run", "--task", task, "--model", "openai-chat",
        "--model-arg", f"base_url={server.url}", "--model-arg", "model=tiny-chat",
        "--model-arg", "backoff=0.01", *extra, "--json",
    ]  # fmt: skip


def test_a_run_scores_every_answer_and_a_second_run_sends_nothing(server, cli):
    first = cli(*run_args(server))
    assert first.returncode == 0, first.stderr
    run = json.loads(first.stdout)
    assert run["status"] == "finished" and run["metrics"]["llm-echo-match"]["value"] == 1.0
    assert run["metrics"]["usage-failed"]["value"] == 0.0
    assert run["metrics"]["usage-completion-tokens"]["value"] == 6 * len("标题：word0000\n这是解释，不是标题。")
    # the prompt's version and the shots are part of the configuration, so of the key and the board
    assert run["model_config"]["prompt"] == "3" and run["model_config"]["shots"] == 0
    assert server.stats()["chat"] == 6

    again = json.loads(cli(*run_args(server)).stdout)
    assert again["cached"] and again["run_id"] == run["run_id"]
    assert server.stats() == {"chat": 6, "listed": 1, "auth": server.stats()["auth"]}  # not even the preflight

    # recomputed: every answer comes from the request cache; --no-cache asks again
    redone = json.loads(cli(*run_args(server, "--overwrite")).stdout)
    assert redone["metrics"]["llm-echo-match"]["value"] == 1.0 and server.stats()["chat"] == 6
    samples = Store(cli.env["HARNESS_DB"]).samples(redone["run_id"])
    assert all(s.trace["cached"] for s in samples)
    cli(*run_args(server, "--overwrite", "--no-cache"))
    assert server.stats()["chat"] == 12
    assert Store(cli.env["HARNESS_DB"]).count_requests() == 6


def test_a_longer_run_sends_only_the_requests_not_yet_answered(server, cli):
    cli(*run_args(server, "--limit", "2"))
    assert server.stats()["chat"] == 2
    run = json.loads(cli(*run_args(server)).stdout)  # another run key: the whole split
    assert run["n_samples"] == 6 and server.stats()["chat"] == 6


def test_shots_come_from_the_train_split_and_change_the_request(server, cli):
    run = json.loads(cli(*run_args(server, "--model-arg", "shots=2", "--limit", "1")).stdout)
    assert run["model_config"]["shots"] == 2
    (sample,) = Store(cli.env["HARNESS_DB"]).samples(run["run_id"])
    roles = [m["role"] for m in sample.trace["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert all(m["content"].startswith(("word01", "标题：word01")) for m in sample.trace["messages"][1:5])
    assert server.stats()["chat"] == 1


def test_429s_500s_timeouts_and_malformed_bodies_are_retried_then_a_sample_fails_and_the_run_goes_on(server, cli):
    server.configure(
        faults=[
            {"fault": "429", "match": "word0000", "times": 2},
            {"fault": "timeout", "match": "word0001", "times": 1},
            {"fault": "malformed", "match": "word0002", "times": 1},
            {"fault": "no-choices", "match": "word0003", "times": 1},
            {"fault": "500", "match": "word0004", "times": 99},
        ],
        delay=1.5,
    )
    args = run_args(server, "--model-arg", "retries=2", "--model-arg", "timeout=0.5", "--model-arg", "concurrency=3")
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["status"] == "finished" and run["metrics"]["usage-failed"]["value"] == 1.0
    assert run["metrics"]["llm-echo-match"]["value"] == pytest.approx(5 / 6)
    samples = {s.sample_id: s for s in Store(cli.env["HARNESS_DB"]).samples(run["run_id"])}
    assert samples["w4"].prediction == {"word": ""} and samples["w4"].scores["llm-echo-match"] == 0.0
    assert samples["w4"].trace["error"] == "HTTP 500: the server had an error (gave up after 3 attempts)"
    assert [samples[f"w{i}"].trace["attempts"] for i in range(6)] == [3, 2, 2, 2, 3, 1]
    # 3 + 2 + 2 + 2 + 3 + 1 requests; the failed one is not cached, so a new attempt asks again
    assert server.stats()["chat"] == 13 and Store(cli.env["HARNESS_DB"]).count_requests() == 5


def test_preflight_errors_are_one_line_before_anything_is_stored(server, cli, tmp_path):
    def error(*args: str, env_extra=None) -> str:
        result = cli(*args, env_extra=env_extra)
        assert result.returncode == 2, (result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return lines[0]

    closed = run_args(server)
    closed[closed.index(f"base_url={server.url}")] = "base_url=http://127.0.0.1:9/v1"
    assert "cannot reach base_url http://127.0.0.1:9/v1" in error(*closed)

    unlisted = run_args(server)
    unlisted[unlisted.index("model=tiny-chat")] = "model=big-chat"
    server.configure(models=["tiny-chat", "other-chat"])
    assert "does not list model 'big-chat' (it lists: other-chat, tiny-chat)" in error(*unlisted)

    server.configure(key="sk-right")
    line = error(*run_args(server))
    assert "refused the key (HTTP 401)" in line and "$OPENAI_API_KEY, which is not set" in line
    line = error(*run_args(server, "--model-arg", "api_key_env=MY_KEY"), env_extra={"MY_KEY": "sk-wrong-value-0123456789"})
    assert "$MY_KEY, which is set" in line and "sk-wrong" not in line

    assert "does not serve task 'llm-plain': it serves tasks posed as text" in error(*run_args(server, task="llm-plain"))
    assert "prompt='2', but task 'llm-echo' poses version 3" in error(*run_args(server, "--model-arg", "prompt=2"))
    assert server.stats()["chat"] == 0
    assert not Store(cli.env["HARNESS_DB"]).exists()  # nothing was recorded, not even an empty file


KEY = "sk-kexue-test-4c1d9e77f0a2b35d"


def test_the_key_reaches_the_server_and_nothing_else(server, cli, tmp_path):
    """The key's value appears in no stored, exported or printed byte, only in the request header."""
    server.configure(key=KEY, faults=[{"fault": "500", "match": "word0005", "times": 99}])
    env = {"OPENAI_API_KEY": KEY}
    outputs = [cli(*run_args(server, "--model-arg", "retries=0"), env_extra=env)]
    run_id = json.loads(outputs[0].stdout)["run_id"]
    assert json.loads(outputs[0].stdout)["metrics"]["usage-failed"]["value"] == 1.0
    assert set(server.stats()["auth"]) == {f"Bearer {KEY}"}
    outputs += [
        cli(*run_args(server), env_extra=env),
        cli("show", run_id, "--samples", "--json", env_extra=env),
        cli("runs", env_extra=env),
        cli("leaderboard", "--task", "llm-echo", env_extra=env),
        cli("export", str(tmp_path / "export"), env_extra=env),
    ]
    # a refused key, quoted back by the server, is masked in the one-line error
    wrong = "sk-kexue-wrong-99aa88bb77cc66dd"
    outputs.append(cli(*run_args(server, "--overwrite", "--no-cache"), env_extra={"OPENAI_API_KEY": wrong}))
    assert outputs[-1].returncode == 2 and "refused the key" in outputs[-1].stderr
    files = [tmp_path / "results.duckdb", *sorted((tmp_path / "export").iterdir())]
    for secret in (KEY, wrong, KEY[:16], wrong[:16]):
        for output in outputs:
            assert secret not in output.stdout + output.stderr
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
    assert json.loads(outputs[2].stdout)["model_config"]["api_key_env"] == "OPENAI_API_KEY"


def test_the_run_page_shows_each_samples_exchange(server, cli):
    import harness_llm
    import llm_toy

    from harness.testing import render_sample, run_plugin

    result = run_plugin(
        [harness_llm, llm_toy], "llm-echo", model="openai-chat",
        model_args={"base_url": server.url, "model": "tiny-chat"}, limit=1,
    )  # fmt: skip
    panels = render_sample([harness_llm, llm_toy], result, result.samples[0])
    assert [p.title for p in panels] == ["Request", "Completion", "Usage"]
    assert "[system]\nRepeat the word you are given." in panels[0].data and "[user]\nword0000" in panels[0].data
    assert panels[1].data == "标题：word0000\n这是解释，不是标题。"


@pytest.mark.slow  # titling's metrics load ROUGE and BLEU: seconds on their own
def test_titling_runs_on_a_served_model_with_rouge_and_a_second_run_sends_nothing(server, cli):
    pytest.importorskip("harness_titling")
    env = {"HARNESS_LOAD_PLUGINS": "llm,titling", "OPENAI_API_KEY": KEY}
    server.configure(key=KEY)
    first = cli(*run_args(server, "--limit", "4", task="titling"), env_extra=env)
    assert first.returncode == 0, first.stderr
    run = json.loads(first.stdout)
    assert run["status"] == "finished" and run["metrics"]["titling-rouge-l"]["value"] is not None
    samples = Store(cli.env["HARNESS_DB"]).samples(run["run_id"])
    # the first line of the completion is the title, without its label
    assert all(s.prediction["title"] == s.input["content"][:8] for s in samples)
    assert server.stats()["chat"] == 4
    assert json.loads(cli(*run_args(server, "--limit", "4", task="titling"), env_extra=env).stdout)["cached"]
    assert server.stats()["chat"] == 4
    with open(cli.env["HARNESS_DB"], "rb") as db:
        assert KEY.encode() not in db.read()
