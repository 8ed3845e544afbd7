"""Model files are untrusted input: read pickle and joblib files without running their code.

A pickle is a small program: every object in it is rebuilt by calling a *global*
(a class or function named by module and name) that the file chooses. A file that
names ``os.system`` runs a shell command while it is read. So every global is
checked against one allow-list, :func:`allowed`, **before** it is imported, by two
independent passes over the file:

* :func:`scan_model_file` - a symbolic run of the pickle program in which *no*
  global is called: each is recorded and replaced by an inert stub (only the
  array wrapper and dtypes that say how many raw array bytes to skip in a joblib
  file are real). It lists every global the file names, refused ones included,
  and builds no model object (``audit scan``, and the first step of ``audit run``);
* :func:`load_pickled_model` - the real load, by an unpickler whose
  ``find_class`` refuses anything outside the allow-list (defence in depth: the
  check also happens where each global is resolved, not only in the scan).

The allow-list (:func:`allowed`) holds:

* exact names (:data:`SAFE_GLOBALS`): the helpers NumPy arrays, random generators,
  masked arrays, pandas objects and standard containers are rebuilt with, the
  LightGBM and XGBoost model classes, and a few reviewed scikit-learn helpers;
* *classes* (never functions) by rule: scikit-learn estimators and losses (subclasses of
  ``BaseEstimator`` or ``BaseLoss`` defined in scikit-learn) and its compiled (Cython)
  types such as ``sklearn.tree._tree.Tree``; NumPy scalar, dtype, array and random
  generator types (not ``numpy.memmap``, which writes files); pandas data
  containers (frames, indexes, arrays, dtypes); ``scipy.sparse`` matrices;
  Cython's ``__pyx_unpickle_*`` state restorers of scikit-learn, NumPy and pandas;
* nothing else: not ``os``, ``subprocess``, ``builtins.eval/exec/getattr/
  __import__``, ``posix.system``, ``runpy``, ``numpy.load``, ``joblib.load``, nor
  any module outside the packages above (test helpers and dataset loaders included).

Joblib files are pickles with raw array bytes in between (compressed or not);
joblib's own unpickler class reads those, but the BUILD step that reads an array is
ours, so that object arrays (a nested pickle) go through the same ``find_class``
whatever the joblib version, and joblib < 0.10's companion-file arrays (read with
``numpy.load(allow_pickle=True)``) are never read.
"""

from __future__ import annotations

import _compat_pickle
import importlib
import inspect
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Globals allowed by exact name. Each is reviewed: calling it with any arguments
#: only builds data (no file, process, network or code evaluation).
SAFE_GLOBALS = frozenset({
    # Python containers and scalars.
    "builtins.bool", "builtins.bytearray", "builtins.bytes", "builtins.complex", "builtins.dict",
    "builtins.float", "builtins.frozenset", "builtins.int", "builtins.list", "builtins.object",
    "builtins.range", "builtins.set", "builtins.slice", "builtins.str", "builtins.tuple",
    "copyreg._reconstructor", "_codecs.encode",
    "collections.OrderedDict", "collections.defaultdict", "collections.Counter", "collections.deque",
    "functools.partial",  # its function is a separate global, checked on its own
    "datetime.date", "datetime.datetime", "datetime.time", "datetime.timedelta", "datetime.timezone",
    # NumPy arrays, scalars, masked arrays and random generators.
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
    "numpy.ma.core._mareconstruct",
    "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor",
    # joblib's placeholder for an array whose bytes follow in the file.
    "joblib.numpy_pickle.NumpyArrayWrapper",
    # pandas objects.
    "pandas._libs.internals._unpickle_block", "pandas.core.indexes.base._new_Index",
    "pandas._libs.tslibs.timestamps._unpickle_timestamp",
    "pandas._libs.tslibs.timedeltas._timedelta_unpickle",
    "pandas.NA", "pandas._libs.missing.NA",
    # LightGBM and XGBoost models (their boosters parse the model text/bytes they hold).
    "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMModel", "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor", "lightgbm.sklearn.LGBMRanker",
    "xgboost.core.Booster", "xgboost.sklearn.XGBModel", "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor", "xgboost.sklearn.XGBRanker",
    "xgboost.sklearn.XGBRFClassifier", "xgboost.sklearn.XGBRFRegressor",
    # scikit-learn helpers that fitted models hold and that are not estimators.
    # HistGradientBoosting's native categorical preprocessing keeps check_array in a
    # functools.partial: it only validates and converts an array.
    "sklearn.utils.validation.check_array",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.utils._bunch.Bunch",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.model_selection._split.KFold", "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.metrics._scorer._PassthroughScorer",
    "sklearn._loss.link.Interval", "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.LogLink", "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.HalfLogitLink", "sklearn._loss.link.MultinomialLogit",
    # KDTree, BallTree and distance metrics rebuild themselves with newObj(cls) = cls.__new__(cls).
    "sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._kd_tree.newObj", "sklearn.neighbors._ball_tree.newObj",
    "sklearn.metrics._dist_metrics.newObj",
})

