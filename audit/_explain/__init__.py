"""SHAP explanations on a stratified sample: exact per model type, checked for additivity.

Owns sampling, mapping pipeline columns back to the user's features, the explainers
(linear, tree, model-agnostic fallbacks), per-group attributions and the exact
decomposition of each gap into feature contributions.
May import: ``audit._result``, ``audit._inputs``, ``audit._errors``; numpy, pandas, scikit-learn, shap.
"""
