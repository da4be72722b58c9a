"""The layers of DESIGN.md §2 hold: common ← index ← finance ← workflows ← CLI / app (imports only point left).

Every ``import``/``from`` statement of each package, at module level or inside functions, is read with
:mod:`ast`; a package may import only the packages listed for it (and the standard library / third parties).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"common", "index", "finance", "store", "workflows", "dcsll", "app_support", "app_pages"}
#: package -> project packages it must not import
FORBIDDEN = {
    "common": PROJECT - {"common"},
    "index": PROJECT - {"common", "index"},
    "finance": PROJECT - {"common", "index", "finance"},
    "workflows": {"dcsll", "app_support", "app_pages"},
}


def project_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out & PROJECT


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_lower_layers(package):
    bad = {str(p.relative_to(ROOT)): sorted(project_imports(p) & FORBIDDEN[package])
           for p in sorted((ROOT / package).rglob("*.py"))}
    assert {k: v for k, v in bad.items() if v} == {}


def test_finance_engines_take_no_file_paths():
    """No ``deal_file`` parameter is left in finance (engines take a Deal and IndexResults)."""
    hits = [str(p.relative_to(ROOT)) for p in (ROOT / "finance").rglob("*.py") if "deal_file" in p.read_text("utf-8")]
    assert hits == []
