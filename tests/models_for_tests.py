"""Picklable misbehaving models used by the bad-input tests."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class RaisingModel(ClassifierMixin, BaseEstimator):
    """A fitted-looking classifier whose predict() fails."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.array(list(X.columns), dtype=object)
        return self

    def predict(self, X):
        raise ValueError("could not convert string to float: 'abc'")


class NaNScoreModel(RaisingModel):
    """A classifier whose predict_proba returns NaN."""

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def predict_proba(self, X):
        out = np.full((len(X), 2), 0.5)
        out[::7] = np.nan
        return out


class NoPredict:
    """An object with fit but no predict."""

    def fit(self, X, y):
        return self


class WarnsWhenLoaded(ClassifierMixin, BaseEstimator):
    """A working classifier that warns while it is unpickled (like a version mismatch)."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.array(list(X.columns), dtype=object)
        return self

    def predict(self, X):
        return (np.asarray(X, dtype=float)[:, 0] > np.median(np.asarray(X, dtype=float)[:, 0])
                ).astype(int)

    def __setstate__(self, state):
        import warnings

        warnings.warn("pickled by another version of this library", UserWarning, stacklevel=2)
        self.__dict__.update(state)
