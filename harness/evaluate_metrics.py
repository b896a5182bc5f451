"""Serve a local Hugging Face `evaluate` module as a harness metric: `EvaluateMetric`.

A plugin whose metric is a natural `evaluate` module writes it as an `evaluate.Metric` subclass
in its own package (or as a metric script file beside its code) and registers a small
`EvaluateMetric` subclass that names it::

    class ToyAccuracy(EvaluateMetric):
        name = "toy-accuracy"
        module = "my_plugin.accuracy:Accuracy"     # "package.module:Class", or "accuracy.py"
        key = "accuracy"                            # the result key that is the per-sample value
        compute_kwargs = {"normalize": True}        # passed to the module on every call
        description, citation, expects = DESCRIPTION, CITATION, INPUTS_DESCRIPTION

Why the pieces are where they are:

- **Offline, never the hub.** `module` is an import string or a `.py` path (relative paths are
  read next to the file that defines the metric class); anything else, such as `"rouge"` or
  `"evaluate-metric/rouge"`, is what `evaluate.load` would fetch from the hub, and is refused with
  a `ConfigError` when the class is defined, so the plugin's load failure names it (one line in
  `harness tasks` and `harness plugins`) before any run, not after a model has trained.
- **Listing stays light.** Importing `evaluate` costs about 8 CPU s on this 2-core machine at load
  ~6 (it pulls in `datasets`, pandas, pyarrow and, through its evaluator, transformers, torch and
  scipy.stats; `import_evaluate` cuts that to about 1.5 s by leaving the evaluator without
  transformers and scipy), and the harness reads `description`,
  `citation` and `expects` from the registered class when it lists tasks, stores a run's metric
  descriptions and draws the dashboard. So those are plain class strings, kept (as Hugging Face
  metric scripts keep `_DESCRIPTION` and `_CITATION` at their top) as constants in a light module
  that the evaluate module's `_info()` reads too. Nothing imports `evaluate` until the first sample is scored; then the module's
  `MetricInfo` is compared with those strings and a drift is a `ConfigError`, so what the
  dashboard and the database show is the module's own `MetricInfo`. `expects` is the module's
  `inputs_description` on one line (it is quoted in the one-line error a bad prediction gets).
- **Per-sample values from the module itself.** The runner scores one sample at a time and
  bootstraps the aggregate over the per-sample values, so each sample is put through the module
  on its own. Measured on a 2-core machine at load average ~2, one pair
  through the public `compute()` costs 2.4 ms (3.1 ms with its default on-disk cache), against
  0.013 ms through the module's `_compute` (a character ROUGE-L module; rouge-score alone takes
  0.011 ms): `compute()` writes the pair to an Arrow table, reads it back and takes locks, which
  is 7 s of overhead per run for three metrics over 1,000 samples. So each sample goes through
  `_compute` (under the module's temporary numpy seed, as in `compute()`, when the class sets
  `seeded`), after the harness checks the inputs against the module's `features` (the check
  `compute()` would make); and the first sample
  of every run is also put through the public `compute()`, which must give the same result, so a
  module whose `_compute` depends on `compute()`'s own conversions fails loudly instead of
  scoring differently. Modules with a tensor `format` ("torch", "tf", "jax") always go through
  `compute()`.
- **Aggregates.** The default aggregate is the mean of the per-sample values, which equals the
  module's corpus `compute()` for any metric that is a mean over samples (accuracy, a mean
  ROUGE F1). For a corpus metric (F1 over pooled counts, BLEU), override `sample_value` to return
  the per-sample statistics and `aggregate` to combine them, as for any harness `Metric`.
"""

from __future__ import annotations

import importlib
import importlib.util
import keyword
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from harness.api import ConfigError, Metric

__all__ = ["EvaluateMetric", "import_evaluate", "load_evaluate_module", "resolve_spec"]

#: Output formats `_compute` may be called with directly; other formats go through `compute()`.
_DIRECT_FORMATS = (None, "python", "numpy", "np")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _is_import_string(spec: str) -> bool:
    module, _, attr = spec.partition(":")
    parts = module.split(".")
    return bool(attr) and all(p.isidentifier() and not keyword.iskeyword(p) for p in [*parts, attr])


def _owner_dir(owner: str) -> Path:
    file = getattr(sys.modules.get(owner), "__file__", None)
    return Path(file).resolve().parent if file else Path.cwd()


