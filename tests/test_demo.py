"""`harness demo`: the packaged demo sweep, its boards, and a re-run that answers from the database."""

from __future__ import annotations

from importlib import metadata

import pytest

from harness.plugins.registry import get_registry
from harness.sweep import demo
from harness.sweep.driver import expand

BUILT_IN = ("celeba-recon", "entity-linking", "geometry", "independence", "nl2sql", "titling")

#: What the README says `make demo` runs: each family's default model against its baseline.
DOCUMENTED = {
    ("random-angles", "closed-form"),
    ("random-angles", "monte-carlo"),
    ("random-angles", "laplace"),
    ("rope-curve", "analytic"),
    ("ellipse-gluing", "elliptic"),
    ("independence", "hsic"),
    ("independence", "pearson"),
    ("nl2sql", "bert"),
    ("nl2sql", "rules"),
    ("celeba-recon", "vq-vae"),
    ("celeba-recon", "jpeg"),
    ("entity-linking", "pipeline"),
    ("entity-linking", "alias-prior"),
    ("titling", "l2r"),
    ("titling", "r2l"),
    ("titling", "bidirectional"),
    ("titling", "lead"),
}
TRAINED = {("nl2sql", "bert"), ("celeba-recon", "vq-vae"), ("entity-linking", "pipeline"), ("titling", "l2r")}


def test_the_packaged_demo_runs_each_family_default_against_its_baseline_trainings_first(monkeypatch):
    installed = {ep.name for ep in metadata.entry_points(group="harness")}
    if not set(BUILT_IN) <= installed:
        pytest.skip(f"built-in plugins not installed: {', '.join(sorted(set(BUILT_IN) - installed))}")
    monkeypatch.setenv("HARNESS_LOAD_PLUGINS", ",".join(BUILT_IN))
    spec = demo.demo_spec()
    assert demo.DEMO_FILE.parent.name == "sweep" and spec.executor == "processes" and spec.seeds == [0]
    pairs = [(r.task, r.model) for r in expand(get_registry(), spec)]
    assert len(pairs) == len(set(pairs)) and set(pairs) == DOCUMENTED
    # longest first: the four trainings start before anything else, titling's network before the
    # decodings that load it
    assert set(pairs[:4]) == TRAINED and pairs[0] == ("titling", "l2r")


DEMO = """
name = "demo"
executor = "local"
runs = [{ task = "doubling", model = "noisy" }, { task = "arith" }]
"""


def test_demo_runs_its_sweep_prints_its_boards_and_a_rerun_answers_from_the_database(harness_cli, tmp_path, monkeypatch):
    spec = tmp_path / "demo.toml"
    spec.write_text(DEMO)
    monkeypatch.setattr(demo, "DEMO_FILE", spec)

    first = harness_cli("demo")
    assert "demo: 3 runs finished (0 from the database), 0 failed" in first.stdout
    assert "demo: 3 runs (0 already stored) on local" in first.stderr
    # a board for each task where the demo compares models (doubling: exact and noisy), then the overview
    assert "doubling · doubling-synth-v1/test" in first.stdout and "squaring ·" not in first.stdout
    assert first.stdout.index("doubling ·") < first.stdout.index("Kexue 2019: every task family")

    again = harness_cli("demo")
    assert "demo: 3 runs finished (3 from the database), 0 failed" in again.stdout
    assert again.stdout.split("\n", 1)[1] == first.stdout.split("\n", 1)[1]  # the same boards
    (sweep,) = harness_cli.json("sweeps")
    assert (sweep["name"], sweep["status"], sweep["done"], sweep["cached"]) == ("demo", "finished", 3, 0)


def test_demo_takes_a_worker_count_of_at_least_one(harness_cli):
    result = harness_cli("demo", "--workers", "0", check=False)
    assert result.returncode == 2 and "--workers" in result.stderr
