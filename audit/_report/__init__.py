"""Rendering: AuditResult -> self-contained HTML. The only place HTML is produced."""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from .._result.audit import AuditResult
from . import _format
from .context import build_context, summary_context

__all__ = ["environment", "render_html", "render_summary_html", "template_dir"]


def template_dir() -> Path:
    """The report templates: inside the installed wheel, else the source tree."""
    packaged = resources.files("audit") / "_templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "reports" / "templates"


_ENV: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """The one jinja2 Environment: autoescaped, strict, with formatting filters."""
    global _ENV
    if _ENV is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(template_dir())),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(
            num=_format.num, pct=_format.pct, count=_format.count, ci=_format.ci_text,
            points=lambda x: "–" if x is None else f"{100 * x:+.1f}",
        )
        _ENV = env
    return _ENV


def render_html(result: AuditResult, *, generated: datetime | None = None) -> str:
    """Render the full report for ``result`` as one HTML string."""
    when = generated or datetime.now(timezone.utc)
    ctx: dict[str, Any] = build_context(result)
    ctx["generated"] = when.strftime("%Y-%m-%d %H:%M UTC")
    return environment().get_template("report.html.j2").render(**ctx)


def render_summary_html(result: AuditResult) -> str:
    """The verdict and headline findings as an HTML fragment (for notebooks)."""
    ctx: dict[str, Any] = summary_context(result)
    return environment().get_template("notebook.html.j2").render(**ctx)


def render_diff_html(diff: Any, *, generated: datetime | None = None) -> str:
    """The comparison of two audits as one HTML page."""
    when = generated or datetime.now(timezone.utc)
    return environment().get_template("diff.html.j2").render(
        d=diff, generated=when.strftime("%Y-%m-%d %H:%M UTC"),
        worse=[c for c in diff.changes if c.direction == "worse"],
        better=[c for c in diff.changes if c.direction == "better"],
        other=[c for c in diff.changes if c.direction not in ("worse", "better")],
    )
