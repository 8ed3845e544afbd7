"""Print the HTML report to PDF with headless Chromium (the same HTML, print stylesheet)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .._errors import AuditError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Flags for a closed network: no background requests, no first-run work.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--no-pdf-header-footer")


class ChromiumMissing(AuditError):
    """``--pdf`` was asked for but no Chromium-family browser is installed."""


def find_chromium() -> str:
    """Path of a Chromium binary: ``$AUDIT_CHROMIUM``, else the first on ``PATH``."""
    env = os.environ.get("AUDIT_CHROMIUM")
    if env:
        if Path(env).is_file():
            return env
        raise ChromiumMissing(f"AUDIT_CHROMIUM='{env}' is not a file - point it at a Chromium "
                              "or Chrome binary")
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise ChromiumMissing(
        "--pdf needs headless Chromium, which was not found on PATH - install it (Debian/Ubuntu: "
        "apt-get install chromium) or set AUDIT_CHROMIUM=/path/to/chromium")


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, timeout: float = 120.0) -> None:
    """Print ``html_path`` to ``pdf_path`` atomically; raise AuditError on failure."""
    browser = find_chromium()
    src = Path(html_path).resolve()
    dst = Path(pdf_path)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="audit-chromium-") as profile:
        tmp = Path(profile) / "out.pdf"
        # A copy named .html: the CLI hands over a staged file (no .html suffix), which
        # Chromium would print as plain text. Closed <details> print open (print stylesheet).
        printable = Path(profile) / "report.html"
        shutil.copyfile(src, printable)
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}/p", f"--print-to-pdf={tmp}",
               printable.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise AuditError(f"Chromium did not print '{src}' within {timeout:.0f} s - "
                             "try again, or print the HTML report from a browser") from exc
        if proc.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
            raise AuditError(f"Chromium could not print '{src}' to PDF ({last}) - print the "
                             "HTML report from a browser instead")
        shutil.move(str(tmp), dst)
