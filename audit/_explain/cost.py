"""What explaining ``n`` rows costs, estimated from the inputs only (never from a clock).

The sample size must be the same on every machine and under any load (same inputs and
seed, same ``audit.json``), so it comes from a cost *model*: seconds = ``fixed +
per_row * n``, from the model's structure and the data's shape.  The constants were
calibrated once on the development machine (2 cores, shared, load 3-5; see
:data:`CALIBRATED`) as the largest seconds per unit of work measured across a range of
models, times a margin of about 1.5, so the estimate is above the time the explainer
takes there (measured: 1.5x to 3.5x above for trees); on a faster machine the budget is
simply not used in full.

* **path-dependent TreeSHAP** (Lundberg et al. 2020, Algorithm 2) walks, for each row and
  tree, every root-to-leaf path and at each leaf unwinds the path once per feature on it:
  its work per row is ``sum over leaves of (depth + 1)^2 + LEAF_UNITS`` (:func:`tree_work`,
  summed over the trees it walks; the constant is each leaf's and tree's overhead), times
  one constant per implementation (:data:`SECONDS_PER_UNIT`): LightGBM's and XGBoost's
  native ``pred_contrib`` (for a model our kernel does not read), our numba kernel for
  HistGradientBoosting, LightGBM (the trees ``predict`` uses), RandomForest / ExtraTrees
  and, in float64, XGBoost (the trees of the iteration range it walks), shap's C++
  TreeExplainer for the other scikit-learn trees.  shap also copies every node into its
  own arrays once per call (:data:`SHAP_SECONDS_PER_NODE`);
* our kernel computes most trees from **leaf tables** instead (:mod:`.treeshap`: one pass
  over the nodes and ``d`` look-ups per leaf): such a tree's work is ``TABLE_TREE_UNITS +
  sum over leaves of (depth + 1)`` at :data:`TABLE_SECONDS_PER_UNIT`; the trees it keeps
  Algorithm 2 for (a leaf meeting more than ``TABLE_MAX_FEATURES`` distinct features,
  read from the model) are priced as above (:func:`_kernel_work`);
* **linear** models: every row (the values are one product per row and column);
* **model-agnostic** explainers: model evaluations per row (``2^M`` coalitions x
  background for exact enumeration, ``PERMUTATIONS x (2M + 1)`` x background for the
  permutation explainer, as :func:`audit._explain.explainers._agnostic_exact` chooses)
  times :data:`AGNOSTIC_SECONDS_PER_EVAL`, a conservative figure for one model-row
  evaluation (the model's own speed is unknown), plus :data:`AGNOSTIC_SECONDS_PER_ROW`.

Every estimate adds :data:`SECONDS_PER_CELL` per row and column (the pipeline's
transform, the model's output, summing the values back onto the original columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .explainers import (
    AGNOSTIC_BACKGROUND,
    PERMUTATIONS,
    _agnostic_exact,
    _exact_kind,
    _n_outputs,
)
from .mapping import _flatten_pipeline
from .output import _is_lightgbm, _is_xgboost, _ModelOutput
from .trees import (
    LgbmModel,
    _is_hgb,
    _lgbm_tree,
    _xgb_tree_ids,
    is_sklearn_forest,
    lightgbm_model,
    lightgbm_output_trees,
    lightgbm_unsupported,
    xgboost_model,
    xgboost_unsupported,
)

#: when and how the constants below were measured
CALIBRATED = (
    "2026-12-01, 2-core shared machine (load 3-5): compute_attributions on 20,000 rows of a "
    "lending-like table (12 numeric, 3 categorical columns) for RandomForest (100 deep "
    "trees), ExtraTrees, GradientBoosting, DecisionTree, LightGBM and XGBoost (category "
    "columns), HistGradientBoosting (numeric and native categorical); the largest seconds "
    "per unit of work, times 1.5"
)
#: when and how ``SECONDS_PER_UNIT["xgboost_float64"]`` was measured
CALIBRATED_XGBOOST_FLOAT64 = (
    "2026-12-01, same machine (load 2.5-3): compute_attributions on 20,000 rows of the same "
    "table for XGBoost classifiers on category columns of 200 trees of depth 6, 60 of depth 8, "
    "300 of depth 3, 100 of depth 4 and 500 of depth 2: 1.4e-9 to 3.8e-9 s per unit (the "
    "shallowest trees dearest), times 1.5; XGBoost's own pred_contribs on the same rows: "
    "0.6e-9 to 1.6e-9"
)
#: when and how :data:`TABLE_SECONDS_PER_UNIT` was measured
CALIBRATED_TABLES = (
    "2026-12-01, same machine (load 0.5-2.5): compute_attributions on 20,000 rows of the same "
    "table for XGBoost classifiers on category columns (200 trees of depth 6, 60 of depth 8, "
    "300 of depth 3, 100 of depth 4, 500 of depth 2, 30 of depth 10) and HistGradientBoosting "
    "(200 x 31 leaves native categorical and numeric, 100 x 8 leaves categorical, 300 stumps, "
    "50 x 255 leaves, 11 of whose trees keep Algorithm 2), and on 10,000 rows for XGBoost "
    "trees of depth 12 and 14 (30 to 90 MiB of tables): the estimate is 1.95 to 5.8 times "
    "the wall time and 1.0 to 3.3 times the CPU time of both cores (the kernel alone: 27 to "
    "63 ns per leaf, 94 for stumps, 154 with 30 MiB of tables); the kernel has since become "
    "10-25% faster (on the bench XGBoost model, 200 trees of depth 6: 250-325 us of CPU per "
    "row against 2,770-3,300 for Algorithm 2 and 1,300-1,430 for XGBoost's own float32 "
    "pred_contribs), so the margins only grew; setting the tables up costs about 8.5 ns per "
    "entry, 0.3 s at TABLE_MAX_BYTES, within FIXED_SECONDS"
)
#: how the LightGBM entries of :data:`SECONDS_PER_UNIT` and :data:`TABLE_SECONDS_PER_UNIT`
#: (XGBoost's float64 constants: the same kernel) were checked
CALIBRATED_LIGHTGBM = (
    "2026-12-02, same machine (load 1.8-2.6): compute_attributions on 10,000 and 20,000 rows "
    "of the end-to-end benchmark's LightGBM on category columns (200 trees of 31 leaves, "
    "depth up to 16, every tree from leaf tables), 3 repeats: 212 to 262 us of CPU per row; "
    "the estimate is 1.6 to 2.2 times the CPU time and 1.6 to 2.3 times the wall time, within "
    "the bounds of CALIBRATED_TABLES; LightGBM's own pred_contrib on the same rows: 1,117 to "
    "1,133 us of CPU per row"
)
CALIBRATED_FOREST = (
    "2026-12-02, same machine (load 1-2): compute_attributions (best of 2) on the end-to-end "
    "benchmark's table (30,000 training rows, an OrdinalEncoder pipeline) for RandomForest "
    "classifiers of 100 trees of depth 12 (min_samples_leaf 20; leaf tables: 2.5e-9 s per "
    "unit), 200 of depth 6 (1.3e-9) and 100 unbounded (Algorithm 2: 5.8e-10), ExtraTrees of "
    "100 unbounded trees (4.0e-10) and a RandomForest regressor of 50 trees (leaf tables: "
    "5.5e-10); the constants are the largest times 1.5"
)
#: seconds per unit of our kernel over RandomForest / ExtraTrees trees: Algorithm 2 ...
FOREST_ALG2 = 9.0e-10
#: ... and leaf tables (:data:`CALIBRATED_FOREST`)
FOREST_TABLES = 4.0e-9
#: units of TreeSHAP work per leaf besides its path's (d + 1)^2: the per-tree and per-leaf
#: overhead, which dominates shallow trees
LEAF_UNITS = 32
#: seconds per unit of TreeSHAP work (one leaf at depth d is (d + 1)^2 + LEAF_UNITS) and row
SECONDS_PER_UNIT = {
    "lightgbm": 4.0e-9,
    "xgboost": 3.5e-9,  # XGBoost's own pred_contribs (a model our float64 kernel does not read)
    # our float64 kernel's Algorithm 2 over XGBoost's trees (:mod:`.trees`), measured on
    # its own (:data:`CALIBRATED_XGBOOST_FLOAT64`): 2 to 5 times XGBoost's float32
    # pred_contribs; most trees are computed from leaf tables (:data:`TABLE_SECONDS_PER_UNIT`)
    "xgboost_float64": 6.0e-9,
    # our kernel over LightGBM's trees (:func:`_lightgbm_float64_work`), priced as over
    # XGBoost's (:data:`CALIBRATED_LIGHTGBM`)
    "lightgbm_float64": 6.0e-9,
    "hgb": 7.0e-9,  # Algorithm 2; categorical splits route through bitsets: dearer than numeric
    "forest": FOREST_ALG2,  # our kernel over RandomForest / ExtraTrees (:data:`CALIBRATED_FOREST`)
    "shap": 2.5e-9,
}
#: our kernel's leaf tables (:mod:`.treeshap`): units of work per tree besides its leaves'
#: ``depth + 1`` each (the per-tree overhead, which dominates shallow trees)
TABLE_TREE_UNITS = 30
#: seconds per unit of the leaf tables' work and row (:data:`CALIBRATED_TABLES`)
TABLE_SECONDS_PER_UNIT = {
    "hgb": 6.0e-9,
    "xgboost_float64": 6.5e-9,
    "lightgbm_float64": 6.5e-9,
    "forest": FOREST_TABLES,
}
#: leaf tables beyond this many bytes no longer stay in the caches (measured: 27 to 63 ns
#: per leaf with 1 to 10 MiB of tables, 154 ns with 30 MiB, XGBoost trees of depth 12) ...
TABLE_CACHE_BYTES = 8 * 2**20
#: ... and every look-up costs this many times more
TABLE_MEMORY_FACTOR = 3.0
#: shap's TreeExplainer copies the trees once per call: seconds per node
SHAP_SECONDS_PER_NODE = 7.0e-6
#: seconds per call of any explainer (imports, compiled kernels loaded from disk, set-up)
FIXED_SECONDS = 1.0
#: seconds per row and original column (transform, model output, summing back)
SECONDS_PER_CELL = 1.0e-6
#: model-agnostic: seconds of one model evaluation on one (row, background row) pair, the
#: slowest measured (an RBF SVC with probabilities on 3,000 training rows: 3.9e-5; an MLP
#: 0.4e-6 to 8e-6, k-nearest neighbours 1e-5): the model's own speed is unknown, so most
#: models get fewer rows than would fit, never more
AGNOSTIC_SECONDS_PER_EVAL = 4.0e-5
#: model-agnostic: seconds per row besides the evaluations (shap's calls, decoding the rows)
AGNOSTIC_SECONDS_PER_ROW = 0.01


@dataclass(frozen=True)
class Cost:
    """Estimated seconds of explaining ``n`` rows: ``fixed + per_row * n``.

    ``exact_per_row`` (model-agnostic only): seconds per row when exact enumeration is
    chosen, which depends on ``n`` (:func:`audit._explain.explainers._agnostic_exact`);
    ``per_row`` is then the permutation explainer's.
    """

    fixed: float
    per_row: float
    method: str = "tree"
    exact_per_row: float | None = None
    n_features: int = 0

    def seconds(self, n: int) -> float:
        """Estimated seconds for ``n`` rows."""
        per_row = self.per_row
        if self.exact_per_row is not None and _agnostic_exact(self.n_features, n,
                                                              AGNOSTIC_BACKGROUND):
            per_row = self.exact_per_row
        return self.fixed + per_row * n


def _leaf_work(left: np.ndarray, right: np.ndarray, roots: np.ndarray) -> float:
    """``sum over leaves of (depth + 1)^2 + LEAF_UNITS`` of trees given as child arrays.

    ``left[i] < 0``: node ``i`` is a leaf; the trees are walked level by level from ``roots``.
    """
    work = 0.0
    level, depth = np.asarray(roots, dtype=np.int64), 0
    while level.size:
        leaf = left[level] < 0
        work += float(leaf.sum()) * ((depth + 1) ** 2 + LEAF_UNITS)
        inner = level[~leaf]
        level, depth = np.concatenate([left[inner], right[inner]]), depth + 1
    return work


def _sklearn_work(final: Any) -> tuple[float, int]:
    """TreeSHAP work and node count of a scikit-learn tree or forest (every output)."""
    trees = np.ravel(np.asarray(getattr(final, "estimators_", [final]), dtype=object))
    work, nodes = 0.0, 0
    for est in trees:
        t = est.tree_
        work += _leaf_work(t.children_left, t.children_right, np.zeros(1, np.int64))
        nodes += int(t.node_count)
    return work, nodes


def _forest_work(final: Any) -> float:
    """TreeSHAP work of our kernel on a RandomForest / ExtraTrees model (one output)."""
    paths = []
    for est in final.estimators_:
        t = est.tree_
        leaf = t.children_left < 0
        paths.append(_leaf_paths(t.children_left.astype(np.int64),
                                 t.children_right.astype(np.int64),
                                 np.where(leaf, 0, t.feature).astype(np.int64), leaf))
    return _kernel_work(paths, "forest")


def _leaf_paths(left: np.ndarray, right: np.ndarray, feature: np.ndarray,
                is_leaf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per leaf of one tree (root 0, child arrays): its depth and the number of distinct
    features split on along its path, level by level (a bitset of features per node)."""
    words = int(feature[~is_leaf].max(initial=0)) // 64 + 1
    depths: list[np.ndarray] = []
    distinct: list[np.ndarray] = []
    level, masks, depth = np.zeros(1, np.int64), np.zeros((1, words), np.uint64), 0
    while level.size:
        leaf = is_leaf[level]
        depths.append(np.full(int(leaf.sum()), depth, dtype=np.int64))
        bits = np.unpackbits(np.ascontiguousarray(masks[leaf]).view(np.uint8), axis=1)
        distinct.append(bits.sum(axis=1).astype(np.int64))
        inner, m = level[~leaf], masks[~leaf]
        f = feature[inner].astype(np.int64)
        m[np.arange(len(inner)), f // 64] |= np.left_shift(np.uint64(1), (f % 64).astype(np.uint64))
        level = np.concatenate([left[inner], right[inner]]).astype(np.int64)
        masks, depth = np.concatenate([m, m]), depth + 1
    return np.concatenate(depths), np.concatenate(distinct)


def _kernel_work(trees: list[tuple[np.ndarray, np.ndarray]], impl: str) -> float:
    """Our kernel's work (:mod:`.treeshap`) on trees given by their leaves' depths and
    distinct features (:func:`_leaf_paths`), in units of Algorithm 2's work
    (:data:`SECONDS_PER_UNIT`).

    A tree whose leaves meet at most ``TABLE_MAX_FEATURES`` distinct features is computed
    from leaf tables: ``TABLE_TREE_UNITS + sum over leaves of (depth + 1)`` units of
    :data:`TABLE_SECONDS_PER_UNIT`, :data:`TABLE_MEMORY_FACTOR` times more when the tables
    (``2^d`` entries per leaf) exceed :data:`TABLE_CACHE_BYTES`; any other tree is priced as
    Algorithm 2, and so is every
    tree beyond ``TABLE_MAX_BYTES`` of tables counted as ``2^min(d, TABLE_MAX_FEATURES)``
    entries per leaf of every tree, at least what the kernel counts: the estimate never
    assumes tables the kernel does not build (:func:`audit._explain.treeshap.table_trees`).
    """
    from .treeshap import TABLE_MAX_BYTES, TABLE_MAX_FEATURES

    alg2, table, entries, built = 0.0, 0.0, 0, 0
    for depths, distinct in trees:
        size = int(np.sum(2 ** np.minimum(distinct, TABLE_MAX_FEATURES)))
        entries += size
        if distinct.max(initial=0) <= TABLE_MAX_FEATURES and 8 * entries <= TABLE_MAX_BYTES:
            table += TABLE_TREE_UNITS + float(np.sum(depths + 1))
            built += size
        else:
            alg2 += float(np.sum((depths.astype(float) + 1) ** 2 + LEAF_UNITS))
    if 8 * built > TABLE_CACHE_BYTES:  # look-ups that miss the caches
        table *= TABLE_MEMORY_FACTOR
    return alg2 + table * TABLE_SECONDS_PER_UNIT[impl] / SECONDS_PER_UNIT[impl]


def _hgb_work(final: Any, k: int) -> float:
    """Our kernel's work on output ``k``'s trees of a HistGradientBoosting model."""
    trees = []
    for it in final._predictors:
        n = it[k].nodes
        trees.append(_leaf_paths(n["left"], n["right"], n["feature_idx"],
                                 n["is_leaf"].astype(bool)))
    return _kernel_work(trees, "hgb")


def _lightgbm_children(model: LgbmModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Child arrays of every tree of a LightGBM model (:func:`lightgbm_model`), laid end to
    end: internal nodes only (a negative child is a leaf), the roots, and the trees that are
    a single leaf."""
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    roots: list[int] = []
    single, offset = 0, 0
    for fields in model[1]:
        if int(fields["num_leaves"]) < 2:
            single += 1
            continue
        left = np.array(fields["left_child"].split(), dtype=np.int64)
        right = np.array(fields["right_child"].split(), dtype=np.int64)
        lefts.append(np.where(left >= 0, left + offset, -1))
        rights.append(np.where(right >= 0, right + offset, -1))
        roots.append(offset)
        offset += len(left)
    return _joined(lefts), _joined(rights), np.asarray(roots, dtype=np.int64), single


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The int64 arrays one after the other (empty when there are none)."""
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _lightgbm_work(model: LgbmModel) -> float:
    """TreeSHAP work of every tree of a LightGBM model (``pred_contrib`` walks them all).

    Read from the model's text (``model_to_string``, the same trees as ``dump_model``:
    the best iteration's when there is one, else all), not its JSON dump, which took
    ~0.1 s to parse for 200 trees of 31 leaves.
    """
    left, right, roots, single = _lightgbm_children(model)
    work = float(single * (1 + LEAF_UNITS))  # a single leaf at depth 0
    level, depth = roots, 0
    while level.size:  # internal nodes at this depth; a child < 0 is a leaf one deeper
        kids = np.concatenate([left[level], right[level]])
        work += float((kids < 0).sum()) * ((depth + 2) ** 2 + LEAF_UNITS)
        level, depth = kids[kids >= 0], depth + 1
    return float(work)


def _lightgbm_float64_work(model: LgbmModel, k: int) -> float | None:
    """TreeSHAP work of our kernel on output ``k`` of a LightGBM model (:func:`lightgbm_model`):
    its trees with a split (a single leaf only adds to the base); ``None`` when it does not
    read the model (LightGBM's own ``pred_contrib`` runs)."""
    if lightgbm_unsupported(model) is not None:
        return None
    paths = []
    for t in lightgbm_output_trees(model, k)[0]:
        feature, _, left, right, is_leaf = _lgbm_tree(t)[0][:5]
        paths.append(_leaf_paths(left, right, feature, is_leaf))
    return _kernel_work(paths, "lightgbm_float64")


def _xgboost_work(final: Any) -> float:
    """TreeSHAP work of every tree of an XGBoost model (a text dump indents by depth)."""
    work = 0.0
    for tree in final.get_booster().get_dump():
        for line in tree.splitlines():
            if "leaf=" in line:
                work += (len(line) - len(line.lstrip("\t")) + 1) ** 2 + LEAF_UNITS
    return work


def _xgboost_float64_work(final: Any, k: int) -> float | None:
    """TreeSHAP work of our float64 TreeSHAP on output ``k`` of an XGBoost model: the trees
    it walks (the iteration range's), read from the JSON model it reads; ``None`` when it
    does not read the model (XGBoost's own ``pred_contribs`` runs)."""
    model = xgboost_model(final)
    if xgboost_unsupported(final, model) is not None:
        return None
    trees = model["learner"]["gradient_booster"]["model"]["trees"]
    paths = []
    for i in _xgb_tree_ids(final, model, k):
        left = np.asarray(trees[i]["left_children"], dtype=np.int64)
        paths.append(_leaf_paths(left, np.asarray(trees[i]["right_children"], dtype=np.int64),
                                 np.asarray(trees[i]["split_indices"], dtype=np.int64), left < 0))
    return _kernel_work(paths, "xgboost_float64")


def tree_work(final: Any, out: _ModelOutput) -> tuple[str, float, int]:
    """Which TreeSHAP runs, its work per row, and the nodes shap copies (0 for the others)."""
    if _is_lightgbm(final):
        model = lightgbm_model(final)
        ours = _lightgbm_float64_work(model, out.class_idx if _n_outputs(final) > 1 else 0)
        return ("lightgbm", _lightgbm_work(model), 0) if ours is None else \
            ("lightgbm_float64", ours, 0)
    if _is_xgboost(final):
        ours = _xgboost_float64_work(final, out.class_idx if _n_outputs(final) > 1 else 0)
        return ("xgboost", _xgboost_work(final), 0) if ours is None else \
            ("xgboost_float64", ours, 0)
    if _is_hgb(final):
        n_out = int(getattr(final, "n_trees_per_iteration_", 1))
        return "hgb", _hgb_work(final, out.class_idx if n_out > 1 else 0), 0
    if is_sklearn_forest(final):
        return "forest", _forest_work(final), 0
    work, nodes = _sklearn_work(final)
    return "shap", work, nodes


def estimate(estimator: Any, out: _ModelOutput, n_columns: int) -> Cost:
    """The cost model of explaining rows of ``n_columns`` columns with ``estimator``."""
    _, final = _flatten_pipeline(estimator)
    cell = SECONDS_PER_CELL * n_columns
    kind = _exact_kind(final, out)
    if kind == "linear":
        return Cost(FIXED_SECONDS, cell, "linear")
    if kind == "tree":
        impl, work, nodes = tree_work(final, out)
        return Cost(FIXED_SECONDS + SHAP_SECONDS_PER_NODE * nodes,
                    cell + SECONDS_PER_UNIT[impl] * work, impl)
    per_eval = AGNOSTIC_SECONDS_PER_EVAL * AGNOSTIC_BACKGROUND
    cell += AGNOSTIC_SECONDS_PER_ROW
    perm = per_eval * PERMUTATIONS * (2 * n_columns + 1)
    exact = per_eval * 2.0 ** min(n_columns, 1000)
    return Cost(FIXED_SECONDS, cell + perm, "agnostic", cell + exact, n_columns)
