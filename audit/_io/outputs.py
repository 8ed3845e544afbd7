"""Writing the audit's outputs so that they never destroy an input and always match.

Three guarantees, each checked by tests/io/test_outputs.py:

**No output destroys an input or another output** (:func:`check_outputs`). Before
any work, every output path is compared with every input (model, data, config,
policy, audit JSON) and every other output. Two paths are the same file when
``os.path.samefile`` says so (hard links, symlinks, case-insensitive file systems)
or, when one does not exist yet, when ``os.path.realpath`` gives the same path.

**Output locations are checked before the audit runs** (also :func:`check_outputs`):
a path that is a directory, or not a regular file (``/dev/null``: renaming onto it
would replace the device), or whose directory is missing, is a file, or is not
writable, is a one-line error, not an internal error after the whole audit.

**The outputs of one run are written as a set** (:class:`OutputSet`). Everything
is rendered first; each file is written (and fsynced) to a temporary beside its
target, so that renaming it into place is atomic. The commit then

1. removes the previous files at every target except the first (the JSON),
   report first;
2. renames the temporaries into place: the JSON first, the report last.

So at every instant - a crash or SIGKILL included - every output present besides the
JSON is from this run, and if any is present the JSON is from this run too: a
report never sits beside a JSON from another run, and the report's presence
means the whole set was written. SIGINT and SIGTERM are held back while the commit
runs (a few renames) and delivered right after it, so they never split a set. A
failure or an interruption before the commit leaves the previous outputs as they
were and no temporary file behind (they are removed in ``finally``, with signals
held back so that a second Ctrl-C cannot interrupt the clean-up).

The report also records which JSON it belongs to: :func:`stamp_report` ends it
with a comment holding the sha256 of the JSON's bytes (the JSON cannot hold the
report's hash in turn), so ``sha256sum audit.json`` can be checked against
the report whenever the pair was copied around.

**SIGTERM is handled like SIGINT** (:func:`sigterm_raises`): it raises
:class:`Terminated`, a ``KeyboardInterrupt``, so the same clean-up runs; the CLI
exits 130 after SIGINT and 143 after SIGTERM (128 + the signal number, the shell's
convention), printing ``audit: interrupted``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from .._errors import InputError
from .files import write_temporary

OUTPUT_IS_INPUT = ("{flag} '{out}' is the {what} '{inp}' - writing there would destroy the "
                   "input; choose another output path")
OUTPUTS_COLLIDE = ("{flag} '{out}' and {other_flag} '{other}' are the same file - one output "
                   "would replace the other; give each output its own path")
OUTPUT_IS_DIRECTORY = ("{flag} '{out}' is a directory - pass the path of a file in it, "
                       "e.g. '{example}'")
OUTPUT_NOT_REGULAR = ("{flag} '{out}' exists and is not a regular file (a device, pipe or "
                      "socket) - pass the path of a file")
OUTPUT_UNDER_FILE = ("{flag} '{out}' is under '{parent}', which is a file, not a directory - "
                     "choose a path in a directory")
OUTPUT_NO_DIRECTORY = ("{flag} '{out}': directory '{parent}' does not exist - create it "
                       "first (mkdir -p '{parent}') or choose another path")
OUTPUT_NOT_WRITABLE = ("{flag} '{out}': directory '{parent}' is not writable - fix its "
                       "permissions or choose another path")
OUTPUT_WRITE_FAILED = ("could not write '{out}' ({reason}) - the previous outputs were left "
                       "as they were; free some space or choose another path")

#: Ends every report written by the CLI; ``{sha256}`` is the hash of its audit JSON.
REPORT_STAMP = "<!-- model-audit: this report belongs to the audit JSON with sha256 {sha256} -->\n"
_STAMP_HEAD = REPORT_STAMP.split("{", 1)[0]

_EXAMPLE_NAMES = {"-o": "audit_report.html", "--json": "audit.json", "--pdf": "audit_report.pdf",
                  "--emit-loss-config": "loss_config.json"}

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
INTERRUPTED = "audit: interrupted"


# --------------------------------------------------------------------------- checks


def check_outputs(outputs: Mapping[str, str | Path | None],
                  inputs: Mapping[str, str | Path | None]) -> None:
    """Refuse output paths that cannot be written or would replace an input or each other.

    ``outputs`` maps an option (``"-o"``, ``"--json"``) to its path, ``inputs`` a
    description (``"model file"``) to its path; ``None`` entries are skipped.

    >>> check_outputs({"-o": "r.html", "--json": "r.json"}, {"data file": "d.csv"})
    >>> try:
    ...     check_outputs({"-o": "d.csv"}, {"data file": "d.csv"})
    ... except InputError as exc:
    ...     print(str(exc)[:51])
    -o 'd.csv' is the data file 'd.csv' - writing there
    """
    outs = [(flag, str(p)) for flag, p in outputs.items() if p is not None]
    ins = [(what, str(p)) for what, p in inputs.items() if p is not None]
    for flag, out in outs:
        for what, inp in ins:
            if same_file(out, inp):
                raise InputError(OUTPUT_IS_INPUT.format(flag=flag, out=out, what=what, inp=inp))
    for i, (flag, out) in enumerate(outs):
        for other_flag, other in outs[i + 1:]:
            if same_file(out, other):
                raise InputError(OUTPUTS_COLLIDE.format(flag=flag, out=out,
                                                        other_flag=other_flag, other=other))
    for flag, out in outs:
        _check_location(flag, out)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (existing or not).

    >>> same_file("x/../report.html", "report.html")
    True
    """
    with contextlib.suppress(OSError):
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def _check_location(flag: str, out: str) -> None:
    """Refuse an output that is a directory or special file, or whose directory is unusable."""
    target = Path(os.path.realpath(out))
    if out.endswith(("/", os.sep)) or target.is_dir():
        example = Path(out) / _EXAMPLE_NAMES.get(flag, "output")
        raise InputError(OUTPUT_IS_DIRECTORY.format(flag=flag, out=out, example=example))
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        if not stat.S_ISREG(target.stat().st_mode):
            raise InputError(OUTPUT_NOT_REGULAR.format(flag=flag, out=out))
    parent = target.parent
    if not parent.is_dir():
        blocker = next((p for p in parent.parents if p.exists()), None) if not parent.exists() \
            else parent
        if blocker is not None and not blocker.is_dir():
            raise InputError(OUTPUT_UNDER_FILE.format(flag=flag, out=out, parent=blocker))
        raise InputError(OUTPUT_NO_DIRECTORY.format(flag=flag, out=out,
                                                    parent=Path(out).parent))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(OUTPUT_NOT_WRITABLE.format(flag=flag, out=out, parent=parent))


