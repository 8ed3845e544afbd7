"""The built wheel carries the report templates and runs from any directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.mark.slow  # builds and installs a wheel (15 s); CI runs it with -m slow
def test_wheel_installs_and_runs_from_temp_dir(tmp_path, small_files):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(dist), str(ROOT)], check=True, capture_output=True)
    wheel = next(dist.glob("model_audit-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # Only the wheel is new; reuse this interpreter's dependencies through a .pth file.
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True)
    model, data = small_files
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    proc = subprocess.run([str(env_dir / "bin" / "audit"), "run", str(model), str(data),
                           "--n-boot", "50"], cwd=work, capture_output=True, text=True, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    where = subprocess.run([str(py), "-c", "import audit, audit._report as r; "
                            "print(audit.__file__); print(r.template_dir())"],
                           cwd=work, capture_output=True, text=True, check=True).stdout.split()
    assert where[0].startswith(str(env_dir)), where  # the wheel, not the source tree
    assert where[1].startswith(str(env_dir)) and where[1].endswith("_templates"), where
    html = (work / "audit_report.html").read_text()
    assert "<h2>Fairness by group</h2>" in html
    assert json.loads((work / "audit.json").read_text())["schema_version"] == "1.1"
