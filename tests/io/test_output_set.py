"""Outputs written as a set, never mismatched, never leaving temporaries (issue 9, item 4),
and Ctrl-C / SIGTERM exiting 130 / 143 with one line (audit._io.outputs).

The signal tests run the CLI in a subprocess whose slow step is replaced by one that
says "ready" (a marker file) and waits, so the signal always lands in that step.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from audit._errors import InputError
from audit._io import outputs
from audit._io.outputs import (
    INTERRUPTED,
    OutputSet,
    Terminated,
    report_stamp,
    signals_held,
    sigterm_raises,
    stamp_report,
)
from audit.cli import main

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def _temporaries(d: Path) -> list[str]:
    return sorted(p.name for p in d.rglob("*") if p.name.endswith(".tmp") or
                  p.name.startswith("."))


# --------------------------------------------------------------------------- OutputSet


def test_commit_removes_the_old_report_first_and_renames_it_last(tmp_path, monkeypatch):
    (tmp_path / "r.json").write_text("old json")
    (tmp_path / "r.html").write_text("old report")
    (tmp_path / "r.pdf").write_text("old pdf")
    steps: list[str] = []
    real_replace, real_unlink = os.replace, Path.unlink
    monkeypatch.setattr(os, "replace",
                        lambda a, b: (steps.append(f"rename {Path(b).name}"), real_replace(a, b)))
    monkeypatch.setattr(Path, "unlink",
                        lambda p, **kw: (steps.append(f"remove {p.name}"), real_unlink(p, **kw)))
    with OutputSet() as files:
        files.stage(tmp_path / "r.json", "new json")
        files.stage(tmp_path / "r.html", "new report", last=True)
        files.stage(tmp_path / "r.pdf", "new pdf")
        steps.clear()
        files.commit()
    assert steps[:5] == ["remove r.html", "remove r.pdf", "rename r.json", "rename r.pdf",
                         "rename r.html"]
    assert [(tmp_path / n).read_text() for n in ("r.json", "r.html", "r.pdf")] == \
        ["new json", "new report", "new pdf"]
    assert _temporaries(tmp_path) == []


def test_a_failure_before_the_commit_leaves_the_old_outputs_and_no_temporaries(tmp_path):
    (tmp_path / "r.json").write_text("old json")
    with pytest.raises(RuntimeError), OutputSet() as files:
        files.stage(tmp_path / "r.json", "new json")
        files.stage(tmp_path / "r.html", "new report", last=True)
        assert len(_temporaries(tmp_path)) == 2
        raise RuntimeError("rendering the PDF failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
    assert (tmp_path / "r.json").read_text() == "old json"


def test_a_failed_rename_is_a_one_line_error_and_leaves_no_temporaries(tmp_path, monkeypatch):
    def full(a: object, b: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(InputError, match=r"could not write '.*r.json' \(No space left on device\)"):
        outputs.write_one(tmp_path / "r.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_a_symlink_is_written_through(tmp_path):
    real = tmp_path / "runs" / "2024.json"
    real.parent.mkdir()
    real.write_text("old")
    (tmp_path / "latest.json").symlink_to(real)
    outputs.write_one(tmp_path / "latest.json", "new")
    assert (tmp_path / "latest.json").is_symlink() and real.read_text() == "new"


def test_the_report_records_the_sha256_of_its_json():
    html = stamp_report("<!DOCTYPE html><html></html>", '{"a": 1}\n')
    assert html.startswith("<!DOCTYPE html>")
    assert report_stamp(html) == hashlib.sha256(b'{"a": 1}\n').hexdigest()
    assert report_stamp("<html></html>") is None


# --------------------------------------------------------------------------- signals, in process


@posix_only
def test_signals_are_held_during_a_commit_and_delivered_after_it():
    before = signal.getsignal(signal.SIGTERM)
    with sigterm_raises():
        with pytest.raises(Terminated):
            with signals_held():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # the handler would have run here
                reached = True
            pytest.fail("the held SIGTERM was not delivered")
        assert reached
    assert signal.getsignal(signal.SIGTERM) is before


def test_ctrl_c_exits_130_with_one_line_and_writes_nothing(capsys, tmp_path, small_files,
                                                             monkeypatch):
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("audit._api.run_audit", interrupted)
    model, data = small_files
    code = main(["run", str(model), str(data), "-o", str(tmp_path / "r.html"),
                 "--json", str(tmp_path / "r.json")])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert (code, lines) == (130, [INTERRUPTED])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet", "model.joblib"]


def test_run_writes_a_report_that_names_its_json(capsys, tmp_path, small_files):
    model, data = small_files
    code = main(["run", str(model), str(data), "-o", str(tmp_path / "r.html"), "--json",
                 str(tmp_path / "r.json"), "--n-boot", "50", "--no-explain", "--no-what-if", "-q"])
    assert code in (0, 1), capsys.readouterr().err
    digest = hashlib.sha256((tmp_path / "r.json").read_bytes()).hexdigest()
    assert report_stamp((tmp_path / "r.html").read_text(encoding="utf-8")) == digest
    assert main(["render", str(tmp_path / "r.json"), "-o", str(tmp_path / "again.html")]) == 0
    assert report_stamp((tmp_path / "again.html").read_text(encoding="utf-8")) == digest
    assert _temporaries(tmp_path) == []


# --------------------------------------------------------------------------- signals, for real

#: Runs the CLI after replacing TARGET (module:attribute) with a function that writes
#: the marker file and waits (mode "wait"), or (mode "after-json", for os.replace) calls
#: the original and, once it has renamed the JSON, writes the marker and waits 3 s.
_WRAPPER = textwrap.dedent("""
    import importlib, signal, sys, time
    from pathlib import Path

    # Ctrl-C raises KeyboardInterrupt even when this process was started with SIGINT
    # ignored (a background job of a non-interactive shell inherits that)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    marker, target, mode, *argv = sys.argv[1:]
    module_name, attr = target.split(":")
    owner, *rest = attr.split(".")
    module = importlib.import_module(module_name)
    holder = getattr(module, owner) if rest else module
    name = rest[0] if rest else owner
    original = getattr(holder, name)

    def slow(*args, **kwargs):
        if mode == "after-json":  # os.replace: wait once the JSON is in place
            result = original(*args, **kwargs)
            if str(args[1]).endswith(".json") and not Path(marker).exists():
                Path(marker).write_text("ready")
                time.sleep(2)
            return result
        Path(marker).write_text("ready")
        time.sleep(60)
        return original(*args, **kwargs)

    setattr(holder, name, slow)
    from audit.cli import main
    sys.exit(main(argv))
