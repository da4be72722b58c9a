#!/usr/bin/env bash
# Run the test suite (the README's test command; .ci/run calls it): ruff, the import contracts of pyproject.toml
# ([tool.importlinter], DESIGN.md §2), the worked examples in the docstrings of index/ and finance/ (doctests),
# then pytest on tests/.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
.venv/bin/python -m pytest -q -p no:xdist --doctest-modules index finance
exec .venv/bin/python -m pytest -n 2 -q "$@"
