"""Models and data that look usable but would give a meaningless audit (issue 9, "Medium").

Each is refused at the validation boundary with one message that names the input, what
was expected, what was found and how to fix it; the legitimate neighbours of each case
(an age in years, a region column with many values, a LightGBM model trained on names
with spaces) still go through.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from audit import AuditConfig, InputError, ModelError
from audit._inputs import columns as C
from audit._inputs import model as M
from audit._inputs import protected as P
from audit._inputs import spec as S
from audit._inputs.spec import resolve
from audit._io import data as D


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "income": rng.normal(50, 10, n).round(1),
        "debt": rng.normal(10, 3, n).round(1),
        "gender": rng.choice(["Female", "Male"], n),
    })
    df["target"] = ((df.income - 50) / 8 + rng.logistic(size=n) > 0).astype(int)
    return df


def _fit(df: pd.DataFrame, est=None):
    return (est or LogisticRegression()).fit(df[["income", "debt"]], df.target)


class _Misbehaving(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose outputs are wrong in a chosen way."""

    def __init__(self, drop: int = 0, proba_drop: int = 0, scale: float = 1.0):
        self.drop, self.proba_drop, self.scale = drop, proba_drop, scale

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.array(list(X.columns), dtype=object)
        return self

    def predict(self, X):
        return np.zeros(len(X) - self.drop, dtype=int)

    def predict_proba(self, X):
        p = np.linspace(0, 1, len(X) - self.proba_drop) * self.scale
        return np.column_stack([1 - p, p])


# --------------------------------------------------------------------------- 1. scores in [0, 1]


def test_scores_outside_0_1_are_refused_with_the_range_found():
    df = _frame()
    model = _Misbehaving(scale=3.0).fit(df[["income", "debt"]], df.target)
    with pytest.raises(ModelError) as exc:
        resolve(df, model, AuditConfig(), source="d.csv", model_source="m.pkl")
    assert str(exc.value) == M.SCORES_OUT_OF_RANGE.format(
        source="m.pkl", lo=0.0, hi=3.0, n_out=400, n_rows=600)
    assert "from 0 to 3 (400 of 600 outside [0, 1])" in str(exc.value)


def test_scores_off_by_rounding_are_clipped_not_refused():
    out = M._probabilities(np.array([-1e-12, 0.5, 1 + 1e-12]), "m")
    assert out.tolist() == [0.0, 0.5, 1.0]


# --------------------------------------------------------------------------- 2. protected columns


def test_continuous_protected_column_is_refused():
    df = _frame().assign(gender=np.random.default_rng(1).random(600))
    with pytest.raises(InputError) as exc:
        resolve(df, _fit(df), AuditConfig(), source="d.csv")
    v = df.gender
    assert str(exc.value) == P.CONTINUOUS.format(column="gender", name="gender", source="d.csv",
                                                 n=600, lo=v.min(), hi=v.max())


def test_protected_column_with_too_many_values_is_refused():
    df = _frame().assign(gender=[f"g{i % (P.MAX_GROUPS + 1)}" for i in range(600)])
    with pytest.raises(InputError) as exc:
        resolve(df, _fit(df), AuditConfig(), source="d.csv")
    assert str(exc.value) == P.TOO_MANY_GROUPS.format(
        column="gender", name="gender", source="d.csv", n=P.MAX_GROUPS + 1, limit=P.MAX_GROUPS)


def test_protected_columns_within_the_limits_still_go_through():
    rng = np.random.default_rng(3)
    df = _frame().assign(
        gender=[f"g{i % P.MAX_GROUPS}" for i in range(600)],  # exactly at the limit
        race=rng.integers(0, 40, 600),  # integer codes, more than MAX_NUMERIC_CODES
        zip_code=[f"{i:05d}" for i in range(600)],  # geography: small regions are merged
        age=rng.integers(18, 90, 600),  # banded
    )
    prepared, spec, _ = resolve(df, _fit(df), AuditConfig(), source="d.csv")
    assert {p.name for p in spec.protected} == {"gender", "race", "geography", "age"}
    zips = next(p for p in spec.protected if p.family == "geography")
    assert len(zips.groups) == 1  # every region merged into one "other"


def test_duplicated_csv_header_is_refused(tmp_path):
    df = _frame(50)
    path = tmp_path / "d.csv"
    text = df.to_csv(index=False).splitlines()
    path.write_text("\n".join([text[0].replace("debt", "gender")] + text[1:]) + "\n")
    assert list(pd.read_csv(path).columns)[:3] == ["income", "gender", "gender.1"]  # pandas' way
    with pytest.raises(InputError) as exc:
        D.load_data(path)
    assert str(exc.value) == D.DUPLICATE_HEADER.format(path=path, names="'gender'",
                                                       positions="2, 3", example="gender")


