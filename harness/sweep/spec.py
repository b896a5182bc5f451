"""What a sweep covers: the grid from `harness sweep` options or a `--file sweep.toml`, validated.

The file format (docs/site/sweeps.md):

    name = "angles-by-seed"           # optional label shown by `harness sweeps`
    tasks = ["geometry", "independence"]   # task or group names (a string "a,b" works too)
    models = "all"                    # or a list; each task gets the listed models that serve it
    # ...or, instead of tasks x models, a list of runs in the order they are handed to workers
    # (longest first, so that the workers finish together); no model: the task's default
    runs = [{ task = "titling", model = "l2r" }, { task = "geometry" }]
    seeds = "0-2"                     # "0-2", "0,3,5", an integer, or a list of integers
    split = "test"                    # optional, as for `harness run`
    limit = 200                       # optional
    data_dir = "data/real"            # optional, relative to the file
    train_data = "embedded"           # optional: what models that train learn from ("embedded" or a
                                      # folder relative to the file; default: the evaluation data)
    train_budget = "10m"              # optional: wall time each training may take (models that train)
    executor = "processes"            # optional: local (default), processes, ray, or a plugin's
    workers = 2                       # optional
    address = "auto"                  # optional, ray only
    retries = 2                       # optional: how often a run whose worker died is retried

    [model_args]                      # values for every selected model that has the argument
    draws = [10000, 100000]
    [model_args.monte-carlo]          # a table: values for one model only
    draws = [1000]

    [resources.default]               # CPUs and GPUs each run reserves (ray)
    cpus = 1
    [resources.nl2sql-bert]
    gpus = 1

Every error names the file and the key.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.api import ConfigError

DEFAULT_RETRIES = 2
_KEYS = {
    "name",
    "tasks",
    "models",
    "runs",
    "seeds",
    "split",
    "limit",
    "data_dir",
    "train_data",
    "train_budget",
    "executor",
    "workers",
    "address",
    "retries",
    "model_args",
    "resources",
}
_RESOURCE_KEYS = {"cpus", "gpus"}
_RUN_KEYS = {"task", "model"}


@dataclass
class SweepSpec:
    """The grid (tasks x models x model-arg values x seeds) and how to execute it.

    With `runs`, the (task, model) pairs are listed instead of crossed (`tasks` and `models`
    unused), in the order the executor receives them; a model of None is the task's default."""

    tasks: list[str]
    models: list[str] | None = None  # None: every model that serves each task ("all")
    model_args: dict[str, list[str]] = field(default_factory=dict)  # for every model that accepts the key
    model_args_for: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # per model
    seeds: list[int] = field(default_factory=lambda: [0])
    split: str | None = None
    limit: int | None = None
    data_dir: Path | None = None
    train_data: str | None = None  # "embedded", a folder, or None (each model trains on the evaluation data)
    train_budget: float | None = None  # seconds each training may take (`--train-budget`), for models that train
    name: str | None = None
    executor: str | None = None
    workers: int | None = None
    address: str | None = None
    retries: int | None = None
    resources: dict[str, dict[str, float]] = field(default_factory=dict)
    runs: list[tuple[str, str | None]] = field(default_factory=list)
    source: Path | None = None  # the sweep file it was read from: errors found later name it and the key

    def located(self, key: str, message: str) -> str:
        """`FILE: key `KEY`: message` for a grid read from a file; the message alone for options."""
        return f"{self.source}: key `{key}`: {message}" if self.source is not None else message

    def grid(self) -> dict[str, Any]:
        """What determines the runs (not how they are executed): stored with the sweep, hashed into its key."""
        data = asdict(self)
        for key in ("name", "executor", "workers", "address", "retries", "resources", "source"):
            data.pop(key)
        if self.train_budget is None:  # a sweep without a budget keeps the key it had before budgets existed
            data.pop("train_budget")
        if not self.runs:  # a grid of tasks x models keeps the key it had before `runs` existed
            data.pop("runs")
        else:
            data["runs"] = [list(pair) for pair in self.runs]
        data["data_dir"] = str(self.data_dir) if self.data_dir else None
        return data

    def grid_key(self) -> str:
        return hashlib.sha256(json.dumps(self.grid(), sort_keys=True).encode()).hexdigest()[:20]

    def resources_for(self, model: str) -> dict[str, float]:
        return {**{"cpus": 1.0, "gpus": 0.0}, **self.resources.get("default", {}), **self.resources.get(model, {})}


