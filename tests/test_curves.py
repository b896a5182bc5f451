"""Curves a task declares: `harness curves` reads their points from stored runs, fills the default grid
with `--run`, and summarises each line by Bjøntegaard deltas equal to the `bjontegaard` package's."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import Harness, cli_env, copy_into

from harness.curves import MIN_POINTS, Curve, Line, bd_psnr, bd_rate, delta, pareto

bjontegaard = pytest.importorskip("bjontegaard")

PLUGINS = "toy_plugins.arith,toy_plugins.rate"


def package(reference, test):
    """The `bjontegaard` package's pchip BD-rate and BD-PSNR on (rate, quality) points sorted by rate."""
    ref, new = sorted(reference), sorted(test)
    args = ([r for r, _ in ref], [q for _, q in ref], [r for r, _ in new], [q for _, q in new])
    return (
        bjontegaard.bd_rate(*args, method="pchip", require_matching_points=False, min_overlap=0),
        bjontegaard.bd_psnr(*args, method="pchip", require_matching_points=False, min_overlap=0),
    )


JPEG_LIKE = [(0.156, 17.76), (0.238, 19.21), (0.427, 21.39), (0.699, 22.94), (0.908, 23.65), (1.246, 24.47)]
VQ_LIKE = [(0.125, 18.9), (0.25, 20.8), (0.375, 22.0), (0.5, 22.6)]


@pytest.mark.parametrize(
    "reference, test",
    [
        (JPEG_LIKE, VQ_LIKE),
        (VQ_LIKE, JPEG_LIKE),
        ([(0.1, 20), (0.2, 23), (0.4, 26), (0.8, 29), (1.6, 32)], [(0.12, 21), (0.25, 24.5), (0.5, 27.5), (1.0, 30)]),
    ],
)
def test_deltas_equal_the_bjontegaard_package(reference, test):
    rate, quality = package(reference, test)
    assert bd_rate(reference, test) == pytest.approx(rate, abs=1e-9)
    assert bd_psnr(reference, test) == pytest.approx(quality, abs=1e-9)
    found = delta(reference, test)
    assert (found.bd_rate, found.bd_psnr, found.note) == (pytest.approx(rate, abs=1e-9), pytest.approx(quality, abs=1e-9), "")


def test_a_line_shifted_up_one_db_gains_one_db_and_saves_bits():
    reference = [(0.1, 20.0), (0.2, 23.0), (0.4, 26.0), (0.8, 29.0)]
    better = [(r, q + 1.0) for r, q in reference]
    found = delta(reference, better)
    assert found.bd_psnr == pytest.approx(1.0)
    assert found.bd_rate < 0  # fewer bits at equal quality


def test_a_reference_with_too_few_points_gives_no_delta_and_says_why():
    found = delta(JPEG_LIKE[:3], VQ_LIKE, ("jpeg", "vq-vae"))
    assert (found.bd_rate, found.bd_psnr) == (None, None)
    assert found.note == f"jpeg has 3 points; a delta needs {MIN_POINTS}"


def test_points_beaten_by_a_cheaper_one_are_left_out_of_the_delta():
    # the 0.5 bpp point is worse than the 0.375 one: no operating point, and pchip needs rising quality
    bumpy = [*VQ_LIKE[:3], (0.5, 21.0), (0.6, 23.0)]
    assert pareto(bumpy) == [*VQ_LIKE[:3], (0.6, 23.0)]
    assert delta(JPEG_LIKE, bumpy).bd_rate == pytest.approx(package(JPEG_LIKE, pareto(bumpy))[0], abs=1e-9)
    short = delta(JPEG_LIKE, [*VQ_LIKE[:3], (0.5, 21.0)], ("jpeg", "vq-vae"))
    assert short.bd_rate is None and "vq-vae has 3 points where quality rises with rate (1 of 4 beaten" in short.note


def test_curves_that_do_not_overlap_give_no_delta():
    low = [(0.1, 10.0), (0.2, 11.0), (0.3, 12.0), (0.4, 13.0)]
    high = [(1.0, 30.0), (2.0, 31.0), (3.0, 32.0), (4.0, 33.0)]
    assert delta(low, high).note == "no BD-rate: the curves do not overlap in quality"


def test_ms_ssim_in_db_is_the_complement_in_db():
    curve = Curve("c", x="bpp", y="ms-ssim", lines=(Line("m", "q", (1,)),), y_transform="complement-db")
    assert curve.transform(0.99) == pytest.approx(20.0)
    assert curve.transform(0.9) == pytest.approx(10.0)
    assert curve.transform(1.0) == math.inf


def test_a_declaration_with_an_unknown_reference_or_two_lines_alike_is_refused():
    with pytest.raises(ValueError, match="reference 'jpg' is not one of its lines"):
        Curve("c", x="x", y="y", lines=(Line("jpeg", "quality", (1,)),), reference="jpg")
    with pytest.raises(ValueError, match="two lines are named alike"):
        Curve("c", x="x", y="y", lines=(Line("m", "a", (1,)), Line("m", "b", (1,))))
    assert (
        Curve("c", x="x", y="y", lines=(Line("m", "a", (1,)), Line("m", "b", (1,), label="m (b)"))).line("m (b)").argument == "b"
    )


@pytest.fixture
def curves_cli(harness_cli):
    harness_cli.env["HARNESS_PLUGINS"] = PLUGINS
    return harness_cli


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """`harness curves --task coding --run --json` once per module: its database and its answer."""
    folder = tmp_path_factory.mktemp("curves")
    cli = Harness({**cli_env(folder), "HARNESS_PLUGINS": PLUGINS})
    return Path(cli.env["HARNESS_DB"]), json.loads(cli("curves", "--task", "coding", "--run", "--json").stdout)


