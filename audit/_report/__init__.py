"""Rendering: AuditResult -> self-contained HTML (and the console summary, and PDF).

The only place HTML is produced. Layout, one guess per concern:

- ``render.py``: the one jinja2 Environment, :func:`template_dir` (templates live in
  ``reports/templates/``; an installed package carries them as ``audit/_templates``)
  and the render functions.
- ``context.py``: assembles the template context from the section modules.
- ``sections/``: one module per report section (summary, data, performance,
  fairness, explanations, complexity, flags, methodology); scope, sign-off and
  reproducibility read the result directly in their templates.
- ``charts/``: inline SVG charts (``fairness.py``, ``explanations.py``); ``svg.py`` writes
  simple charts straight to SVG in matplotlib's look (the selection charts: no figure
  to build, no second draw for a tight box).
- ``format.py``: numbers in tables and the jinja filters.
- ``console.py``: the plain-text summary ``audit run`` prints.
- ``pdf.py``: print the HTML to PDF with headless Chromium.

Every sentence comes from :mod:`audit._words.report` (or is recorded in the result).

May import: ``audit._result``, ``audit._words``, ``audit._errors``, jinja2,
matplotlib, numpy and the standard library. Never an analysis package: a saved
audit.json renders without scikit-learn, shap or fairlearn.
"""

from .context import build_context, summary_context
from .render import environment, render_diff_html, render_html, render_summary_html, template_dir

__all__ = [
    "build_context",
    "environment",
    "render_diff_html",
    "render_html",
    "render_summary_html",
    "summary_context",
    "template_dir",
]