def test_a_csv_column_named_like_a_pandas_copy_is_fine(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("race.1,race,target\nA,B,1\nB,A,0\n")
    assert list(D.load_data(path).columns) == ["race.1", "race", "target"]


def test_duplicated_columns_in_a_dataframe_are_refused():
    df = _frame(50)
    df.columns = ["income", "gender", "gender", "target"]
    with pytest.raises(InputError) as exc:
        resolve(df, None, AuditConfig(predictions="target"), source="data")
    assert str(exc.value) == S.DUPLICATE_COLUMNS.format(source="data", names="'gender'")


# --------------------------------------------------------------------------- 3. regressor on 0/1


@pytest.mark.parametrize("target", [[0, 1], [False, True]])
def test_regressor_on_a_binary_target_is_refused(target):
    df = _frame()
    df["target"] = np.where(df.target == 1, target[1], target[0])
    model = Ridge().fit(df[["income", "debt"]], df.target.astype(float))
    with pytest.raises(ModelError) as exc:
        resolve(df, model, AuditConfig(), source="d.csv", model_source="m.pkl")
    values = "False and True" if isinstance(target[1], bool) else "0 and 1"
    assert str(exc.value) == S.REGRESSOR_ON_BINARY.format(
        model="m.pkl", name="Ridge", target="target", source="d.csv", values=values)


def test_regressor_on_a_numeric_target_is_audited():
    df = _frame()
    df["target"] = df.income * 2 + df.debt
    _, spec, _ = resolve(df, LinearRegression().fit(df[["income", "debt"]], df.target),
                         AuditConfig(), source="d.csv")
    assert spec.task == "regression"


# --------------------------------------------------------------------------- 4. LightGBM names


def _spaced(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"mean radius": rng.normal(size=n), "worst  area": rng.normal(size=n),
                       "texture": rng.normal(size=n), "sex": rng.choice(["F", "M"], n)})
    df["target"] = (df["mean radius"] + rng.logistic(size=n) > 0).astype(int)
    return df


def test_lightgbm_names_with_spaces_map_back_to_the_data():
    from lightgbm import LGBMClassifier

    df = _spaced()
    cols = ["mean radius", "worst  area", "texture"]
    model = LGBMClassifier(n_estimators=10, verbose=-1).fit(df[cols], df.target)
    assert list(model.feature_name_) == ["mean_radius", "worst__area", "texture"]
    prepared, spec, _ = resolve(df, model, AuditConfig(), source="d.csv")
    assert spec.features == tuple(cols)
    assert np.allclose(prepared.scores, model.predict_proba(df[cols])[:, 1])


def test_lightgbm_model_audits_end_to_end():
    from lightgbm import LGBMClassifier

    import audit

    df = _spaced()
    cols = ["mean radius", "worst  area", "texture"]
    model = LGBMClassifier(n_estimators=10, verbose=-1).fit(df[cols], df.target)
    result = audit.run(model, df, n_boot=20, what_if=False, explain_rows=100)
    assert result.spec.features == tuple(cols)
    assert result.explanation is not None


def test_lightgbm_missing_column_says_how_lightgbm_renames():
    from lightgbm import LGBMClassifier

    df = _spaced()
    model = LGBMClassifier(n_estimators=5, verbose=-1).fit(df[["mean radius", "texture"]],
                                                          df.target)
    with pytest.raises(InputError) as exc:
        resolve(df.drop(columns="mean radius"), model, AuditConfig(), source="d.csv")
    assert "lacks 1 of the model's 2 feature columns: mean_radius" in str(exc.value)
    assert C.LIGHTGBM_HINT in str(exc.value)


def test_lightgbm_ambiguous_names_are_refused():
    from lightgbm import LGBMClassifier

    df = _spaced()
    model = LGBMClassifier(n_estimators=5, verbose=-1).fit(df[["mean radius"]], df.target)
    with pytest.raises(InputError) as exc:
        resolve(df.assign(mean_radius=1.0), model, AuditConfig(), source="d.csv")
    assert str(exc.value) == C.LIGHTGBM_AMBIGUOUS.format(
        source="d.csv", feature="mean_radius", columns="'mean radius', 'mean_radius'")


# --------------------------------------------------------------------------- 5. age not in years


@pytest.mark.parametrize("ages,why", [
    (np.linspace(-0.2, 0.2, 600), "300 rows are negative"),
    (np.r_[np.full(3, 200.0), np.full(597, 40.0)], "3 rows are over 130"),
    (np.linspace(0, 1, 600), "every value lies between 0 and 1, as if scaled"),
])
def test_age_not_in_years_is_refused(ages, why):
    df = _frame().assign(age=ages)
    with pytest.raises(InputError) as exc:
        resolve(df, _fit(df), AuditConfig(), source="d.csv")
    assert str(exc.value) == P.AGE_NOT_YEARS.format(column="age", source="d.csv", why=why,
                                                    lo=ages.min(), hi=ages.max(), limit=130)
    assert "--protected other=age" in str(exc.value)


