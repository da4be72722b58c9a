"""The hourly CFE KPIs in a loan: an SPT on the hourly matched share in the demo deal's ratchet, and the CFE
figures in the verification statement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import workflows
from finance.statement import load_verifier
from finance.statement_build import load_engagement

ROOT = Path(__file__).resolve().parents[2]
ENGAGEMENT = "data/statements/sample_engagement.toml"


@pytest.fixture
def files(tmp_path):
    deal = (ROOT / "data/deals/demo-zjk-sll-2025.toml").read_text(encoding="utf-8")
    deal = deal.replace('{ kpi = "index", weight = 0.6, no_change_band = 2.0 },',
                        '{ kpi = "index", weight = 0.5, no_change_band = 2.0 },')
    deal = deal.replace('{ kpi = "pue", weight = 0.4, no_change_band = 0.02 },',
                        '{ kpi = "pue", weight = 0.3, no_change_band = 0.02 },\n'
                        '  { kpi = "hourly_matched_share", weight = 0.2 },')
    deal = re.sub(r"spt = \{ index = ([0-9.]+), pue = ([0-9.]+) \}",
                  r"spt = { index = \1, pue = \2, hourly_matched_share = 0.40 }", deal)
    fac = (ROOT / "data/facilities/demo-zjk-hyperscale.toml").read_text(encoding="utf-8")
    block = fac.index('label = "2025"')
    end = fac.index("total_energy_kwh", block)
    fac = (fac[:end] + 'cfe_score = { value = 0.62, status = "verified", source = "interval data v1" }\n'
           'hourly_matched_share = { value = 0.45, status = "verified", source = "interval data v1" }\n' + fac[end:])
    (tmp_path / "deals").mkdir()
    (tmp_path / "facilities").mkdir()
    (tmp_path / "deals" / "deal.toml").write_text(deal, encoding="utf-8")
    (tmp_path / "facilities" / "demo-zjk-hyperscale.toml").write_text(fac, encoding="utf-8")
    return tmp_path / "deals" / "deal.toml"  # the facility is found beside it (../facilities/<id>.toml)


def test_spt_on_hourly_matched_share_and_cfe_note(files):
    src = workflows.FileSource(deal_file=files, engagement_file=ENGAGEMENT)
    verifier = load_verifier("data/statements/sample_verifier.toml").verifier
    st = workflows.build_statement(src.deal(), src, "2025", verifier, load_engagement(ENGAGEMENT))
    spt = {s.kpi: s for s in st.spts}
    row = spt["hourly_matched_share"]
    # SPT ≥ 0.40, verified 0.45 → met; the row names the KPI in both languages
    assert (row.target, row.verified_value, row.met, row.comparator) == (0.40, 0.45, True, ">=")
    assert row.name.en == "Hourly matched share" and row.name.zh == "逐小时匹配比例" and row.unit == "fraction"
    note = next(n for n in st.notes if "24/7 CFE" in n.en)
    assert "CFE score 62.0%, hourly matched share 45.0% (verified)" in note.en
    assert "逐小时匹配比例 45.0%" in note.zh