# --------------------------------------------------------------------------- writing


@dataclass
class _Staged:
    target: Path  # where the file goes (symlinks resolved: we write through them)
    tmp: Path
    last: bool


class OutputSet:
    """Files written to temporaries, then renamed into place together by :meth:`commit`.

    Use as a context manager: leaving it without a commit (an error, an interrupt)
    removes every temporary and leaves the previous outputs untouched.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> with OutputSet() as files:
    ...     _ = files.stage(d / "audit.json", "{}")
    ...     _ = files.stage(d / "report.html", "<html></html>", last=True)
    ...     files.commit()
    >>> sorted(p.name for p in d.iterdir())
    ['audit.json', 'report.html']
    """

    def __init__(self) -> None:
        self._staged: list[_Staged] = []
        self._committed = False

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, *exc: object) -> None:
        with signals_held():
            for s in self._staged:
                s.tmp.unlink(missing_ok=True)  # after a commit, the temporaries are gone

    def stage(self, path: str | Path, data: str | bytes, *, last: bool = False) -> Path:
        """Write ``data`` to a temporary beside ``path``; return the temporary's path.

        ``last`` marks the file renamed after all others (the report).
        """
        target = Path(os.path.realpath(path))
        with signals_held():  # a temporary is always recorded, so always cleaned up
            try:
                tmp = write_temporary(target, data)
            except OSError as exc:
                raise _write_failed(path, exc) from exc
            self._staged.append(_Staged(target, tmp, last))
        return tmp

    def reserve(self, path: str | Path) -> Path:
        """An empty temporary beside ``path`` for another writer to fill (e.g. Chromium)."""
        return self.stage(path, b"")

    def commit(self) -> None:
        """Put every staged file in place (see the module docstring for the order)."""
        if self._committed:
            raise RuntimeError("OutputSet.commit() called twice")
        order = [s for s in self._staged if not s.last] + [s for s in self._staged if s.last]
        with signals_held():
            current = order[0].target if order else Path()
            try:
                for s in reversed(order[1:]):
                    current = s.target
                    s.target.unlink(missing_ok=True)
                for s in order:
                    current = s.target
                    os.replace(s.tmp, s.target)
            except OSError as exc:
                raise _write_failed(current, exc) from exc
            self._committed = True


def write_one(path: str | Path, data: str | bytes) -> None:
    """Write a single output (``audit render``, ``audit diff``) the same careful way."""
    with OutputSet() as files:
        files.stage(path, data)
        files.commit()


def _write_failed(path: str | Path, exc: OSError) -> InputError:
    return InputError(OUTPUT_WRITE_FAILED.format(out=path, reason=exc.strerror or exc))


def stamp_report(html: str, json_text: str | bytes) -> str:
    """``html`` ending with the sha256 of the audit JSON it was rendered with.

    >>> stamp_report("<html></html>\\n", "{}").splitlines()[-1][:60]
    '<!-- model-audit: this report belongs to the audit JSON with'
    """
    import hashlib

    data = json_text.encode("utf-8") if isinstance(json_text, str) else json_text
    sep = "" if html.endswith("\n") else "\n"
    return html + sep + REPORT_STAMP.format(sha256=hashlib.sha256(data).hexdigest())


def report_stamp(html: str) -> str | None:
    """The JSON sha256 recorded by :func:`stamp_report`, or None.

    >>> report_stamp(stamp_report("<p></p>", b"{}"))[:12]
    '44136fa355b3'
    """
    head = html.rfind(_STAMP_HEAD)
    if head < 0:
        return None
    return html[head + len(_STAMP_HEAD):].split(" ", 1)[0]


# --------------------------------------------------------------------------- signals


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Terminated` (main thread only; restored after)."""
    if not _main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while inside; deliver them on leaving.

    Python runs signal handlers in the main thread between bytecodes, so swapping the
    handlers (rather than masking the signal, which other threads could still receive)
    is what keeps a handler from raising in the middle of a block.
    """
    if not _main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous: dict[int, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, hold)
        yield
    finally:
        for held, handler in previous.items():
            signal.signal(held, handler if handler is not None else signal.SIG_DFL)
        if caught:
            signal.raise_signal(caught[0])


def interrupted_exit_code(exc: BaseException) -> int:
    """130 after Ctrl-C (SIGINT), 143 after SIGTERM."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
