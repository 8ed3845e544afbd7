"""File-level helpers: fingerprints, atomic writes, and the checks every input file passes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .._errors import InputError


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def files_sha256(paths: Sequence[str | Path]) -> str:
    """sha256 over several files: each file's name and sha256, in order."""
    h = hashlib.sha256()
    for p in paths:
        h.update(f"{Path(p).name}\x1f{sha256_file(p)}\n".encode())
    return h.hexdigest()


def write_temporary(target: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``target`` and return its path.

    The temporary (``.NAME.XXXXXXXX.tmp`` in the target's directory, so that a rename
    onto the target is atomic) is flushed to disk and given the permissions a plain
    ``open()`` would (mkstemp makes 0600; reports are meant to be shared). On any
    failure, an interruption included, it is removed before the exception propagates.
    """
    p = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    For several files that belong together, use :class:`audit._io.outputs.OutputSet`.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = write_temporary(p, data)
    try:
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def require_file(path: Path, what: str, suffixes: set[str], flag_hint: str) -> None:
    """Refuse a path that is missing, a directory, or has an unexpected extension."""
    if not path.exists():
        raise InputError(f"{what} file '{path}' not found - check the path{flag_hint}")
    if path.is_dir():
        raise InputError(f"{what} file '{path}' is a directory - pass a file")
    if path.suffix.lower() not in suffixes:
        raise InputError(
            f"{what} file '{path}' has extension '{path.suffix or '(none)'}' - expected one of "
            f"{', '.join(sorted(suffixes))}; rename it or convert it"
        )


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (at most 160 characters), for error messages.

    >>> first_line(ValueError("bad value\\nmore detail"))
    'bad value'
    >>> first_line(ValueError())
    'no details'
    """
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else "no details"
