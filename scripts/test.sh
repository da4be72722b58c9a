#!/usr/bin/env bash
# Run the test suite (the README's test command; .ci/run calls it): ruff, the import contracts of pyproject.toml
# ([tool.importlinter], DESIGN.md §2), then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest -n 2 -q "$@"