def test_age_in_years_with_missing_values_is_banded():
    df = _frame().assign(age=np.r_[np.nan, np.linspace(0, 99, 599)])
    _, spec, _ = resolve(df, _fit(df), AuditConfig(), source="d.csv")
    age = next(p for p in spec.protected if p.name == "age")
    assert "<25" in age.groups and "65+" in age.groups


def test_declaring_the_column_not_an_age_gives_its_values_as_groups():
    df = _frame().assign(age_flag=np.r_[np.zeros(300), np.ones(300)])
    with pytest.raises(InputError):
        resolve(df, _fit(df), AuditConfig(), source="d.csv")
    _, spec, _ = resolve(df, _fit(df), AuditConfig(protected={"other": "age_flag"}),
                         source="d.csv")
    assert next(p for p in spec.protected if p.name == "other").groups == ("0", "1")


# --------------------------------------------------------------------------- 6. shap is silent


@pytest.mark.parametrize("n_features,explainer", [(3, "exact"), (16, "permutation")])
def test_shap_progress_bars_stay_off_stderr(capfd, monkeypatch, n_features, explainer):
    """shap shows a tqdm bar after 10 s; with the clock moved on it would show at once."""
    import time

    from sklearn.neighbors import KNeighborsClassifier

    import audit
    from audit._explain import explainers

    explainers._import_shap()  # shap's import-time warnings are not this test's business
    from shap.utils import _show_progress

    start = time.time()
    ticks = iter(range(10**9))
    monkeypatch.setattr(_show_progress, "time", type("Clock", (), {
        "time": staticmethod(lambda: start + 100 * next(ticks))}))
    rng = np.random.default_rng(5)
    df = pd.DataFrame({f"x{i}": rng.normal(size=200) for i in range(n_features)})
    df["gender"] = rng.choice(["F", "M"], 200)
    df["target"] = (df.x0 + rng.normal(size=200) > 0).astype(int)
    model = KNeighborsClassifier().fit(df.drop(columns=["gender", "target"]), df.target)
    result = audit.run(model, df, n_boot=20, what_if=False, explain_rows=30)
    assert result.explanation is not None and result.explanation.explainer == explainer
    err = capfd.readouterr().err
    assert "Explainer" not in err and "%|" not in err, err


# --------------------------------------------------------------------------- 7. unfitted models


@pytest.mark.parametrize("model,name", [
    (LogisticRegression(), "LogisticRegression"),
    (make_pipeline(StandardScaler(), LogisticRegression()),
     "Pipeline(StandardScaler → LogisticRegression)"),
])
def test_unfitted_model_is_refused(model, name):
    with pytest.raises(ModelError) as exc:
        resolve(_frame(), model, AuditConfig(), source="d.csv", model_source="m.pkl")
    assert str(exc.value) == M.NOT_FITTED.format(source="m.pkl", name=name)


def test_unfitted_model_is_refused_even_with_features_listed():
    cfg = AuditConfig(features=("income", "debt"))
    with pytest.raises(ModelError, match="the model is not fitted"):
        resolve(_frame(), LogisticRegression(), cfg, source="d.csv", model_source="m.pkl")


def test_unfitted_lightgbm_is_refused():
    from lightgbm import LGBMClassifier

    with pytest.raises(ModelError, match="the model is not fitted .LGBMClassifier"):
        resolve(_frame(), LGBMClassifier(), AuditConfig(), source="d.csv", model_source="m.pkl")


def test_a_duck_typed_model_is_not_taken_for_unfitted():
    class Duck:  # fitted, but not a scikit-learn estimator: nothing ends in "_"
        classes = (0, 1)

        def fit(self, X, y):
            return self

        def predict(self, X):
            return (X["income"].to_numpy() > 50).astype(int)

    M.require_fitted(Duck(), "m.pkl")  # no error


# --------------------------------------------------------------------------- 8. rows in, rows out


@pytest.mark.parametrize("kwargs,cfg,message", [
    ({"drop": 1}, AuditConfig(), "the model returned 599 predictions for 600 rows (from predict())"),
    ({"proba_drop": 1}, AuditConfig(), "the model returned 599 scores for 600 rows"),
    ({"drop": -1}, AuditConfig(), "the model returned 601 predictions for 600 rows"),
])
def test_wrong_number_of_outputs_is_refused(kwargs, cfg, message):
    df = _frame()
    model = _Misbehaving(**kwargs).fit(df[["income", "debt"]], df.target)
    with pytest.raises(ModelError) as exc:
        resolve(df, model, cfg, source="d.csv", model_source="m.pkl")
    assert str(exc.value).startswith(f"m.pkl: {message}")
