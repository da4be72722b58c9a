"""A loan test (observation, SPT test, statement) refuses an index result that cannot serve one (issue 14).

gcpi-2025 marks a result ``loan_test_usable = False`` when a figure is tagged ``proxy`` (rule
``proxy_not_for_loan_test``) or an operation-stage period has fewer than 365 days of data (rule
``operation_min_days``, N279 (一): 连续稳定运行1年以上). The facilities here are hand-made: a grid-only
Hebei site with 100 GWh total and 80 GWh IT energy (PUE 1.25 by hand).
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from datetime import date
from pathlib import Path

import pytest
import tomli_w

from dcsll.cli import main
from finance.deal import deal_from_dict, period_results
from finance.statement import load_verifier
from finance.statement_build import build_statement
from index.engine import score
from index.errors import InputError
from index.methodology import load_methodology, methodology_path
from index.models import facility_from_dict

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "deals" / "demo-zjk-sll-2025.toml"
M24 = load_methodology(methodology_path("gcpi-2024"))
M25 = load_methodology(methodology_path("gcpi-2025"))


def _period(label, start, end, **kw):
    p = {"label": label, "start": start, "end": end, "status": "verified", "source": "test meter report",
         "total_energy_kwh": 1.0e8, "it_energy_kwh": 8.0e7, "grid_kwh": 1.0e8, "diesel_l": 0,
         "natural_gas_m3": 0, "refrigerants": [], "racks_ready": 5000, "racks_occupied": 4000}
    p.update(kw)
    return p


def _facility_dict(last: dict) -> dict:
    """Hand-made facility: a full verified 2022 baseline year and ``last`` (labelled 2023)."""
    return {"facility": {"id": "hand-hebei", "name": "Hand-made Hebei site", "province": "hebei",
                         "design_it_power_kw": 12500, "lifecycle_stage": "operation"},
            "periods": [_period("2022", date(2022, 1, 1), date(2022, 12, 31)), last]}


FULL = _period("2023", date(2023, 1, 1), date(2023, 12, 31))
SHORT = _period("2023", date(2023, 1, 1), date(2023, 6, 30),  # 181 days, half the energy
                total_energy_kwh=5.0e7, it_energy_kwh=4.0e7, grid_kwh=5.0e7)
PROXY = _period("2023", date(2023, 1, 1), date(2023, 12, 31),
                total_energy_kwh={"value": 1.0e8, "proxy": True, "source": "company-wide total, pro rata"})


def _deal(fac: dict, methodology: str | None = "gcpi-2025") -> dict:
    d = tomllib.loads(SAMPLE.read_text(encoding="utf-8"))
    d["facility"] = copy.deepcopy(fac)
    d["observations"][0]["period"] = "2023"
    if methodology:
        d["methodology"] = methodology
    return d


def _results(fac: dict, m=M25):
    f = facility_from_dict(fac)
    return {"2023": score(f, "2023", m)}


def test_full_year_of_own_figures_serves_the_loan_test():
    res = _results(_facility_dict(FULL))
    assert res["2023"].loan_test_usable
    out = period_results(deal_from_dict(_deal(_facility_dict(FULL))), res)
    assert out[0].index_total == res["2023"].total
    assert res["2023"].indicators["pue"].raw_value == pytest.approx(1.0e8 / 8.0e7)  # 1.25 by hand


def test_short_operation_period_is_refused_naming_facility_period_indicator_and_days():
    res = _results(_facility_dict(SHORT))
    assert not res["2023"].loan_test_usable
    with pytest.raises(InputError) as e:
        period_results(deal_from_dict(_deal(_facility_dict(SHORT))), res)
    msg = str(e.value)
    # 2023-01-01 .. 2023-06-30 = 31+28+31+30+31+30 = 181 days
    for part in ("'hand-hebei'", "period '2023'", "index, pue", "short period", "181 days", "gcpi-2025"):
        assert part in msg, (part, msg)
    assert e.value.field == "observations[0].period" and e.value.row == 1


def test_proxy_figure_is_refused_naming_the_proxy_and_the_indicators_scored_from_it():
    res = _results(_facility_dict(PROXY))
    with pytest.raises(InputError) as e:
        period_results(deal_from_dict(_deal(_facility_dict(PROXY))), res)
    msg = str(e.value)
    assert "proxy figures (not the facility's own): total_energy_kwh" in msg
    assert "pue" in msg.split("indicators scored from them:")[1] and "short period" not in msg


def test_gcpi_2024_results_have_no_loan_test_rule():
    """gcpi-2024 has no [rules]: its results stay usable (old results reproduce)."""
    res = _results(_facility_dict(SHORT), M24)
    assert res["2023"].loan_test_usable
    assert 0 in period_results(deal_from_dict(_deal(_facility_dict(SHORT), None)), res)


def _statement(fac: dict):
    deal = deal_from_dict(_deal(fac))
    verifier = load_verifier(ROOT / "data" / "statements" / "sample_verifier.toml").verifier
    return build_statement(deal, facility_from_dict(fac), "2023", verifier,
                           scorer=lambda f, p: score(f, p.label, M25), today=date(2024, 4, 1))


def test_statement_refuses_a_short_period_and_builds_on_a_full_year():
    with pytest.raises(InputError, match=r"'hand-hebei' period '2023'.*short period: 181 days"):
        _statement(_facility_dict(SHORT))
    with pytest.raises(InputError, match="proxy figures"):
        _statement(_facility_dict(PROXY))
    st = _statement(_facility_dict(FULL))
    pue = next(r for r in st.spts if r.kpi == "pue")
    assert st.baseline.period == "2022"
    assert pue.verified_value == pytest.approx(1.25, abs=1e-3) and pue.target == 1.20 and not pue.met


@pytest.mark.parametrize("cmd", ["value", "cashflows"])
def test_cli_exits_non_zero_with_the_reason(tmp_path, capsys, cmd):
    path = tmp_path / "deal.toml"
    path.write_bytes(tomli_w.dumps(_deal(_facility_dict(SHORT))).encode())
    assert main([cmd, str(path)]) == 2
    err = capsys.readouterr().err
    assert "'hand-hebei' period '2023'" in err and "short period: 181 days" in err
    good = tmp_path / "good.toml"
    good.write_bytes(tomli_w.dumps(_deal(_facility_dict(FULL))).encode())
    assert main([cmd, str(good)]) == 0


def test_statement_records_methodology_version_and_both_hashes():
    from finance.statement import canonical_json, statement_from_mapping
    from index.reference import default_bundle

    st = _statement(_facility_dict(FULL))
    assert st.methodology.version == "2025.1"
    assert st.methodology.sha256 == hashlib.sha256(methodology_path("gcpi-2025").read_bytes()).hexdigest()
    assert st.methodology.reference_sha256 == default_bundle().sha256
    # a statement issued before these fields existed keeps its canonical bytes (absent fields are left out)
    data = json.loads(canonical_json(st))
    del data["methodology"]["version"], data["methodology"]["reference_sha256"]
    old = statement_from_mapping(data)
    assert json.loads(canonical_json(old))["methodology"] == {"id": "gcpi-2025", "sha256": st.methodology.sha256}