#: Top-level packages whose modules may be imported while a file is checked or read.
KNOWN_PACKAGES = frozenset({"builtins", "copyreg", "_codecs", "collections", "functools",
                            "datetime", "numpy", "joblib", "pandas", "sklearn", "lightgbm",
                            "xgboost", "scipy"})
#: Parts of a module path that are never trusted, even inside a known package.
DENIED_PARTS = frozenset({"_testing", "testing", "tests", "estimator_checks", "datasets",
                          "externals", "conftest", "computation", "io", "plotting", "dask",
                          "spark", "tracker", "collective", "f2py", "distutils", "ctypeslib"})
#: Packages whose Cython ``__pyx_unpickle_*`` state restorers may be called.
PYX_PACKAGES = ("sklearn", "numpy", "pandas")
#: Globals that stay real during a scan: what is needed to skip a joblib file's array bytes.
SCAN_REAL = frozenset({"joblib.numpy_pickle.NumpyArrayWrapper", "numpy.dtype", "numpy.ndarray"})


@dataclass(frozen=True)
class ScanReport:
    """What a model file would import when loaded, and which of those names are refused."""

    path: str
    globals: tuple[str, ...]
    refused: tuple[str, ...]
    complete: bool = True  # False when the scan stopped early (the names found are listed)
    note: str = ""
    kind: str = "pickle"  # or "skops": then ``globals`` are the types skops does not trust
    by_flag: tuple[str, ...] = ()  # skops types trusted because the user named them

    @property
    def safe(self) -> bool:
        """True when every global is on the allow-list and the whole file was read."""
        return self.complete and not self.refused

    def rows(self) -> list[tuple[str, str]]:
        """``(status, name)`` for each name: allowed, reviewed (skops), flag or refused."""
        ok = "allowed" if self.kind == "pickle" else "reviewed"
        return [("refused" if n in self.refused else "flag" if n in self.by_flag else ok, n)
                for n in self.globals]


def allowed(module: str, name: str) -> bool:
    """Whether ``module.name`` may be imported while a model file is read.

    Examples
    --------
    >>> allowed("sklearn.linear_model._logistic", "LogisticRegression")
    True
    >>> allowed("os", "system"), allowed("builtins", "eval"), allowed("numpy", "load")
    (False, False, False)
    """
    return _lookup(module, name) is not None


def _lookup(module: str, name: str) -> Any | None:
    """The object ``module.name`` when it is on the allow-list, else None (nothing imported)."""
    full = f"{module}.{name}"
    if full in SAFE_GLOBALS:
        return _resolve(module, name)
    parts = module.split(".")
    if parts[0] not in KNOWN_PACKAGES or DENIED_PARTS.intersection(parts):
        return None
    if not all(p.isidentifier() for p in parts) or not name.isidentifier():
        return None  # also refuses dotted names (attribute chains)
    if name.startswith("__pyx_unpickle_"):
        obj = _resolve(module, name) if parts[0] in PYX_PACKAGES else None
        return obj if callable(obj) and not isinstance(obj, type) else None
    if name.startswith("__"):
        return None
    obj = _resolve(module, name)
    if not isinstance(obj, type):
        return None  # functions, ufuncs, instances: never trusted by rule
    home = str(getattr(obj, "__module__", "")).split(".")
    if home[0] != parts[0] or DENIED_PARTS.intersection(home):
        return None  # a class re-exported from another package, or from a denied module
    rule = _CLASS_RULES.get(parts[0])
    return obj if rule is not None and rule(obj) else None


def _resolve(module: str, name: str) -> Any | None:
    """Import ``module`` (only from :data:`KNOWN_PACKAGES`) and return its attribute ``name``."""
    if module.split(".")[0] not in KNOWN_PACKAGES:
        return None
    try:
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except Exception:  # a library module that fails to import is simply not trusted
        return None
    return obj


def _sklearn_class(cls: type) -> bool:
    """scikit-learn estimators and losses, and its compiled (Cython) types such as Tree."""
    from sklearn._loss.loss import BaseLoss
    from sklearn.base import BaseEstimator

    static_type = not cls.__flags__ & (1 << 9)  # Py_TPFLAGS_HEAPTYPE: unset for Cython cdef classes
    return issubclass(cls, (BaseEstimator, BaseLoss)) or static_type


def _numpy_class(cls: type) -> bool:
    """NumPy scalar, dtype, array and random generator types; never memmap (it writes files)."""
    import numpy as np

    if issubclass(cls, np.memmap):
        return False
    if issubclass(cls, (np.generic, np.dtype, np.ndarray)):
        return True
    return cls.__module__.startswith("numpy.random")


def _pandas_class(cls: type) -> bool:
    """pandas data containers: frames, series, indexes, arrays, dtypes, block managers, times."""
    import pandas as pd
    from pandas.core.internals import blocks, managers

    kinds = (pd.DataFrame, pd.Series, pd.Index, pd.api.extensions.ExtensionArray,
             pd.api.extensions.ExtensionDtype, managers.BaseBlockManager, blocks.Block,
             pd.Timestamp, pd.Timedelta, pd.Period, pd.Interval, pd.DateOffset)
    return issubclass(cls, kinds)


