"""Packaging: a non-editable install (wheel) ships ``data/`` as ``dcsll_data`` and scores a facility from anywhere.

The wheel test builds the project from a copy of the source tree (``pip wheel . --no-deps``, which fetches the build
backend from PyPI like ``scripts/setup.sh`` does), installs it with ``pip install --no-deps --target`` (the
dependencies come from this interpreter's site-packages), and runs ``python -m dcsll score --json`` on a facility
file *inside the installed data* from an empty temporary directory. Its output must equal the source tree's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACILITY = "demo-zjk-hyperscale.toml"

#: top-level folders with an ``__init__.py`` that are deliberately not in the wheel: the Streamlit app runs from
#: the source tree (``streamlit run app.py``), the tests and benchmarks are not installed
NOT_SHIPPED = {"tests", "bench", "app_support", "app_pages"}

#: files in ``data/`` that are not data (the generator of ``data/monthly/``)
NOT_DATA_SUFFIXES = {".py", ".pyc"}

_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", "tests", "node_modules",
    "var", "artifacts", ".pytest_cache", ".ruff_cache", ".hypothesis",
)


def _pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _top_folders() -> list[Path]:
    """Top-level folders of the checkout, without hidden ones (.git, .venv) and build output."""
    return [d for d in ROOT.iterdir()
            if d.is_dir() and not d.name.startswith(".") and d.name not in {"build", "dist", "node_modules"}]


def _source_packages() -> set[str]:
    """Dotted names of every package in the source tree that should be installed."""
    out = set()
    for top in _top_folders():
        if top.name in NOT_SHIPPED or top.name == "data":
            continue
        for init in top.rglob("__init__.py"):
            out.add(".".join(init.parent.relative_to(ROOT).parts))
    return out


def _data_files() -> set[str]:
    """``data/`` files (relative, POSIX) a non-editable install must ship."""
    return {
        p.relative_to(ROOT / "data").as_posix()
        for p in (ROOT / "data").rglob("*")
        if p.is_file() and p.suffix not in NOT_DATA_SUFFIXES and "__pycache__" not in p.parts
    }


def test_pyproject_lists_every_package():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    source = _source_packages()
    assert source - listed == set(), "packages missing from [tool.setuptools] packages in pyproject.toml"
    assert listed - source == {"dcsll_data"}, "pyproject.toml lists packages that do not exist"
    assert _pyproject()["tool"]["setuptools"]["package-dir"] == {"dcsll_data": "data"}


def test_import_contracts_cover_every_package():
    """Every top-level folder of Python code is a root package of ``[tool.importlinter]``: a package left out is
    not analysed by ``lint-imports`` (and one listed but absent stops it)."""
    not_code = {"tests", "bench", "data", "scripts", "docs"}
    code = {d.name for d in _top_folders() if d.name not in not_code and any(d.rglob("*.py"))}
    assert code == set(_pyproject()["tool"]["importlinter"]["root_packages"])


def test_data_dir_is_the_source_tree_data(monkeypatch):
    from index import reference

    monkeypatch.delenv("DCSLL_DATA", raising=False)
    assert reference.data_dir() == ROOT / "data"
    monkeypatch.setenv("DCSLL_DATA", "/elsewhere")
    assert reference.data_dir() == Path("/elsewhere")


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert res.returncode == 0, f"{' '.join(map(str, cmd))} exited {res.returncode}:\n{res.stdout}\n{res.stderr}"
    return res


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The project built as a wheel and installed (``--target``) into a fresh folder; returns that folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_IGNORE)
    _run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp / "dist")], cwd=src)
    (wheel,) = (tmp / "dist").glob("dcsll-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    shipped = {n.removeprefix("dcsll_data/") for n in names if n.startswith("dcsll_data/")}
    assert _data_files() - shipped == set(), "data/ files missing from the wheel (pyproject.toml package-data)"
    assert {"index/reference.py", "store/migrations/script.py.mako", "dcsll/commands/score_cli.py"} <= names
    target = tmp / "site"
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)])
    return target


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DCSLL_DATA", "PYTHONPATH"}}
    env.update(extra)
    return env


def test_installed_wheel_scores_a_shipped_facility_from_another_directory(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _env(PYTHONPATH=str(installed), DCSLL_HOME=str(tmp_path / "home"))
    # the modules and the data come from the installed copy, not from the source tree
    probe = _run([sys.executable, "-c", "import index.reference as r, finance.conventions as c; "
                  "print(r.__file__); print(r.data_dir()); print(c.DATA_DIR)"], cwd=elsewhere, env=env)
    module, data, finance_data = probe.stdout.splitlines()
    assert Path(module).is_relative_to(installed)
    assert Path(data) == installed / "dcsll_data"
    assert Path(finance_data) == installed / "dcsll_data" / "finance"

    facility = installed / "dcsll_data" / "facilities" / FACILITY
    got = _run([sys.executable, "-m", "dcsll", "score", str(facility), "--json"], cwd=elsewhere, env=env)
    want = _run([sys.executable, "-m", "dcsll", "score", str(ROOT / "data" / "facilities" / FACILITY), "--json"],
                cwd=ROOT, env=_env(PYTHONPATH=str(ROOT), DCSLL_HOME=str(tmp_path / "home")))
    got_json, want_json = json.loads(got.stdout), json.loads(want.stdout)
    assert got_json == want_json
    # the default methodology was found through dcsll_data: its pinned hash is that of the repo's file
    want_sha = hashlib.sha256((ROOT / "data" / "methodology" / "gcpi-2024.toml").read_bytes()).hexdigest()
    assert {r["methodology_sha256"] for r in got_json} == {want_sha}
    assert len(got_json) == 3  # the demo campus reports three years


def test_installed_wheel_without_data_says_what_is_missing(installed, tmp_path):
    """With ``dcsll_data`` removed the lookup fails with a message naming the package, not a stray path error.

    ``-S`` keeps site-packages (and an editable install's finder, which maps ``dcsll_data`` to the checkout) out,
    so only modules that need no third-party package can be imported: ``common.settings``, where the lookup lives
    (``index.reference`` re-exports it but imports pydantic models).
    """
    bare = tmp_path / "bare"
    shutil.copytree(installed, bare, ignore=shutil.ignore_patterns("dcsll_data"))
    res = subprocess.run([sys.executable, "-S", "-c", "import common.settings as s; s.data_dir()"], capture_output=True,
                         text=True, cwd=tmp_path, env=_env(PYTHONPATH=str(bare)), timeout=120)
    assert res.returncode != 0
    assert "dcsll_data" in res.stderr and "DCSLL_DATA" in res.stderr
