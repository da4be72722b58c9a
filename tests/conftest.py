"""Shared fixtures: the shipped methodology, the demo ("golden") facility, and paths to ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """``../shared`` beside the project root (also found from a git worktree one level deeper)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "seeds").is_dir():
            return base / "shared"
    return None


@pytest.fixture(scope="session")
def methodology():
    from index.methodology import load_methodology

    return load_methodology()


@pytest.fixture(scope="session")
def demo_facility():
    from index.models import load_facility

    return load_facility(ROOT / "data" / "facilities" / "demo-zjk-hyperscale.toml")


@pytest.fixture
def shared():
    d = shared_dir()
    if d is None:
        pytest.skip("../shared (seeds and real data) is not beside the project root")
    return d
