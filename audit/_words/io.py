"""Model-file prose: what the audit records when a model file was trusted, and ``audit scan``.

The sentence in ``Provenance.model_trust`` is part of the JSON contract; the scan
listing is what ``audit scan`` prints. Error messages stay where they are raised
(``audit/_io/models.py``).

May import: ``audit._result`` and the standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The headline recorded (report, audit.json, console) when --trust-model let a file run code.
MODEL_TRUSTED = "model loaded with --trust-model: its file could run code"


def model_trust_note(names: Sequence[str]) -> str:
    """``Provenance.model_trust``: the trusted file and the names outside the allow-list.

    Examples
    --------
    >>> model_trust_note(["posix.system"])
    'model loaded with --trust-model: its file could run code (it names posix.system, outside the allow-list)'
    """
    return f"{MODEL_TRUSTED} (it names {', '.join(names)}, outside the allow-list)"


#: Status words of the ``audit scan`` listing, by why a name is (not) trusted.
SCAN_STATUS = {
    "allowed": "ok",
    "reviewed": "ok (reviewed list)",
    "flag": "ok (--trust-type)",
    "refused": "REFUSED",
}


def scan_listing(path: str, kind: str, rows: Sequence[tuple[str, str]], note: str = "") -> list[str]:
    """The lines ``audit scan`` prints: a heading, then one line per name with its status.

    ``kind`` is ``"pickle"`` (every global the file names) or ``"skops"`` (the types
    skops does not trust by default); ``rows`` are ``(status key, name)`` pairs.

    Examples
    --------
    >>> for line in scan_listing("m.pkl", "pickle", [("allowed", "sklearn.pipeline.Pipeline"),
    ...                                                ("refused", "posix.system")]):
    ...     print(line)
    m.pkl: pickle file naming 2 globals; 1 refused
      ok       sklearn.pipeline.Pipeline
      REFUSED  posix.system
    """
    refused = sum(1 for status, _ in rows if status == "refused")
    what = ("pickle file naming {n} globals" if kind == "pickle"
            else "skops file with {n} types that skops does not trust by default")
    lines = [f"{path}: {what.format(n=len(rows))}; {refused} refused"]
    width = max((len(SCAN_STATUS[s]) for s, _ in rows), default=0)
    lines += [f"  {SCAN_STATUS[s]:<{width}}  {name}" for s, name in rows]
    if note:
        lines.append(f"  (the scan stopped early: {note})")
    return lines


def files_detail(n_files: int, rows: int | None) -> str:
    """The data fingerprint's detail for several files streamed."""
    what = f"{n_files} file{'s' if n_files != 1 else ''}"
    return (f"{what}, {rows:,} rows" if rows is not None else what) + (
        "; sha256 over each file's name and sha256" if n_files > 1 else "")