def resolve_spec(spec: str, owner: str = "__main__", metric: str = "?") -> tuple[str, str | Path]:
    """Classify a `module` string without importing anything: ("import", "pkg.mod:Class") or
    ("script", absolute path). `owner` is the module whose directory relative script paths are
    read from; a hub name (anything else) is a `ConfigError`, as is a script that does not exist."""
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"metric {metric!r}: `module` must name a local evaluate module, got {spec!r}")
    if spec.endswith(".py"):
        path = Path(spec).expanduser()
        path = path if path.is_absolute() else _owner_dir(owner) / path
        if not path.is_file():
            raise ConfigError(f"metric {metric!r}: evaluate metric script {str(path)!r} does not exist")
        return "script", path
    if ":" in spec:
        if not _is_import_string(spec):
            raise ConfigError(f"metric {metric!r}: evaluate module {spec!r} is not an import string 'package.module:Class'")
        return "import", spec
    raise ConfigError(
        f"metric {metric!r}: evaluate module {spec!r} looks like a Hugging Face hub name; the harness runs "
        "offline and never loads metrics from the hub: name a local evaluate.Metric subclass as "
        "'package.module:Class' or a metric script path ending in .py"
    )


#: What `evaluate`'s transformers-pipeline evaluator imports and local metrics never use: transformers
#: (which imports torch for its pipelines) and scipy.stats (the evaluator's bootstrap).
EVALUATOR_ONLY = ("transformers", "scipy.stats")


def import_evaluate() -> Any:
    """Import `evaluate` for its metric classes, without its transformers-pipeline evaluator.

    `import evaluate` imports `evaluate.evaluator`, which imports transformers (its pipelines, and
    with them torch) whenever it is installed, and scipy.stats for its bootstrap: measured here,
    those are about 6.5 of the import's 8 CPU seconds (this 2-core machine, load ~6). Local metrics
    never use the evaluator, and evaluate imports both inside `try: ... except ImportError`, so
    while evaluate is first imported the modules in `EVALUATOR_ONLY` that are not imported yet are
    made unimportable, and evaluate records them as unavailable for its evaluator only; the block
    is lifted right after, so they (transformers' pipelines included) import normally later. When
    evaluate is already imported, this is a plain import.
    """
    if "evaluate" in sys.modules:
        return sys.modules["evaluate"]
    blocked = [name for name in EVALUATOR_ONLY if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import evaluate
    finally:
        for name in blocked:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
    return evaluate


_CLASSES: dict[str, type] = {}
#: One module instance per class, configuration and harness home: the metrics of a run, and the
#: runs of a process (a sweep worker), share it (`_compute` keeps no state between calls).
_INSTANCES: dict[tuple[type, str | None, str], Any] = {}


def load_evaluate_module(spec: str, owner: str = "__main__", metric: str = "?") -> type:
    """The `evaluate.EvaluationModule` subclass that `spec` names ("pkg.module:Class" or a script
    path), imported on first use and cached; never fetched from the hub. A script must define
    exactly one such class. Raises `ConfigError` with one line when it cannot be loaded."""
    kind, target = resolve_spec(spec, owner, metric)
    cache_key = f"{kind}:{target}"
    if cache_key in _CLASSES:
        return _CLASSES[cache_key]
    try:
        evaluate = import_evaluate()
    except ImportError as exc:
        raise ConfigError(
            f"metric {metric!r} needs Hugging Face evaluate, which cannot be imported ({exc}): pip install 'evaluate>=0.4'"
        ) from exc

    if kind == "import":
        module_name, _, attr = str(target).partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"metric {metric!r}: cannot load evaluate module {spec!r} ({type(exc).__name__}: {exc})") from exc
        if not (isinstance(cls, type) and issubclass(cls, evaluate.EvaluationModule)):
            raise ConfigError(f"metric {metric!r}: {spec!r} is not an evaluate.Metric subclass")
    else:
        path = Path(target)
        module_name = f"_harness_evaluate_script_{abs(hash(str(path))):x}_{path.stem}"
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ConfigError(f"metric {metric!r}: {path} cannot be loaded as a Python module")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise ConfigError(
                f"metric {metric!r}: cannot load evaluate metric script {str(path)!r} ({type(exc).__name__}: {exc})"
            ) from exc
        found = [
            v
            for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, evaluate.EvaluationModule) and v.__module__ == module_name
        ]
        if len(found) != 1:
            raise ConfigError(
                f"metric {metric!r}: evaluate metric script {str(path)!r} defines {len(found)} "
                "evaluate.Metric subclasses; it must define exactly one"
            )
        cls = found[0]
    _CLASSES[cache_key] = cls
    return cls


def _kind_of(feature: Any) -> str:
    return f"{type(feature).__name__}({getattr(feature, 'dtype', '')!r})" if hasattr(feature, "dtype") else type(feature).__name__


