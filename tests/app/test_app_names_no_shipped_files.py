"""The app reads and writes the deal book only (DESIGN.md §2): no app module, catalogue text or template names a
file of the shipped data folder or reaches for it (``data_dir``). Thresholds the engines read are cited by their
source or by the engine API that holds them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: a path into the shipped data folder (``data/<folder>`` of a checkout, ``dcsll_data`` when installed)
SHIPPED = re.compile(r"\bdata/(?:deals|facilities|finance|methodology|reference|statements|targets|validation|cfe|"
                     r"monthly|intervals)\b|\bdcsll_data\b|\bdata_dir\b")


def test_no_app_file_names_the_shipped_data_folder():
    files = [ROOT / "app.py", *sorted((ROOT / "app_pages").rglob("*.py")), *sorted((ROOT / "app_support").rglob("*"))]
    files = [f for f in files if f.is_file() and f.suffix in (".py", ".toml")]
    assert len(files) > 40                                             # the folders were found
    hits = [f"{f.relative_to(ROOT)}:{i}: {line.strip()[:100]}"
            for f in files for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            if SHIPPED.search(line)]
    assert hits == []
    assert SHIPPED.search("see data/validation/plausibility.toml") and SHIPPED.search("seed_demo(s, data_dir())")