@pytest.fixture
def filled_cli(curves_cli, filled):
    """The CLI on this test's own copy of `filled`'s database; answers the filling run's JSON."""
    copy_into(filled[0], Path(curves_cli.env["HARNESS_DB"]))
    return curves_cli, filled[1]


def test_run_fills_the_default_grid_and_prints_sorted_points_with_deltas(filled_cli):
    curves_cli, data = filled_cli
    (curve,) = data["curves"]
    lines = {line["name"]: line for line in curve["lines"]}
    assert [p["value"] for p in lines["midpoint"]["points"]] == [2, 3, 4, 5, 6]
    assert [p["value"] for p in lines["floor"]["points"]] == [2, 3, 4, 5]
    for line in lines.values():
        assert [p["x"] for p in line["points"]] == sorted(p["x"] for p in line["points"])
        assert line["missing"] == []
    assert "bd_rate" not in lines["midpoint"]  # the reference
    floor = lines["floor"]
    reference = [(p["x"], p["y"]) for p in lines["midpoint"]["points"]]
    rate, quality = package(reference, [(p["x"], p["y"]) for p in floor["points"]])
    assert floor["bd_rate"] == pytest.approx(rate, abs=1e-9) and floor["bd_rate"] > 0  # floor needs more bits
    assert floor["bd_psnr"] == pytest.approx(quality, abs=1e-9)
    assert len(data["sweeps"]) == 1
    # points are ordinary runs: stored, and a second --run computes nothing
    runs = json.loads(curves_cli("runs", "--task", "coding", "--json").stdout)
    assert {r["run_id"] for r in runs} == {p["run_id"] for line in lines.values() for p in line["points"]}
    again = curves_cli("curves", "--task", "coding", "--run")
    assert "9 points (9 already stored)" in again.stderr
    assert "floor vs midpoint: BD-rate +" in again.stdout
    assert lines["floor"]["points"][0]["run_id"] in again.stdout


def test_a_line_without_enough_points_says_what_is_missing(curves_cli):
    curves_cli("run", "--task", "coding", "--model", "midpoint", "-a", "bits=3")
    curves_cli("run", "--task", "coding", "--model", "floor", "-a", "bits=3")
    curves_cli("run", "--task", "coding", "--model", "floor", "-a", "bits=3", "-a", "scale=2")  # another line's config
    shown = curves_cli("curves", "--task", "coding")
    assert "midpoint: no point yet for bits = 2, 4, 5, 6 (`--run` computes them)" in shown.stdout
    assert "floor vs midpoint: no delta: midpoint has 1 point; a delta needs 4" in shown.stdout
    data = json.loads(curves_cli("curves", "--task", "coding", "--model", "floor", "--json").stdout)
    (line,) = data["curves"][0]["lines"]
    assert line["name"] == "floor" and len(line["points"]) == 1 and line["bd_rate"] is None


def test_compressai_export_writes_one_results_file_per_line(filled_cli, tmp_path):
    curves_cli, _ = filled_cli
    curves_cli("curves", "--task", "coding", "--run", "--compressai", str(tmp_path / "out"))
    written = json.loads((tmp_path / "out" / "coding-floor.json").read_text())
    assert written["name"] == "floor" and "bits = 2, 3, 4, 5" in written["description"]
    assert written["results"]["bpp"] == [2.0, 3.0, 4.0, 5.0]  # the curve's export name for toy-rate
    assert len(written["results"]["toy-quality"]) == 4
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["coding-floor.json", "coding-midpoint.json"]


@pytest.mark.parametrize(
    "args, message",
    [
        (("--task", "doubling"), "Error: task 'doubling' declares no curves (tasks that do: coding, coding-bad)"),
        (("--task", "codng"), "Error: unknown task 'codng'; did you mean 'coding' or 'coding-bad'?"),
        (
            ("--task", "coding", "--model", "midpont"),
            "Error: task 'coding' has no curve line 'midpont' (--model); did you mean 'midpoint'?",
        ),
        (
            ("--task", "coding-bad", "--run"),
            "Error: task 'coding-bad': curve line 'midpoint', bits=40: model 'midpoint': bits must be 1..16, got 40",
        ),
    ],
)
def test_bad_input_is_one_usage_line_before_any_work(curves_cli, args, message):
    result = curves_cli("curves", *args, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [message]
    assert json.loads(curves_cli("runs", "--json").stdout) == []  # nothing ran


def test_the_task_board_draws_its_curves_with_points_linked_to_runs(filled_cli, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from harness.plugins.registry import set_registry

    curves_cli, data = filled_cli
    for key, value in curves_cli.env.items():
        monkeypatch.setenv(key, value)
    set_registry(None)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.session_state["board"] = "coding"
    at.run()
    assert not at.exception, at.exception
    assert any("Curve rate-quality" in m.value for m in at.markdown)
    import pyarrow as pa

    chart = next(c for c in at.get("vega_lite_chart") if '"href"' in c.proto.spec)
    rows = pa.ipc.open_stream(chart.proto.data.data).read_all().to_pylist()  # streamlit moves the values out of the spec
    points = {p["run_id"] for line in data["curves"][0]["lines"] for p in line["points"]}
    assert {row["run"] for row in rows} == points
    assert {row["href"] for row in rows} == {f"?page=Run+detail&run_id={run}" for run in points}
    deltas = next(df.value for df in at.dataframe if "BD-rate vs midpoint (%)" in df.value.columns)
    assert list(deltas["line"]) == ["floor"] and deltas["BD-rate vs midpoint (%)"][0].startswith("4")
    at.button(key="open-button-curves-coding-coding-synth-v1-test").click().run()
    assert at.session_state["page"] == "Run detail" and at.session_state["run_id"] in points
    set_registry(None)
