"""Synthetic facilities and deals of a given size, for benchmarks and load tests (not real data)."""

from __future__ import annotations

import calendar
import datetime as dt

from index.models import Facility


def monthly_facility(facility_id: str, *, years: int = 10, start_year: int = 2020) -> Facility:
    """A facility with ``12 * years`` monthly periods of 14 reported figures each (made-up values)."""
    periods = []
    for i in range(12 * years):
        y, m = start_year + i // 12, i % 12 + 1
        it = 28e6 + 1e4 * i
        periods.append({
            "label": f"{y}-{m:02d}", "start": dt.date(y, m, 1),
            "end": dt.date(y, m, calendar.monthrange(y, m)[1]), "status": "reported",
            "source": f"meter export {y}-{m:02d}",
            "total_energy_kwh": it * 1.25, "it_energy_kwh": it, "grid_kwh": it * 0.75,
            "green_trading_kwh": it * 0.5, "water_m3": 40000.0 + i, "diesel_l": 300.0,
            "racks_ready": 9800.0, "racks_occupied": 7600.0 + i, "it_power_rated_kw": 52000.0,
            "it_power_avg_kw": it / 730.0, "cpu_utilisation": 0.4, "gpu_utilisation": 0.55,
            "waste_heat_reused_kwh": 5e5, "compute_capacity_tflops": 2.1e6, "compute_precision": "FP32",
        })
    return Facility.model_validate({"id": facility_id, "name": f"Synthetic {facility_id}", "province": "hebei",
                                    "design_it_power_kw": 60000.0, "periods": periods})


def deal_document(deal_id: str, facility_id: str, *, amount: float = 1.5e9, currency: str = "CNY") -> dict:
    """A deal document in the layout of ``data/deals/*.toml`` (:class:`finance.deal.Deal`): a 10-year
    annuity loan, an SPT ratchet on the index, yearly observations."""
    return {
        "id": deal_id, "facility": facility_id, "borrower": f"Borrower of {facility_id}",
        "loan": {"currency": currency, "amount": amount, "start_date": dt.date(2025, 3, 20),
                 "maturity_date": dt.date(2035, 3, 20), "repayment": "annuity", "margin_bp": 85.0,
                 "base_rate": {"index": "LPR_5Y" if currency == "CNY" else "TERM_SOFR_3M"}},
        "ratchet": {"design": "spt", "step_down_bp": -10.0, "step_up_bp": 5.0, "cap_bp": 15.0,
                    "kpis": [{"kpi": "index", "weight": 1.0}]},
        "observations": [{"date": dt.date(2025 + k, 12, 31), "certificate_due": dt.date(2026 + k, 4, 30),
                          "spt": {"index": 72.0 + k}} for k in range(9)],
    }