def _scipy_class(cls: type) -> bool:
    """scipy.sparse matrices and arrays."""
    from scipy import sparse

    return issubclass(cls, (sparse.spmatrix, sparse.sparray))


_CLASS_RULES = {"sklearn": _sklearn_class, "numpy": _numpy_class, "pandas": _pandas_class,
                "scipy": _scipy_class}


class _Stub:
    """Stands in for every global during a scan: accepts anything, does nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Stub:
        return _Stub()

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass

    def add(self, item: Any) -> None:
        pass


@dataclass
class _Names:
    """Globals met while reading, the refused ones, and whether this is a dry run."""

    scan_only: bool
    seen: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _unpickler_class() -> type:
    """joblib's unpickler (which also reads plain pickles) with our ``find_class`` and BUILD."""
    from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler

    class Guarded(NumpyUnpickler):  # type: ignore[misc, valid-type]
        names: _Names
        dispatch = NumpyUnpickler.dispatch.copy()

        def find_class(self, module: str, name: str) -> Any:
            if self.proto < 3 and self.fix_imports:  # Python 2 names, mapped as pickle does
                if (module, name) in _compat_pickle.NAME_MAPPING:
                    module, name = _compat_pickle.NAME_MAPPING[(module, name)]
                elif module in _compat_pickle.IMPORT_MAPPING:
                    module = _compat_pickle.IMPORT_MAPPING[module]
            full = f"{module}.{name}"
            shown = full if full.isascii() and full.isprintable() else ascii(full)  # file's text
            self.names.seen.append(shown)
            obj = _lookup(module, name)
            if obj is None:
                self.names.refused.append(shown)
                if not self.names.scan_only:
                    raise pickle.UnpicklingError(f"refused global {shown}")
            if self.names.scan_only and full not in SCAN_REAL:
                return type(name, (_Stub,), {})
            return obj

        def load_build(self) -> None:
            pickle._Unpickler.load_build(self)  # type: ignore[attr-defined]
            wrapper = self.stack[-1]
            if type(wrapper) is NumpyArrayWrapper:
                self.stack[-1] = self._read_array(wrapper)

        def _read_array(self, wrapper: Any) -> Any:
            if not wrapper.dtype.hasobject:
                native = "ensure_native_byte_order" in inspect.signature(wrapper.read).parameters
                return wrapper.read(self, True) if native else wrapper.read(self)
            inner = pickle._Unpickler(self.file_handle)  # type: ignore[attr-defined]
            inner.find_class = self.find_class  # type: ignore[method-assign]  # same checks
            return inner.load()

        dispatch[pickle.BUILD[0]] = load_build

    return Guarded


def _read(path: Path, names: _Names) -> Any:
    """Unpickle ``path`` (plain, joblib or joblib-compressed) through the guarded unpickler.

    The globals it resolves are collected in ``names`` as they come, so that they are
    known even when reading stops with an error.
    """
    import joblib.numpy_pickle as jnp

    opener = getattr(jnp, "_validate_fileobject_and_memmap", None) or jnp._read_fileobject
    with open(path, "rb") as raw, opener(raw, str(path), None) as opened:
        fobj = opened[0] if isinstance(opened, tuple) else opened
        if isinstance(fobj, str):  # joblib < 0.10 kept arrays in companion files
            raise pickle.UnpicklingError("a joblib file from before joblib 0.10 (not supported)")
        guarded = _unpickler_class()
        native = "ensure_native_byte_order" in inspect.signature(guarded).parameters
        unpickler = guarded(str(path), fobj, **({"ensure_native_byte_order": True} if native else {}))
        unpickler.names = names
        return unpickler.load()


def scan_model_file(path: str | Path) -> ScanReport:
    """Every global a pickle or joblib file names, and those refused, without calling any.

    Examples
    --------
    >>> import pickle, tempfile, os
    >>> class Evil:
    ...     def __reduce__(self):
    ...         return (os.system, ("echo pwned",))
    >>> f = tempfile.NamedTemporaryFile(suffix=".pkl", delete=False)
    >>> _ = f.write(pickle.dumps(Evil())); f.close()
    >>> report = scan_model_file(f.name)
    >>> report.safe, report.refused
    (False, ('posix.system',))
    >>> os.unlink(f.name)
    """
    names = _Names(scan_only=True)
    complete, note = True, ""
    try:
        _read(Path(path), names)
    except Exception as exc:  # a damaged file: keep the names found so far
        complete, note = False, ascii(f"{type(exc).__name__}: {_first_line(exc)}")[1:-1]
    return ScanReport(str(path), tuple(dict.fromkeys(names.seen)),
                      tuple(dict.fromkeys(names.refused)), complete, note)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


def load_pickled_model(path: str | Path) -> Any:
    """Load a pickle or joblib file, refusing any global outside the allow-list.

    Raises
    ------
    pickle.UnpicklingError
        Naming the first refused global (``scan_model_file`` lists them all).
    """
    return _read(Path(path), _Names(scan_only=False))


def unrestricted_load(path: str | Path) -> Any:
    """Load with plain joblib (runs the file's code): only behind ``--trust-model``."""
    import joblib

    return joblib.load(path)
