"""Troublemaker features: proxies for protected attributes that drive the gaps.

Owns proxy strength and recoverability, the flags, the recommended fairlearn loss
terms (with a runnable snippet and ``--emit-loss-config``) and the what-if retraining.
May import: ``audit._result``, ``audit._inputs``, ``audit._errors``; numpy, pandas,
scikit-learn, fairlearn.
"""
