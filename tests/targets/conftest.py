"""Shared fixtures: the demo facility, its monthly data and fitted BAU models (fitted once per session)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "facilities" / "demo-zjk-hyperscale.toml"
MONTHLY = ROOT / "data" / "monthly" / "demo-zjk-hyperscale.csv"
DEAL = ROOT / "data" / "deals" / "demo-zjk-sll-2025.toml"


@pytest.fixture(scope="session")
def demo():
    from index.models import load_facility

    return load_facility(DEMO)


@pytest.fixture(scope="session")
def monthly():
    from index.forecast import load_monthly

    return load_monthly(MONTHLY)


@pytest.fixture(scope="session")
def bau(demo, monthly):
    from index.simulate import fit_bau

    return fit_bau(monthly, demo)
