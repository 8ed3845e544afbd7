"""Command line: ``audit run MODEL DATA``. The only module that prints or exits.

Exit codes: 0 PASS (or REVIEW or UNDECIDED without --strict); 1 FAIL (or REVIEW or
UNDECIDED with --strict); 2 bad usage or bad input; 3 internal error; 130 interrupted (Ctrl-C), 143 terminated
(SIGTERM) - neither leaves a temporary file or a mismatched report and JSON behind.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ._config import budget_text
from ._errors import AuditError, ConfigError
from ._version import __version__
from ._words.text import printable, rows_progress

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _err(text: str) -> None:
    """One line on stderr; anything that came from data is shown with visible escapes."""
    click.echo(printable(text), err=True)


def _pairs(values: Sequence[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        name, sep, col = v.partition("=")
        if not sep or not name.strip() or not col.strip():
            raise ConfigError(f"{flag} '{v}' is not NAME=VALUE - e.g. {flag} race=ethn_cd")
        out[name.strip()] = col.strip()
    return out


class _Progress:
    """Shows a spinner for each step on stderr and reports steps that took over a second."""

    def __init__(self, console: Console, quiet: bool) -> None:
        self.console, self.quiet = console, quiet

    @contextlib.contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        start = time.perf_counter()
        if self.quiet:
            yield
            return
        with self.console.status(f"{label}…", spinner="dots") as status:
            self._status: Any = status
            yield
        self._status = None
        took = time.perf_counter() - start
        if took >= 1.0:
            self.console.print(f"[dim]  {label}: {took:.1f} s[/dim]", highlight=False)


    def tick(self, label: str, total: int | None) -> Callable[[int], None] | None:
        """A callback showing rows done (of ``total``), their rate and the time left."""
        if self.quiet:
            return None
        start = time.perf_counter()

        def show(done: int) -> None:
            status = getattr(self, "_status", None)
            if status is not None:
                status.update(f"{label}… {rows_progress(done, total, time.perf_counter() - start)}")
        return show


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="model-audit")
def cli() -> None:
    """Audit a trained model for group fairness and interpretability."""


@cli.command("run")
@click.argument("inputs", nargs=-1, required=True, metavar="[MODEL] DATA")
@click.option("-c", "--config", type=click.Path(dir_okay=False), help="audit.toml with settings.")
@click.option("-o", "--out", default="audit_report.html", show_default=True,
              help="Where to write the HTML report.")
@click.option("--json", "json_out", default="audit.json", show_default=True,
              help="Where to write the machine-readable result.")
@click.option("--target", help="Column with the true outcomes.")
@click.option("--protected", multiple=True, metavar="NAME=COLUMN",
              help="Protected attribute column, e.g. race=ethn_cd (repeatable).")
@click.option("--reference", multiple=True, metavar="NAME=GROUP",
              help="Reference group for an attribute, e.g. race=White (repeatable).")
@click.option("--positive-label", help="Target value that counts as the favourable outcome.")
@click.option("--positive-is", metavar="favourable|harmful",
              help="What the positive label (1, True, yes) means: favourable (approved) or "
                   "harmful (a risk flag: reoffended, defaulted). Default: from the target's "
                   "name, else favourable (said in the report).")
@click.option("--threshold", type=float, help="Turn scores into decisions with this cut-off.")
@click.option("--predictions", help="Predictions-only mode: column with the model's decisions.")
@click.option("--scores", help="Predictions-only mode: column with the model's scores.")
@click.option("--scores-are-probabilities", is_flag=True, default=None,
              help="The --scores column holds probabilities in [0, 1], so calibration and the "
                   "average score are checked (otherwise the scores are a ranking: AUC only).")
@click.option("--seed", type=int, help="Random seed for resampling (default 0).")
@click.option("--n-boot", type=int, help="Bootstrap resamples (default 1000).")
@click.option("--min-group-size", type=int, help="Smallest group that is judged (default 30).")
@click.option("--no-intersections", is_flag=True, default=None,
              help="Skip pairs of attributes (race × gender ...).")
@click.option("--no-explain", is_flag=True, default=None, help="Skip the SHAP explanations.")
@click.option("--explain-rows", type=int,
              help="Rows in the SHAP explanation sample. Default: every row when the "
                   "cost model's estimate (not a timing) fits the SHAP stage's time budget, else "
                   "as many as fit.")
@click.option("--no-what-if", is_flag=True, default=None,
              help="Skip retraining the model under a fairness constraint.")
@click.option("--budget", type=float, metavar="SECONDS",
              help="Time for the optional stages together, split as deadlines: "
                   f"{budget_text()}. A stage that reaches its deadline is stopped and "
                   "reported (the what-if keeps the runs that finished). Default: no budget; "
                   "the what-if alone is capped (what_if_seconds, 60).")
@click.option("--skip", "skip", multiple=True, metavar="STAGE[,STAGE]",
              help="Stages not to run: explain, complexity, proxies, what-if (e.g. --skip "
                   "proxies,what-if); recorded in the report.")
@click.option("--no-proxies", is_flag=True, default=None,
              help="Skip the proxy search and with it the loss terms and what-if "
                   "(= --skip proxies).")
@click.option("--engine", type=click.Choice(["pandas", "stream", "spark"]),
              help="How the data is read: pandas (in memory), stream (parquet/CSV in batches, "
                   "flat memory) or spark. Default: pandas for a file of up to 2,000,000 rows "
                   "(CSV: 512 MB), stream for larger files, directories and globs.")
@click.option("--spark-master", metavar="URL",
              help="Spark master for --engine spark: local[*] (default), yarn, spark://HOST:PORT.")
@click.option("--sample-rows", type=int,
              help="stream/spark: rows sampled for SHAP, complexity and proxies (default "
                   "100,000, plus 200 of every group); fairness counts every row.")
@click.option("--emit-loss-config", type=click.Path(dir_okay=False),
              help="Write the recommended fairlearn constraints to this JSON file.")
@click.option("--outcome-verb", help="Plain word for the favourable outcome, e.g. approved.")
@click.option("--subject-noun", help="Plain word for the people, e.g. applicants.")
@click.option("--trust-type", multiple=True, help="Extra type to trust in a .skops file.")
@click.option("--trust-model", is_flag=True, default=None,
              help="Load a model file even if it names code outside the allow-list (it could "
                   "run code; recorded in the report). Check first with `audit scan`.")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False),
              help="Sign-off thresholds (see `audit policy show`).")
@click.option("--pdf", "pdf_out", is_flag=False, flag_value="", default=None,
              help="Also print the report to PDF with headless Chromium (path optional).")
@click.option("--model-name", help="Model name for the report's title and sign-off block "
                                   "(default: the model file's name).")
@click.option("--model-version", help="Model version for the sign-off block.")
@click.option("--signoff-by", help="Reviewer's name for the sign-off block.")
@click.option("--signoff-date", help="Sign-off date (left blank when not given).")
@click.option("--signoff-decision", help="Reviewer's decision, e.g. 'approved for release'.")
@click.option("--signoff-notes", help="Reviewer's notes.")
@click.option("--strict", is_flag=True,
              help="Exit 1 on REVIEW and UNDECIDED too (for CI gates).")
@click.option("--exit-zero", is_flag=True,
              help="Exit 0 whatever the verdict (errors still exit 2 or 3).")
@click.option("-q", "--quiet", is_flag=True, help="Only print the verdict line.")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def run_cmd(ctx: click.Context, inputs: tuple[str, ...], **opts: Any) -> None:
    """Audit MODEL on DATA and write a report and a JSON result.

    With --predictions COLUMN, pass only DATA: the audit then uses the model's
    recorded outputs instead of the model.
    """
    from ._api import run

    console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
    pdf_out = _pdf_path(opts)
    model_path, data_path = _split_inputs(inputs, opts["predictions"])
    _check_run_outputs(opts, pdf_out, model_path, data_path)
    command = "audit " + shlex.join(ctx.obj["argv"]) if ctx.obj else "audit run"
    progress = _Progress(console, opts["quiet"])
    result = run(model_path, data_path, opts["config"], policy=opts["policy_path"],
                 command=command, progress=progress, **_overrides(opts))
    _write_outputs(result, opts, pdf_out, progress)
    if result.provenance.model_trust:  # even with --quiet: the model file could run code
        _err(f"Warning: {result.provenance.model_trust}")
    if not opts["quiet"]:
        from ._report.console import summary_lines

        for line in summary_lines(result):
            console.print(line, highlight=False, markup=False)
        console.print(printable(f"Report: {opts['out']}   JSON: {opts['json_out']}"),
                      markup=False)
    v = result.verdict.verdict
    reasons = f" ({', '.join(result.verdict.reasons)})" if result.verdict.reasons else ""
    _err(f"Verdict: {v}{reasons}")  # always the last line
    failed = v == "FAIL" or (v in ("REVIEW", "UNDECIDED") and opts["strict"])
    ctx.exit(EXIT_FAIL if failed and not opts["exit_zero"] else EXIT_OK)


def _pdf_path(opts: dict[str, Any]) -> str | None:
    """Where --pdf writes; checks for Chromium before the audit runs, not after."""
    if opts["pdf_out"] is None:
        return None
    from ._report.pdf import find_chromium

    find_chromium()
    return str(opts["pdf_out"] or Path(opts["out"]).with_suffix(".pdf"))


def _check_run_outputs(opts: dict[str, Any], pdf_out: str | None, model_path: str | None,
                       data_path: str) -> None:
    """Refuse, before any work, outputs that cannot be written or would replace an input."""
    from ._io.outputs import check_outputs

    check_outputs({"-o": opts["out"], "--json": opts["json_out"], "--pdf": pdf_out,
                   "--emit-loss-config": opts["emit_loss_config"]},
                  {"model file": model_path, "data file": data_path,
                   "config file": opts["config"], "policy file": opts["policy_path"]})


def _split_inputs(inputs: tuple[str, ...], predictions: str | None) -> tuple[str | None, str]:
    """(model path or None, data path) from the positional arguments."""
    if len(inputs) > 2:
        raise click.UsageError(f"expected MODEL DATA, got {len(inputs)} arguments")
    if len(inputs) == 1 and not predictions:
        raise click.UsageError(
            "only one input given - pass MODEL DATA, or DATA --predictions COLUMN")
    return (inputs[0] if len(inputs) == 2 else None), inputs[-1]


#: Command-line options passed to the audit configuration under the same name.
_SAME_NAME = ("target", "positive_label", "positive_is", "threshold", "predictions", "scores",
              "scores_are_probabilities", "seed", "n_boot",
              "min_group_size", "outcome_verb", "subject_noun", "model_name", "model_version",
              "signoff_by", "signoff_date", "signoff_decision", "signoff_notes", "budget",
              "engine", "spark_master", "sample_rows")
#: Flags that switch a part of the audit off.
_SWITCHED_OFF = {"no_intersections": "intersections", "no_explain": "explain",
                 "no_what_if": "what_if"}


def _stage_list(values: Sequence[str]) -> tuple[str, ...]:
    """``--skip a,b --skip c`` as (a, b, c); the names are checked with the configuration."""
    names = tuple(n.strip() for v in values for n in v.split(",") if n.strip())
    if values and not names:
        raise ConfigError("--skip needs stage names, e.g. --skip proxies,what-if")
    return names


def _overrides(opts: dict[str, Any]) -> dict[str, Any]:
    """Configuration overrides from the command line (None = not given, config decides)."""
    overrides: dict[str, Any] = {k: opts[k] for k in _SAME_NAME}
    if opts["protected"]:
        overrides["protected"] = _pairs(opts["protected"], "--protected")
    if opts["reference"]:
        overrides["reference"] = _pairs(opts["reference"], "--reference")
    for flag, key in _SWITCHED_OFF.items():
        if opts[flag]:
            overrides[key] = False
    if opts["explain_rows"] is not None:
        overrides["explain_rows"] = opts["explain_rows"]
    if opts["trust_type"]:
        overrides["trust_types"] = tuple(opts["trust_type"])
    if opts["trust_model"]:
        overrides["trust_model"] = True
    skip = _stage_list(opts["skip"]) + (("proxies",) if opts["no_proxies"] else ())
    if skip:
        overrides["skip"] = skip
    return overrides


def _write_outputs(result: Any, opts: dict[str, Any], pdf_out: str | None, progress: _Progress) -> None:
    """Render everything first, then write the set at once (see ``audit._io.outputs``)."""
    from ._io.outputs import OutputSet, stamp_report
    from ._report import render_html

    with progress("Writing the report"):
        payload = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
        html = render_html(result)
    loss_payload = None
    if opts["emit_loss_config"]:
        from ._troublemakers import loss_config

        if result.troublemakers is None:
            why = result.skipped.get("troublemakers", "the troublemaker analysis did not run")
            raise AuditError(f"--emit-loss-config: no recommendation to write ({why})")
        loss_payload = json.dumps(loss_config(result.troublemakers), indent=2) + "\n"
    with OutputSet() as files:
        files.stage(opts["json_out"], payload)
        if loss_payload is not None:
            files.stage(opts["emit_loss_config"], loss_payload)
        report = files.stage(opts["out"], stamp_report(html, payload), last=True)
        if pdf_out is not None:
            from ._report.pdf import html_to_pdf

            with progress("Printing the PDF"):
                html_to_pdf(report, files.reserve(pdf_out))
        files.commit()


@cli.group("policy")
def policy_group() -> None:
    """Show the sign-off policy."""


@policy_group.command("show")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False),
              help="Show this policy file instead of the default.")
def policy_show(policy_path: str | None) -> None:
    """Print the policy (thresholds for each check) as TOML."""
    from ._fairness.policy import load_policy, policy_toml

    click.echo(policy_toml(load_policy(policy_path) if policy_path else None), nl=False)


@cli.command("scan")
@click.argument("model_path", metavar="MODEL_FILE")
@click.option("--trust-type", multiple=True, help="Extra type to trust in a .skops file.")
def scan_cmd(model_path: str, trust_type: tuple[str, ...]) -> None:
    """List what loading MODEL_FILE would import, without loading it (exit 2 if refused).

    Pickle and joblib files: every global the file names. Skops files: the types
    skops does not trust by default, against the audit's reviewed list.
    """
    from ._io.models import refusal, scan_model
    from ._words.io import scan_listing

    report = scan_model(model_path, tuple(trust_type))
    for line in scan_listing(model_path, report.kind, report.rows(), report.note):
        click.echo(printable(line))
    if not report.safe:
        raise refusal(report)


@cli.command("render")
@click.argument("json_path", metavar="AUDIT_JSON")
@click.option("-o", "--out", default="audit_report.html", show_default=True)
def render_cmd(json_path: str, out: str) -> None:
    """Rebuild the HTML report from an audit.json alone."""
    from ._io.audit_json import read_result
    from ._io.outputs import check_outputs, stamp_report, write_one
    from ._report import render_html

    check_outputs({"-o": out}, {"audit JSON": json_path})
    result = read_result(json_path)
    write_one(out, stamp_report(render_html(result), Path(json_path).read_bytes()))
    _err(f"Report: {out}")


@cli.command("diff")
@click.argument("old_json", metavar="OLD_JSON")
@click.argument("new_json", metavar="NEW_JSON")
@click.option("-o", "--out", default="audit_diff.html", show_default=True)
def diff_cmd(old_json: str, new_json: str, out: str) -> None:
    """Compare two audits (e.g. before and after a model refresh)."""
    from ._diff import diff_results
    from ._io.audit_json import read_result
    from ._io.outputs import check_outputs, write_one
    from ._report import render_diff_html

    check_outputs({"-o": out}, {"old audit JSON": old_json, "new audit JSON": new_json})
    d = diff_results(read_result(old_json), read_result(new_json), old_json, new_json)
    write_one(out, render_diff_html(d))
    _err(f"Verdict {d.old_verdict} -> {d.new_verdict}; {len(d.changes)} changes. Report: {out}")
    for c in d.changes[:10]:
        _err(f"  [{c.direction}] {c.sentence}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never calls ``sys.exit``)."""
    from ._io.outputs import INTERRUPTED, interrupted_exit_code, sigterm_raises

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with sigterm_raises():
            return _main(args)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated); outputs cleaned up
        click.echo(INTERRUPTED, err=True)
        return interrupted_exit_code(exc)


def _main(args: list[str]) -> int:
    debug = "--debug" in args
    try:
        rv = cli.main(args=args, prog_name="audit", standalone_mode=False, obj={"argv": args})
        return rv if isinstance(rv, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            raise exc.__cause__ from None
        click.echo("audit: aborted", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        msg = exc.format_message().replace("\n", " ")
        _err(f"audit: error: {msg}")
        return EXIT_USAGE
    except AuditError as exc:
        _err(f"audit: error: {' '.join(str(exc).split())}")
        return EXIT_USAGE
    except Exception as exc:
        if debug:
            traceback.print_exc()
        first = " ".join(str(exc).split())[:300]
        _err(f"audit: internal error: {type(exc).__name__}: {first} - this is a bug in "
             "model-audit; re-run with --debug and report it")
        return EXIT_INTERNAL


def entry() -> None:  # pragma: no cover - console-script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
