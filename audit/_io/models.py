"""Model files: joblib/pickle and skops, checked, then loaded into a fitted estimator.

A model file is untrusted input (a vendor's, a client's, another team's model), and
both formats can carry code:

* pickle and joblib files are scanned (:func:`audit._io.safety.scan_model_file`) and
  loaded by an unpickler that only resolves the allow-list of model classes;
* ``.skops`` files are loaded with :mod:`skops.io`, trusting what skops trusts by
  default plus :data:`SKOPS_TRUSTED_TYPES`, a reviewed list of exact names; a
  function (what a ``FunctionTransformer`` holds) is never trusted by rule.

Anything else is refused, unless the user trusts the whole file (``--trust-model``,
``trust_model = true``), which :class:`LoadedModel` records in ``code_risk``.
"""

from __future__ import annotations

import importlib.util
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import AuditError, InputError, ModelError
from .files import first_line, require_file, sha256_file
from .safety import KNOWN_PACKAGES, ScanReport, load_pickled_model, scan_model_file, unrestricted_load

MODEL_SUFFIXES = {".pkl", ".pickle", ".joblib", ".skops"}

#: Types a ``.skops`` file may hold beyond what ``skops.io`` trusts by default: exact
#: names, reviewed, found by saving the common models (pipelines with ColumnTransformer,
#: OneHotEncoder, StandardScaler; HistGradientBoosting with numeric and native categorical
#: features, RandomForest, GradientBoosting, LogisticRegression, LightGBM, XGBoost).
SKOPS_TRUSTED_TYPES = frozenset({
    "numpy.dtype", "collections.OrderedDict",
    "functools.partial",  # its function is listed (and checked) on its own
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    # The one function: HistGradientBoosting's native categorical preprocessing holds
    # partial(check_array, ...), which only validates and converts an array.
    "sklearn.utils.validation.check_array",
    "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMModel", "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor", "lightgbm.sklearn.LGBMRanker",
    "xgboost.core.Booster", "xgboost.sklearn.XGBModel", "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor", "xgboost.sklearn.XGBRanker",
    "xgboost.sklearn.XGBRFClassifier", "xgboost.sklearn.XGBRFRegressor",
})

REFUSED_PICKLE = (
    "model file '{path}' names {n} global(s) outside the allow-list of model classes, which "
    "could run code when it is loaded: {names} - run `audit scan {path}` for the full "
    "listing; if you trust the file's author, pass --trust-model (or trust_model = true in "
    "audit.toml), or re-save the model with skops.io.dump"
)
REFUSED_SKOPS = (
    "model file '{path}' contains {n} type(s) that are not trusted: {names} - if you trust "
    "them, pass --trust-type NAME for each (or trust_types in audit.toml), or --trust-model "
    "to trust the whole file"
)
UNREADABLE = ("model file '{path}' is not a readable model ({why}) - expected a fitted model "
              "saved with joblib.dump or pickle.dump")
MISSING_MODULE = ("model file '{path}' is not a readable model (it needs the module '{module}', "
                  "which is not installed) - install it")
NOT_SKOPS = ("model file '{path}' is not a readable skops file ({why}) - expected a model saved "
             "with skops.io.dump")
NO_PREDICT = ("model file '{path}' holds a {kind}, which has no predict() method - save the "
              "fitted estimator or pipeline itself")


@dataclass(frozen=True)
class LoadedModel:
    estimator: Any
    path: str
    sha256: str
    trusted_types: tuple[str, ...]  # types a .skops file needed that we trusted
    code_risk: tuple[str, ...] = ()  # names outside the allow-list, loaded under --trust-model


