"""Bad deal files are rejected with a message naming file, field, row and unit."""

import copy
import datetime as dt

import pytest
import tomli_w

from finance.deal import load_deal
from index.errors import InputError

D = dt.date.fromisoformat

BASE = {
    "id": "t",
    "loan": {"currency": "CNY", "amount": 100_000_000, "start_date": D("2025-07-21"), "maturity_date": D("2030-07-22"),
             "repayment": "equal_principal", "grace_end": D("2026-07-21"), "margin_bp": 30,
             "base_rate": {"index": "LPR_1Y"},
             "drawdowns": [{"date": D("2025-07-21"), "amount": 60_000_000}, {"date": D("2026-01-20"), "amount": 40_000_000}]},
    "ratchet": {"design": "spt", "step_down_bp": -10, "step_up_bp": 10, "cap_bp": 10,
                "kpis": [{"kpi": "index", "weight": 0.6}, {"kpi": "pue", "weight": 0.4}]},
    "observations": [
        {"date": D("2025-12-31"), "certificate_due": D("2026-04-30"), "spt": {"index": 86.0, "pue": 1.20},
         "verified": {"index_total": 90.0, "kpis": {"pue": 1.18}}},
        {"date": D("2026-12-31"), "certificate_due": D("2027-04-30"), "spt": {"index": 88.0, "pue": 1.19}},
    ],
}


def write(tmp_path, data):
    p = tmp_path / "deal.toml"
    p.write_bytes(tomli_w.dumps(data).encode())
    return p


def errors_of(tmp_path, mutate):
    data = copy.deepcopy(BASE)
    mutate(data)
    p = write(tmp_path, data)
    with pytest.raises(InputError) as exc:
        load_deal(p)
    errs = getattr(exc.value, "errors", [exc.value])
    for e in errs:
        assert e.file == str(p)
    return errs


def test_base_deal_is_valid(tmp_path):
    d = load_deal(write(tmp_path, BASE))
    assert d.loan.amount == 100_000_000 and len(d.observations) == 2


def find(errs, field_start, words):
    hits = [e for e in errs if (e.field or "").startswith(field_start) and all(w in e.message for w in words)]
    assert hits, [str(e) for e in errs]
    return hits[0]


def test_observation_after_maturity(tmp_path):
    def m(d):
        d["observations"][1]["date"] = D("2031-01-31")
        d["observations"][1]["certificate_due"] = D("2031-04-30")
    e = find(errors_of(tmp_path, m), "observations[1].date", ["after the loan's maturity"])
    assert e.row == 2 and e.unit == "date YYYY-MM-DD"


def test_spts_not_ordered_in_time(tmp_path):
    def m(d):
        d["observations"][1]["date"] = D("2025-06-30")
    find(errors_of(tmp_path, m), "observations[1].date", ["strictly increasing"])


def test_overlapping_test_periods(tmp_path):
    def m(d):
        d["observations"][0].update(test_period_start=D("2025-01-01"), test_period_end=D("2025-12-31"))
        d["observations"][1].update(test_period_start=D("2025-12-01"), test_period_end=D("2026-12-31"))
    find(errors_of(tmp_path, m), "observations[1].test_period_start", ["overlaps"])


def test_overlapping_rate_path(tmp_path):
    def m(d):
        d["loan"]["base_rate"]["path"] = [{"from": D("2026-01-01"), "rate_pct": 3.0},
                                          {"from": D("2026-01-01"), "rate_pct": 2.9}]
    find(errors_of(tmp_path, m), "loan.base_rate.path[1]", ["overlap"])


@pytest.mark.parametrize("field, value, words", [
    ("step_down_bp", 10, ["step_down_bp must be negative"]),
    ("step_up_bp", -5, ["step_up_bp must be zero"]),
])
def test_steps_of_wrong_sign(tmp_path, field, value, words):
    e = find(errors_of(tmp_path, lambda d: d["ratchet"].__setitem__(field, value)), f"ratchet.{field}", words)
    assert e.unit == "bp"


def test_cap_smaller_than_one_step(tmp_path):
    # demo ratchet: -10/+10 bp shared 60/40 -> single KPI steps 6 and 4 bp; a cap of 3 bp blocks even the 4 bp step
    e = find(errors_of(tmp_path, lambda d: d["ratchet"].__setitem__("cap_bp", 3)), "ratchet.cap_bp",
             ["smaller than one step (4.0 bp)"])
    assert e.unit == "bp" and e.value == 3


def test_currency_base_rate_mismatch(tmp_path):
    e = find(errors_of(tmp_path, lambda d: d["loan"]["base_rate"].__setitem__("index", "TERM_SOFR_3M")),
             "loan.base_rate.index", ["not used for CNY"])
    assert e.value == "TERM_SOFR_3M"


def test_custom_repayments_must_sum_to_drawn(tmp_path):
    def m(d):
        d["loan"]["repayment"] = "custom"
        d["loan"]["repayments"] = [{"date": D("2027-03-22"), "amount": 50_000_000},
                                   {"date": D("2030-07-22"), "amount": 40_000_000}]
    find(errors_of(tmp_path, m), "loan.repayments", ["sum to 90000000", "drawn is 100000000"])


def test_drawdowns_exceed_facility(tmp_path):
    find(errors_of(tmp_path, lambda d: d["loan"]["drawdowns"][1].__setitem__("amount", 50_000_000)),
         "loan.drawdowns", ["more than the facility amount"])


def test_weights_must_sum_to_one(tmp_path):
    find(errors_of(tmp_path, lambda d: d["ratchet"]["kpis"][1].__setitem__("weight", 0.5)), "ratchet.kpis",
         ["sum to 1.1"])


def test_missing_spt_for_ratchet_kpi(tmp_path):
    find(errors_of(tmp_path, lambda d: d["observations"][1]["spt"].pop("pue")), "observations[1].spt", ["pue"])


def test_structural_error_names_field_row_and_unit(tmp_path):
    e = find(errors_of(tmp_path, lambda d: d["loan"]["drawdowns"][1].__setitem__("amount", -1)),
             "loan.drawdowns[1].amount", ["greater than 0"])
    assert e.row == 2 and e.unit == "CNY or USD"


def test_several_errors_reported_together(tmp_path):
    def m(d):
        d["ratchet"]["step_down_bp"] = 5
        d["ratchet"]["cap_bp"] = 1
    errs = errors_of(tmp_path, m)
    assert {e.field for e in errs} >= {"ratchet.step_down_bp", "ratchet.cap_bp"}


def test_not_toml(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("loan = [")
    with pytest.raises(InputError, match="not valid TOML"):
        load_deal(p)
