"""The folder tree is the architecture: these tests keep it so.

They read the package's imports with ``ast`` (no import needed) and check the
rules of ARCHITECTURE.md: the result contract depends on nothing that computes
or presents it, the report and diff read only the contract and the words, prose
depends on the contract only, there is no import cycle, and no function grows
past what one can hold in one's head.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "audit"
MAX_FUNCTION_LINES = 80
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (function-level imports included)."""
    name = _module_name(path)
    package = name if _is_package(path) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            for alias in node.names:  # "from . import groups" imports a submodule
                if (MODULES.get(f"{mod}.{alias.name}")) is not None:
                    found.add(f"{mod}.{alias.name}")
    return found


MODULES: dict[str, Path] = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
IMPORTS: dict[str, set[str]] = {m: _imports(p) for m, p in MODULES.items()}


def _internal(mod: str) -> bool:
    return mod == "audit" or mod.startswith("audit.")


def _violations(prefix: str, allowed_internal: tuple[str, ...], allowed_external: set[str]) -> list[str]:
    bad = []
    for mod, deps in sorted(IMPORTS.items()):
        if not (mod == prefix or mod.startswith(prefix + ".")):
            continue
        for dep in sorted(deps):
            if _internal(dep):
                ok = any(dep == a or dep.startswith(a + ".") for a in allowed_internal)
            else:
                ok = dep.split(".")[0] in allowed_external | STDLIB
            if not ok:
                bad.append(f"{mod} imports {dep}")
    return bad


def test_result_imports_no_analysis_report_or_ml_library() -> None:
    assert _violations("audit._result", ("audit._result", "audit._errors"), {"numpy"}) == []


def test_words_import_only_the_result() -> None:
    assert _violations("audit._words", ("audit._words", "audit._result"), set()) == []


def test_report_imports_only_result_and_words() -> None:
    allowed = ("audit._report", "audit._result", "audit._words", "audit._errors")
    assert _violations("audit._report", allowed, {"jinja2", "markupsafe", "matplotlib", "numpy"}) == []


def test_diff_imports_only_result_and_words() -> None:
    assert _violations("audit._diff", ("audit._result", "audit._words"), set()) == []


def test_analysis_does_not_import_report_cli_or_other_analysis_upwards() -> None:
    """Analysis packages sit below the pipeline: they never import the report, CLI, API or pipeline."""
    upward = ("audit._report", "audit.cli", "audit._api", "audit._pipeline", "audit._diff")
    bad = [f"{m} imports {d}" for m, deps in IMPORTS.items()
           if m.startswith(("audit._fairness", "audit._explain", "audit._complexity",
                            "audit._troublemakers", "audit._inputs", "audit._io",
                            "audit._engines"))
           for d in deps if d.startswith(upward)]
    assert bad == []


def test_no_import_cycles() -> None:
    graph = {m: {d for d in deps if d in MODULES and d != m} for m, deps in IMPORTS.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []


def test_no_function_is_too_long() -> None:
    long = []
    for mod, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if size > MAX_FUNCTION_LINES:
                    long.append(f"{mod}.{node.name}: {size} lines")
    assert long == [], f"split these into named steps (limit {MAX_FUNCTION_LINES} lines)"


def test_every_subpackage_says_what_it_owns_and_may_import() -> None:
    for init in PACKAGE.glob("_*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "May import" in doc, f"{init.parent.name}/__init__.py: docstring must say what it may import"


def test_the_checker_sees_a_planted_violation(tmp_path: Path) -> None:
    """The import reader resolves relative imports (else every rule above would pass vacuously)."""
    assert "audit._result.findings" in IMPORTS["audit._result.checks"]
    assert "audit._result" in IMPORTS["audit"] or "audit._result.audit" in IMPORTS["audit"]
    assert any(d.startswith("audit._fairness") for d in IMPORTS["audit._pipeline"])


BLOCKED = ("sklearn", "shap", "fairlearn", "lightgbm", "xgboost", "scipy", "skops")
_BLOCKER = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ImportError("blocked for this test: " + name)
sys.meta_path.insert(0, Block())
from audit.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r})
assert not loaded, loaded
sys.exit(code)
"""


@pytest.mark.parametrize("command", ["render", "diff"])
def test_render_and_diff_work_without_the_ml_libraries(command: str, golden_json: Path,
                                                       tmp_path: Path) -> None:
    args = ["render", str(golden_json), "-o", str(tmp_path / "r.html")] if command == "render" else \
        ["diff", str(golden_json), str(golden_json), "-o", str(tmp_path / "d.html")]
    proc = subprocess.run([sys.executable, "-c", _BLOCKER, *args], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / ("r.html" if command == "render" else "d.html")).stat().st_size > 1000