def _conforms(feature: Any, value: Any) -> str | None:
    """Why `value` cannot be written as `feature` (what `compute()` would refuse), or None."""
    import datasets
    import numpy as np

    if isinstance(feature, datasets.Value):
        dtype = feature.dtype
        if dtype in ("string", "large_string"):
            return None if isinstance(value, str) else f"a string ({_kind_of(feature)})"
        if dtype == "bool" or dtype.startswith(("int", "uint", "float")):
            number = isinstance(value, int | float | np.number | np.bool_) and not isinstance(value, str)
            return None if number else f"a number ({_kind_of(feature)})"
        return None
    if isinstance(feature, datasets.ClassLabel):
        return None if isinstance(value, int | str | np.integer) else "a class label (int or str)"
    sequences = tuple(t for t in (getattr(datasets, n, None) for n in ("Sequence", "List", "LargeList")) if isinstance(t, type))
    if isinstance(feature, list | sequences):
        if not isinstance(value, list | tuple | np.ndarray):
            return f"a list ({_kind_of(feature)})"
        inner = feature[0] if isinstance(feature, list) else feature.feature
        if isinstance(inner, dict):
            return None
        for item in value:
            problem = _conforms(inner, item)
            if problem:
                return f"a list of {problem}"
        return None
    if isinstance(feature, dict):
        if not isinstance(value, Mapping):
            return "an object"
        for key, sub in feature.items():
            problem = _conforms(sub, value.get(key)) if key in value else f"a field {key!r}"
            if problem:
                return f"{key}: {problem}"
    return None


def _same(a: Any, b: Any) -> bool:
    """Results equal up to float rounding (compute() may return numpy scalars where _compute returns floats)."""
    import numpy as np

    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple | np.ndarray) and isinstance(b, list | tuple | np.ndarray):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return bool(a == b)
    return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