def load_model(path: str | Path, trust_types: tuple[str, ...] = (),
               trust_model: bool = False) -> LoadedModel:
    """Load a fitted model from a joblib/pickle or skops file, refusing files that carry code.

    Raises
    ------
    ModelError
        When the file names globals (pickle) or types (skops) outside what is trusted,
        and ``trust_model`` is False. The message names all of them.
    InputError
        When the file is missing, damaged, or holds something without ``predict``.
    """
    p = Path(path)
    require_file(p, "model", MODEL_SUFFIXES, "")
    if p.suffix.lower() == ".skops":
        est, trusted, risk = _load_skops(p, trust_types, trust_model)
    else:
        (est, risk), trusted = _load_pickle(p, trust_model), ()
    if not hasattr(est, "predict"):
        raise InputError(NO_PREDICT.format(path=p, kind=type(est).__name__))
    return LoadedModel(est, str(p), sha256_file(p), trusted, risk)


def scan_model(path: str | Path, trust_types: tuple[str, ...] = ()) -> ScanReport:
    """What loading ``path`` would need, without loading it (``audit scan``).

    Pickle and joblib files: every global the file names, refused ones marked. Skops
    files: the types skops does not trust by default, refused unless reviewed or named
    in ``trust_types``.
    """
    p = Path(path)
    require_file(p, "model", MODEL_SUFFIXES, "")
    if p.suffix.lower() != ".skops":
        return scan_model_file(p)
    untrusted = _skops_untrusted(p)
    refused = tuple(t for t in untrusted if t not in SKOPS_TRUSTED_TYPES and t not in trust_types)
    return ScanReport(str(p), tuple(untrusted), refused, kind="skops",
                      by_flag=tuple(t for t in untrusted if t in trust_types))


def refusal(report: ScanReport) -> AuditError:
    """The one-line error for a scan that is not safe (refused names, or a damaged file)."""
    names = report.refused
    if report.kind == "skops":
        return ModelError(REFUSED_SKOPS.format(path=report.path, n=len(names),
                                               names=", ".join(names)))
    missing = sorted({n.split(".")[0] for n in names if n.split(".")[0] in KNOWN_PACKAGES
                      and importlib.util.find_spec(n.split(".")[0]) is None})
    if missing:
        return InputError(MISSING_MODULE.format(path=report.path, module=missing[0]))
    if names:
        return ModelError(REFUSED_PICKLE.format(path=report.path, n=len(names),
                                                names=", ".join(names)))
    return InputError(UNREADABLE.format(path=report.path, why=report.note))


def _load_pickle(p: Path, trust_model: bool) -> tuple[Any, tuple[str, ...]]:
    """(estimator, names loaded under --trust-model) from a joblib or pickle file."""
    report = scan_model_file(p)
    if report.safe:
        return _guarded(load_pickled_model, p), ()
    error = refusal(report)
    if trust_model and isinstance(error, ModelError):
        return _guarded(unrestricted_load, p), report.refused
    raise error


def _guarded(load: Any, p: Path) -> Any:
    """``load(p)``, with a damaged file (or one needing a missing module) as a one-line error."""
    try:
        return load(p)
    except ModuleNotFoundError as exc:
        raise InputError(MISSING_MODULE.format(path=p, module=exc.name)) from exc
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, TypeError,
            AttributeError, ImportError, OSError, MemoryError) as exc:
        raise InputError(UNREADABLE.format(path=p, why=f"{type(exc).__name__}: "
                                                       f"{first_line(exc)}")) from exc


def _skops_untrusted(p: Path) -> list[str]:
    import skops.io as sio

    try:
        return sorted(sio.get_untrusted_types(file=str(p)))
    except Exception as exc:
        raise InputError(NOT_SKOPS.format(path=p, why=type(exc).__name__)) from exc


def _load_skops(p: Path, trust_types: tuple[str, ...],
                trust_model: bool) -> tuple[Any, tuple[str, ...], tuple[str, ...]]:
    """(estimator, untrusted types we trusted, types loaded under --trust-model)."""
    import skops.io as sio

    report = scan_model(p, trust_types)
    if report.refused and not trust_model:
        raise refusal(report)
    try:
        est = sio.load(str(p), trusted=list(report.globals))
    except Exception as exc:
        raise InputError(
            f"model file '{p}' could not be loaded by skops ({type(exc).__name__}: "
            f"{first_line(exc)}) - re-save it with skops.io.dump"
        ) from exc
    return est, report.globals, report.refused
