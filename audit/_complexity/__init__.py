"""Interpretability against complexity: is the model's extra complexity paying for itself?

Owns the score's components (effective features, non-additivity, non-linearity, size,
surrogate fidelity), cross-validated transparent baselines and the decision.
May import: ``audit._result``, ``audit._inputs``, ``audit._errors``; numpy, pandas, scikit-learn.
"""