class EvaluateMetric(Metric):
    """A harness `Metric` whose per-sample values come from a local `evaluate.Metric` subclass.

    Set `name`, `module` ("package.module:Class" or a `.py` script path), `key` (the result key
    holding the per-sample value), optionally `compute_kwargs`, `config_name` and
    `higher_is_better`, and `description`, `citation` and `expects` from the same constants the
    module's `MetricInfo` is built from (`expects` is its `inputs_description`). Override `inputs`
    to map a harness sample to the module's input columns, and `sample_value` (with `aggregate`)
    for a corpus metric. See the module docstring for why it is built this way.
    """

    #: The local evaluate module: "package.module:Class" (imported on first use) or a metric
    #: script path ending in .py (relative to the file defining this class). Never a hub name.
    module: ClassVar[str] = ""
    #: The key of the module's result that holds a sample's value (e.g. "accuracy", "rougeL").
    key: ClassVar[str] = ""
    #: Keyword arguments passed to the module with every sample (and to the corpus `compute()`).
    compute_kwargs: ClassVar[Mapping[str, Any]] = {}
    #: The module's configuration name (`evaluate.load(..., config_name)`), for modules with several.
    config_name: ClassVar[str | None] = None
    #: True for a module that draws from numpy's global random generator: each sample is then
    #: computed under the module's seed, as `compute()` does (saving and restoring the generator
    #: costs ~0.15 ms a sample, 10x a ROUGE-L, so deterministic modules, the default, skip it).
    seeded: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Check the class when it is defined (at plugin load, before any run) without importing
        evaluate: a hub name, a script that is not there or a module that cannot be found is a
        `ConfigError` naming the metric; `expects` is put on one line for the runner's errors."""
        super().__init_subclass__(**kwargs)
        cls.expects = _one_line(cls.expects)
        if not cls.module:
            return  # an intermediate base class: its subclasses name the module
        name = getattr(cls, "name", None)
        if name is None:
            return  # an intermediate base class naming the module: checked with its subclasses
        if not cls.key and cls.sample_value is EvaluateMetric.sample_value:
            raise ConfigError(
                f"metric {name!r}: set `key`, the result key of evaluate module {cls.module!r} that holds "
                "a sample's value (or override `sample_value`)"
            )
        kind, target = resolve_spec(cls.module, cls.__module__, name)
        if kind == "import":
            module_name = str(target).partition(":")[0]
            try:
                found = importlib.util.find_spec(module_name) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                raise ConfigError(f"metric {name!r}: evaluate module {cls.module!r}: no module named {module_name!r}")

    def __init__(self) -> None:
        self._module: Any = None
        self._cross_checked = False

    # -- what plugins override -------------------------------------------------------------

    def inputs(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The module's input columns for one sample (default: `predictions` and `references`), or
        None when the metric does not apply to it (default: no reference, e.g. an unlabelled test
        sample): it is then left out of the aggregate and the CI."""
        if reference is None:
            return None
        return {"predictions": prediction, "references": reference}

    def sample_value(self, result: Mapping[str, Any]) -> float | Mapping[str, float]:
        """The sample's score from the module's result on that one sample: `result[key]`, a number
        or a one-item list (modules that return per-item values). A corpus metric returns named
        statistics here and combines them in `aggregate`."""
        if self.key not in result:
            raise ConfigError(
                f"metric {self.name!r}: evaluate module {self.module!r} returned no {self.key!r} "
                f"(its keys: {', '.join(map(str, result))})"
            )
        value = result[self.key]
        if isinstance(value, list | tuple) or type(value).__name__ == "ndarray":
            if len(value) != 1:
                raise ConfigError(
                    f"metric {self.name!r}: evaluate module {self.module!r} returned {len(value)} values "
                    f"of {self.key!r} for one sample"
                )
            value = value[0]
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"metric {self.name!r}: evaluate module {self.module!r} returned {self.key!r} = {value!r}, not a number"
            ) from None

    # -- what the runner calls --------------------------------------------------------------

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> float | Mapping[str, float] | None:
        """One sample put through the module (see the module docstring); a value the module's
        features cannot hold raises TypeError, which the runner reports as a one-line ScoreError."""
        columns = self.inputs(prediction, reference, input)
        if columns is None:
            return None
        module = self.evaluation_module()
        self._check(module, columns)
        direct = module.info.format in _DIRECT_FORMATS
        result = self._direct(module, columns) if direct else self._public(module, columns)
        if direct and not self._cross_checked:
            public = self._public(module, columns)
            if not _same(result, public):
                hint = "" if self.seeded else " (if it draws random numbers, set `seeded = True`)"
                raise ConfigError(
                    f"metric {self.name!r}: evaluate module {self.module!r} gives {result!r} through "
                    f"_compute but {public!r} through compute() on one sample{hint}"
                )
            self._cross_checked = True
        return self.sample_value(result)

    def compute(self, **columns: Any) -> dict[str, Any]:
        """The module's own public `compute()` on whole columns (e.g. `predictions=[...],
        references=[...]`) with `compute_kwargs`: its corpus value, which the default mean
        `aggregate` of the per-sample values equals for a mean metric."""
        return self._public(self.evaluation_module(), columns, batched=True)

    def evaluation_module(self) -> Any:
        """The loaded `evaluate` module instance (imports evaluate on first use), its MetricInfo
        checked against this class's description, citation and expects."""
        if self._module is None:
            cls = load_evaluate_module(self.module, type(self).__module__, self.name)
            from harness.paths import default_home

            key = (cls, self.config_name, str(default_home()))
            if key not in _INSTANCES:
                # In memory: nothing is written per call; cache_dir only keeps evaluate's own
                # bookkeeping directory inside the harness home instead of ~/.cache.
                _INSTANCES[key] = cls(
                    config_name=self.config_name, keep_in_memory=True, cache_dir=str(default_home() / "evaluate")
                )
            self._check_info(_INSTANCES[key].info)
            self._module = _INSTANCES[key]
        return self._module

    # -- internals --------------------------------------------------------------------------

    def _check_info(self, info: Any) -> None:
        for field, ours, theirs in (
            ("description", self.description, info.description),
            ("citation", self.citation, info.citation),
            ("expects", self.expects, info.inputs_description),
        ):
            if _one_line(ours) != _one_line(theirs or ""):
                source = "inputs_description" if field == "expects" else field
                raise ConfigError(
                    f"metric {self.name!r}: its {field} is not evaluate module {self.module!r}'s "
                    f"MetricInfo.{source}; set both from one constant in a light module"
                )

    def _check(self, module: Any, columns: Mapping[str, Any]) -> None:
        formats = module.info.features if isinstance(module.info.features, list) else [module.info.features]
        problems = []
        for features in formats:
            if set(features) != set(columns):
                problems.append(f"columns {sorted(features)}, got {sorted(columns)}")
                continue
            problem = next((f"{k}: {p}" for k in features if (p := _conforms(features[k], columns[k]))), None)
            if problem is None:
                return
            problems.append(problem)
        raise TypeError(f"evaluate module {self.module!r} expects " + " or ".join(problems))

    def _direct(self, module: Any, columns: Mapping[str, Any]) -> dict[str, Any]:
        batch = {k: [v] for k, v in columns.items()}
        if module.info.format in ("numpy", "np"):
            import numpy as np

            batch = {k: np.asarray(v) for k, v in batch.items()}  # type: ignore[misc]  # evaluate accepts arrays
        if not self.seeded:
            return dict(module._compute(**batch, **self.compute_kwargs))
        from datasets.utils.py_utils import temp_seed

        with temp_seed(module.seed):
            return dict(module._compute(**batch, **self.compute_kwargs))

    def _public(self, module: Any, columns: Mapping[str, Any], batched: bool = False) -> dict[str, Any]:
        batch = dict(columns) if batched else {k: [v] for k, v in columns.items()}
        return dict(module.compute(**batch, **self.compute_kwargs))
