"""The one jinja2 Environment and the render functions (full report, notebook summary, diff)."""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from .._result.audit import AuditResult
from .context import build_context, summary_context
from .format import filters, html_text

#: Where the templates sit inside an installed package (the wheel copies reports/templates there).
PACKAGED = "_templates"
#: Where the templates sit in a checkout, relative to the repository root.
CHECKOUT = Path("reports") / "templates"


def template_dir() -> Path:
    """The report templates: inside the installed package, else the checkout's reports/templates."""
    packaged = resources.files("audit") / PACKAGED
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / CHECKOUT


_ENV: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """The one jinja2 Environment: autoescaped, strict, with formatting filters.

    Every value a template prints passes :func:`~audit._report.format.html_text`: data
    values marked in sentences become ``<bdi>`` isolates, control and bidi characters
    are shown as escapes. Attributes use the ``attr`` filter.
    """
    global _ENV
    if _ENV is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(template_dir())),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=html_text,
        )
        env.filters.update(filters())
        _ENV = env
    return _ENV


def _stamp(generated: datetime | None) -> str:
    """When the page was generated, in UTC (now unless given)."""
    return (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")


def render_html(result: AuditResult, *, generated: datetime | None = None) -> str:
    """Render the full report for ``result`` as one HTML string."""
    ctx: dict[str, Any] = build_context(result)
    ctx["generated"] = _stamp(generated)
    return environment().get_template("report.html.j2").render(**ctx)


def render_summary_html(result: AuditResult) -> str:
    """The verdict and headline findings as an HTML fragment (for notebooks)."""
    ctx: dict[str, Any] = summary_context(result)
    return environment().get_template("notebook.html.j2").render(**ctx)


def render_diff_html(diff: Any, *, generated: datetime | None = None) -> str:
    """The comparison of two audits as one HTML page."""
    return environment().get_template("diff.html.j2").render(
        d=diff, generated=_stamp(generated),
        worse=[c for c in diff.changes if c.direction == "worse"],
        better=[c for c in diff.changes if c.direction == "better"],
        other=[c for c in diff.changes if c.direction not in ("worse", "better")],
    )