def parse_seeds(text: str | int | list[Any], where: str = "--seeds") -> list[int]:
    """'0-2' -> [0, 1, 2]; '0,3,5'; '0-2,7'; an integer; a list of integers. Order kept, duplicates dropped."""
    if isinstance(text, bool):
        raise ConfigError(f"{where}: expected seeds such as 0-2 or 0,1,5, got {text!r}")
    if isinstance(text, int):
        return [text]
    if isinstance(text, list):
        if not text or not all(isinstance(s, int) and not isinstance(s, bool) for s in text):
            raise ConfigError(f"{where}: expected a non-empty list of integers, got {text!r}")
        return list(dict.fromkeys(text))
    seeds: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            low, dash, high = part.partition("-")
            if dash:
                first, last = int(low), int(high)
                if last < first:
                    raise ConfigError(f"{where}: {part!r} is a reversed range: write {last}-{first}")
                seeds.extend(range(first, last + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise ConfigError(f"{where}: {part!r} is not a seed or a range such as 0-2 (in {text!r})") from None
    return list(dict.fromkeys(seeds))


def parse_model_args(pairs: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """`--model-arg k=v1,v2` (repeatable) -> {k: [v1, v2]}; a repeated key adds values."""
    args: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, values = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--model-arg expects key=value[,value...], got {pair!r}")
        parts = [v.strip() for v in values.split(",")]
        if any(v == "" for v in parts):
            raise ConfigError(f"--model-arg {pair!r}: empty value")
        args.setdefault(key.strip(), []).extend(v for v in parts if v not in args.get(key.strip(), []))
    return args


def split_names(value: str | list[Any], where: str) -> list[str]:
    if isinstance(value, str):
        names = [n.strip() for n in value.split(",") if n.strip()]
    elif isinstance(value, list) and all(isinstance(n, str) for n in value):
        names = [n.strip() for n in value if n.strip()]
    else:
        raise ConfigError(f"{where}: expected a name or a list of names, got {value!r}")
    if not names:
        raise ConfigError(f"{where}: no names given")
    return list(dict.fromkeys(names))


def _scalar_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise ConfigError(f"{where}: expected a number, string or boolean, got {value!r}")


def _values(value: Any, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ConfigError(f"{where}: empty list of values")
    return list(dict.fromkeys(_scalar_text(v, where) for v in items))


def _runs(value: Any, where: str) -> list[tuple[str, str | None]]:
    """`runs = [{ task = "t", model = "m" }, { task = "g" }]` -> [("t", "m"), ("g", None)], duplicates dropped."""
    if not isinstance(value, list) or not value:
        raise ConfigError(f'{where}: expected a non-empty list of tables such as {{ task = "titling", model = "l2r" }}')
    runs: list[tuple[str, str | None]] = []
    for i, entry in enumerate(value, 1):
        here = f"{where} (entry {i})"
        if not isinstance(entry, dict):
            raise ConfigError(f'{here}: expected a table such as {{ task = "titling", model = "l2r" }}, got {entry!r}')
        if unknown := sorted(set(entry) - _RUN_KEYS):
            from harness.names import suggest

            raise ConfigError(f"{here}: unknown key `{unknown[0]}`{suggest(unknown[0], sorted(_RUN_KEYS))} (keys: task, model)")
        for key in ("task", "model"):
            if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
                raise ConfigError(f"{here}: `{key}` expects a name, got {entry[key]!r}")
        if "task" not in entry:
            raise ConfigError(f"{here}: `task` is required")
        model = entry.get("model")
        runs.append((entry["task"].strip(), model.strip() if model else None))
    return list(dict.fromkeys(runs))


def read_sweep_file(path: Path) -> SweepSpec:
    """Parse and check a sweep file; every error says `FILE: key ...`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"sweep file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read sweep file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc

    def at(key: str) -> str:
        return f"{path}: key `{key}`"

    if unknown := sorted(set(data) - _KEYS):
        from harness.names import suggest

        raise ConfigError(
            f"{path}: unknown key `{unknown[0]}`{suggest(unknown[0], sorted(_KEYS))} (keys: {', '.join(sorted(_KEYS))})"
        )
    if "runs" in data:
        if given := sorted({"tasks", "models"} & set(data)):
            raise ConfigError(f"{path}: key `runs` lists the runs: drop `{given[0]}` (or drop `runs`)")
        spec = SweepSpec(tasks=[], runs=_runs(data["runs"], at("runs")), source=path)
        spec.tasks = list(dict.fromkeys(task for task, _ in spec.runs))
    else:
        if "tasks" not in data:
            raise ConfigError(f"{path}: key `tasks` is required (task or group names), or `runs`")
        spec = SweepSpec(tasks=split_names(data["tasks"], at("tasks")), source=path)
        models = data.get("models", "all")
        spec.models = None if models == "all" else split_names(models, at("models"))
        if spec.models is not None and "all" in spec.models:
            raise ConfigError(f'{at("models")}: use `models = "all"` alone, not inside a list')
    spec.seeds = parse_seeds(data.get("seeds", 0), at("seeds"))
    for key in ("split", "name", "executor", "address"):
        if key in data:
            if not isinstance(data[key], str) or not data[key]:
                raise ConfigError(f"{at(key)}: expected a non-empty string, got {data[key]!r}")
            setattr(spec, key, data[key])
    for key, low in (("limit", 1), ("workers", 1), ("retries", 0)):
        if key in data:
            value = data[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{at(key)}: expected an integer of at least {low}, got {value!r}")
            setattr(spec, key, value)
    if "data_dir" in data:
        if not isinstance(data["data_dir"], str):
            raise ConfigError(f"{at('data_dir')}: expected a path string, got {data['data_dir']!r}")
        spec.data_dir = (path.parent / data["data_dir"]).resolve()
    if "train_data" in data:
        if not isinstance(data["train_data"], str) or not data["train_data"]:
            raise ConfigError(f'{at("train_data")}: expected "embedded" or a folder, got {data["train_data"]!r}')
        spec.train_data = (
            data["train_data"] if data["train_data"] == "embedded" else str((path.parent / data["train_data"]).resolve())
        )
    if "train_budget" in data:
        from harness.training import parse_duration

        value = data["train_budget"]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ConfigError(f'{at("train_budget")}: expected a duration such as "10m", got {value!r}')
        spec.train_budget = parse_duration(str(value), at("train_budget"))
    model_args = data.get("model_args", {})
    if not isinstance(model_args, dict):
        raise ConfigError(f"{at('model_args')}: expected a table such as [model_args] draws = [1000, 10000]")
    for key, value in model_args.items():
        if isinstance(value, dict):
            spec.model_args_for[key] = {k: _values(v, at(f"model_args.{key}.{k}")) for k, v in value.items()}
        else:
            spec.model_args[key] = _values(value, at(f"model_args.{key}"))
    resources = data.get("resources", {})
    if not isinstance(resources, dict):
        raise ConfigError(f"{at('resources')}: expected tables such as [resources.default] cpus = 1")
    for model, table in resources.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{at(f'resources.{model}')}: expected a table with cpus and/or gpus")
        if unknown := sorted(set(table) - _RESOURCE_KEYS):
            raise ConfigError(f"{at(f'resources.{model}.{unknown[0]}')}: unknown (use cpus, gpus)")
        for key, value in table.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{at(f'resources.{model}.{key}')}: expected a number >= 0, got {value!r}")
        spec.resources[model] = {k: float(v) for k, v in table.items()}
    return spec
