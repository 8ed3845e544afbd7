"""A step that warns only inside a worker process (picklable: the spawned worker imports it)."""

from __future__ import annotations

import multiprocessing
import warnings

import numpy as np


def warn_in_worker(X: np.ndarray) -> np.ndarray:
    """Identity; warns when run in a child process (a budgeted stage's worker)."""
    if multiprocessing.parent_process() is not None:
        warnings.warn("computed in the stage's worker", RuntimeWarning, stacklevel=2)
    return X