""")


def _start(tmp_path: Path, files: tuple[Path, Path], target: str, mode: str = "wait"
           ) -> tuple[subprocess.Popen[str], Path]:
    model, data = files
    marker = tmp_path / "ready.marker"
    args = [sys.executable, "-c", _WRAPPER, str(marker), target, mode, "run", str(model),
            str(data), "-o", str(tmp_path / "out" / "r.html"), "--json",
            str(tmp_path / "out" / "r.json"), "--n-boot", "50", "--no-explain", "--no-what-if", "-q"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the audit never reached {target}: {proc.communicate()[1]}")
        time.sleep(0.05)
    return proc, marker


def _finish(proc: subprocess.Popen[str], sig: int) -> tuple[int, list[str]]:
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, [ln for ln in err.splitlines() if ln.strip()]


@pytest.fixture()
def out_dir(tmp_path: Path) -> Path:
    """The output directory, holding the outputs of an earlier run."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.json").write_text("earlier json")
    (out / "r.html").write_text("earlier report")
    return out


@posix_only
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_the_audit_exits_cleanly_and_keeps_the_earlier_outputs(
        sig, code, tmp_path, small_files, out_dir):
    proc, _ = _start(tmp_path, small_files, "audit._api:run_audit")
    assert _finish(proc, sig) == (code, [INTERRUPTED])
    assert sorted(p.name for p in out_dir.iterdir()) == ["r.html", "r.json"]
    assert (out_dir / "r.html").read_text() == "earlier report"


@posix_only
def test_sigterm_with_the_outputs_staged_removes_every_temporary(tmp_path, small_files, out_dir):
    proc, _ = _start(tmp_path, small_files, "audit._io.outputs:OutputSet.commit")
    assert len(_temporaries(out_dir)) == 2  # the new JSON and report wait beside the old ones
    assert _finish(proc, signal.SIGTERM) == (143, [INTERRUPTED])
    assert sorted(p.name for p in out_dir.iterdir()) == ["r.html", "r.json"]
    assert (out_dir / "r.json").read_text() == "earlier json"
    assert (out_dir / "r.html").read_text() == "earlier report"


@posix_only
def test_sigterm_between_the_renames_still_completes_a_matching_pair(tmp_path, small_files,
                                                                     out_dir):
    proc, _ = _start(tmp_path, small_files, "os:replace", mode="after-json")
    # after the first rename: the new JSON is in place and the earlier report is gone
    assert not (out_dir / "r.html").exists()
    assert (out_dir / "r.json").read_text() != "earlier json"
    code, lines = _finish(proc, signal.SIGTERM)
    assert (code, lines[-1]) == (143, INTERRUPTED)  # held until the set was complete
    digest = hashlib.sha256((out_dir / "r.json").read_bytes()).hexdigest()
    assert report_stamp((out_dir / "r.html").read_text(encoding="utf-8")) == digest
    assert json.loads((out_dir / "r.json").read_text())["schema_version"]
    assert _temporaries(out_dir) == []


# --------------------------------------------------------------------------- the PDF joins the set


def _fake_chromium(tmp_path: Path, works: bool) -> Path:
    """A stand-in for Chromium that 'prints' by copying a fixed text to --print-to-pdf."""
    script = tmp_path / "fake-chromium"
    body = ("import sys\n"
            "dst = next(a.split('=', 1)[1] for a in sys.argv if a.startswith('--print-to-pdf='))\n"
            "open(dst, 'w').write('%PDF-fake')\n" if works else
            "import sys\nsys.exit('cannot open display')\n")
    script.write_text(f"#!{sys.executable}\n{body}")
    script.chmod(0o755)
    return script


@posix_only
@pytest.mark.parametrize("works", [True, False], ids=["printed", "chromium-fails"])
def test_the_pdf_is_part_of_the_set(works, capsys, tmp_path, small_files, out_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_CHROMIUM", str(_fake_chromium(tmp_path, works)))
    model, data = small_files
    code = main(["run", str(model), str(data), "-o", str(out_dir / "r.html"), "--json",
                 str(out_dir / "r.json"), "--pdf", "--n-boot", "50", "--no-explain",
                 "--no-what-if", "-q"])
    err = capsys.readouterr().err
    if works:
        assert code in (0, 1), err
        assert (out_dir / "r.pdf").read_text() == "%PDF-fake"
        assert (out_dir / "r.json").read_text() != "earlier json"
    else:  # before: the new JSON and report were already written when Chromium failed
        assert code == 2 and "Chromium could not print" in err, err
        assert sorted(p.name for p in out_dir.iterdir()) == ["r.html", "r.json"]
        assert (out_dir / "r.json").read_text() == "earlier json"
        assert (out_dir / "r.html").read_text() == "earlier report"
    assert _temporaries(out_dir) == []
