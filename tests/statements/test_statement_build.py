"""Statements built from the demo deal with the GCPI and finance engines (data/deals/demo-zjk-sll-2025.toml)."""

from __future__ import annotations

import datetime as dt

import pdfplumber
import pytest

import workflows
from dcsll.cli import main
from finance.statement import load_verifier
from finance.statement_build import load_engagement
from index.errors import InputError
from tests.statements.conftest import pem_signing, write_verifier

DEAL = "data/deals/demo-zjk-sll-2025.toml"
ENGAGEMENT = "data/statements/sample_engagement.toml"

# Hand figures from data/facilities/demo-zjk-hyperscale.toml (2025) and the sample engagement:
# reported PUE = 418,167,360 / 357,408,000 = 1.1700; verified PUE = 418,167,360 / 351,689,000 = 1.18903
PUE_REPORTED = 418_167_360 / 357_408_000
PUE_VERIFIED = 418_167_360 / 351_689_000


@pytest.fixture(scope="module")
def verifier():
    return load_verifier("data/statements/sample_verifier.toml").verifier


@pytest.fixture(scope="module")
def demo(verifier):
    return build_statement(DEAL, "2025", verifier, engagement=load_engagement(ENGAGEMENT),
                           engagement_file=ENGAGEMENT)


def build_statement(deal_file, period, verifier, *, engagement=None, engagement_file=None):
    """The file form of ``dcsll statement``: :func:`workflows.build_statement` on a :class:`FileSource`."""
    src = workflows.FileSource(deal_file=deal_file, engagement_file=engagement_file)
    return workflows.build_statement(src.deal(), src, period, verifier, engagement)


def test_reported_period_without_verified_figures_is_refused(verifier):
    with pytest.raises(InputError, match="no verified figures for reporting period 2025"):
        build_statement(DEAL, "2025", verifier)


def test_verified_and_reported_pue(demo):
    pue = next(r for r in demo.indicators if r.id == "pue")
    assert pue.verified_value == pytest.approx(PUE_VERIFIED, abs=5e-4)
    assert pue.reported_value == pytest.approx(PUE_REPORTED, abs=5e-4)
    assert pue.status == "verified"
    assert any(n.kind == "restatement" and n.indicator == "pue" for n in demo.notes)


def test_spts_and_margin_follow_the_deal_terms(demo):
    # deal: SPT index >= 86.0 and PUE <= 1.20 at 2025-12-31; weights 0.6 / 0.4; all met -10 bp; margin 30 bp
    spt = {s.kpi: s for s in demo.spts}
    assert spt["pue"].target == 1.20 and spt["pue"].met
    assert spt["pue"].verified_value == pytest.approx(PUE_VERIFIED, abs=5e-4)
    assert spt["index"].target == 86.0
    assert spt["index"].met == (demo.index.total >= 86.0)
    if spt["index"].met:
        assert demo.margin.adjustment_bp == pytest.approx(0.6 * -10 + 0.4 * -10)
        assert (demo.margin.margin_before_bp, demo.margin.margin_after_bp) == (30, 20)
    # 5 business days after delivery on 2026-04-24, on the loan's calendar
    assert dt.date(2026, 4, 30) <= demo.margin.effective_date <= dt.date(2026, 5, 15)
    assert demo.baseline.period == "2024"
    assert demo.statement_id == "VS-DEMO-ZJK-2025"


def test_methodology_hash_must_match_the_agreed_one(verifier):
    eng = load_engagement(ENGAGEMENT) | {"methodology_sha256": "0" * 64}
    with pytest.raises(InputError) as exc:
        build_statement(DEAL, "2025", verifier, engagement=eng)
    assert exc.value.field == "methodology.sha256"


def test_period_without_observation(verifier):
    with pytest.raises(InputError, match="no observation for period 2026"):
        build_statement(DEAL, "2026", verifier, engagement=load_engagement(ENGAGEMENT))


def test_verified_table_must_accept_reported_explicitly(verifier):
    eng = load_engagement(ENGAGEMENT)
    eng["verified"] = {k: v for k, v in eng["verified"].items() if k != "accept_reported"}
    with pytest.raises(InputError, match="accept_reported"):
        build_statement(DEAL, "2025", verifier, engagement=eng)


def test_cli_from_deal_file_signs_and_verifies(tmp_path, test_ca, capsys):
    out = tmp_path / "demo.pdf"
    v = write_verifier(tmp_path, signing=pem_signing(test_ca))
    assert main(["statement", DEAL, "--period", "2025", "--verifier", str(v), "--engagement", ENGAGEMENT,
                 "--out", str(out)]) == 0
    with pdfplumber.open(out) as doc:
        text = "\n".join(p.extract_text() for p in doc.pages)
    assert f"{PUE_VERIFIED:.3f}" in text and f"{PUE_REPORTED:.3f}" in text
    assert "-10 bp" in text and "20 bp" in text
    assert main(["verify-statement", str(out), "--trust", str(test_ca["ca"])]) == 0
    assert main(["statement", DEAL, "--period", "2025", "--verifier", str(v), "--out", str(out)]) == 2
