"""Margin changes from the record, worked by hand (issue 12 part 2).

The deal (written out below, nothing read from data/): USD 100,000,000 bullet, 2025-01-15 to 2028-01-14, quarterly
interest rolling on the 15th, weekend calendar, ACT/360, base rate held flat at 4.00 %, margin 100 bp. Two-way SPT
ratchet on the GCPI index (weight 0.5) and PUE (0.5): met -10 bp, missed +10 bp, cap 10 bp, not cumulative.

Observations, certificates and recorded (verified) results:

==  ==========  ===============  ===============  ==========================  ====================
#   date        certificate due  delivered        verified                    adjustment
==  ==========  ===============  ===============  ==========================  ====================
1   2025-06-30  2025-09-30       2025-09-19       index 90.0 >= 86 met,       0.5(-10)+0.5(-10)
                                                  PUE 1.18 <= 1.20 met        = -10 bp
2   2026-06-30  2026-09-30       2026-11-20 LATE  index 89.5 >= 88 met,       0.5(-10)+0.5(+10)
                                 (51 days)        PUE 1.21 > 1.19 missed      = 0 bp
3   2027-06-30  2027-09-30       2027-09-10       index 89.0 < 90 missed,     +10 bp
                                                  PUE 1.19 > 1.18 missed
==  ==========  ===============  ===============  ==========================  ====================

Timing ``next_period``: a change applies from the first interest period starting after the trigger date.
Interest periods start on the 15th of Jan/Apr/Jul/Oct (all weekdays in 2025-2027, so no adjustment).

* obs 1: delivered 2025-09-19 -> 2025-10-15: margin 100 -> 90.
* obs 2: due 2026-09-30 missed -> reporting failure "all missed" = 0.5(+10)+0.5(+10) = +10 from 2026-10-15:
  margin 90 -> 110. Cure: delivered 2026-11-20 -> 2027-01-15: margin 110 -> 100 (adjustment 0).
* obs 3: delivered 2027-09-10 -> 2027-10-15: margin 100 -> 110.
"""

from __future__ import annotations

import datetime as dt

import pytest

from finance.deal import Deal
from finance.monitoring import (
    RecordedObservation,
    margin_events_from_record,
    margin_in_force,
    recorded_schedule,
)
from index.errors import InputError

D = dt.date


def make_deal(timing=None, spt_index=(86.0, 88.0, 90.0)) -> Deal:
    return Deal.model_validate({
        "id": "hand-sll",
        "name": "Hand-worked SLL",
        "borrower": "Borrower Co.",
        "facility": "demo-zjk-hyperscale",
        "loan": {
            "currency": "USD", "amount": 100_000_000, "start_date": "2025-01-15", "maturity_date": "2028-01-14",
            "repayment": "bullet", "interest_period": "quarterly", "margin_bp": 100, "calendar": "WEEKEND",
            "day_count": "ACT/360", "business_day_convention": "modified_following",
            "base_rate": {"index": "TERM_SOFR_3M", "path": [{"from": "2025-01-02", "rate_pct": 4.00}]},
        },
        "ratchet": {
            "design": "spt", "step_down_bp": -10, "step_up_bp": 10, "cap_bp": 10,
            "timing": timing or {"rule": "next_period"},
            "kpis": [{"kpi": "index", "weight": 0.5}, {"kpi": "pue", "weight": 0.5}],
        },
        "observations": [
            {"date": "2025-06-30", "certificate_due": "2025-09-30", "spt": {"index": spt_index[0], "pue": 1.20}},
            {"date": "2026-06-30", "certificate_due": "2026-09-30", "spt": {"index": spt_index[1], "pue": 1.19}},
            {"date": "2027-06-30", "certificate_due": "2027-09-30", "spt": {"index": spt_index[2], "pue": 1.18}},
        ],
    })


def verified(date, index, pue, delivered, outcomes=None, sid=None) -> RecordedObservation:
    return RecordedObservation(deal_id="hand-sll", observation_date=date, status="verified",
                               kpis={"index": index, "pue": pue}, outcomes=outcomes or {},
                               statement_id=sid or f"VS-{date.year}", statement_sha256="ab" * 32,
                               certificate_delivered=delivered)


RECORD = [
    verified(D(2025, 6, 30), 90.0, 1.18, D(2025, 9, 19), {"index": "met", "pue": "met"}),
    verified(D(2026, 6, 30), 89.5, 1.21, D(2026, 11, 20), {"index": "met", "pue": "missed"}),
    verified(D(2027, 6, 30), 89.0, 1.19, D(2027, 9, 10), {"index": "missed", "pue": "missed"}),
]


def test_three_observations_one_late_certificate_margins_and_dates():
    changes = margin_events_from_record(make_deal(), RECORD, as_of=D(2028, 1, 14))
    got = [(c.kind, c.observation_date, c.effective_date, c.margin_before_bp, c.margin_after_bp, c.status)
           for c in changes]
    assert got == [
        ("result", D(2025, 6, 30), D(2025, 10, 15), 100.0, 90.0, "in_force"),
        ("reporting_failure", D(2026, 6, 30), D(2026, 10, 15), 90.0, 110.0, "in_force"),
        ("cure", D(2026, 6, 30), D(2027, 1, 15), 110.0, 100.0, "in_force"),
        ("result", D(2027, 6, 30), D(2027, 10, 15), 100.0, 110.0, "in_force"),
    ]
    # the statement id and hash travel with the verified results, not with the reporting failure
    assert changes[0].statement_id == "VS-2025" and changes[0].statement_sha256 == "ab" * 32
    assert changes[1].statement_id is None and changes[1].spts == []
    assert changes[2].statement_id == "VS-2026"
    assert [(s.kpi, s.outcome, s.effect_bp) for s in changes[2].spts] == [("index", "met", -5.0),
                                                                         ("pue", "missed", 5.0)]
    assert "51 days late" in changes[2].reason_en and "逾期51天" in changes[2].reason_zh
    # the Chinese reason names the KPIs (statement catalogue [kpi_names]; methodology name_zh of pue), not their ids
    assert "绿色算力指数总分" in changes[2].reason_zh and "电能利用效率 (PUE)" in changes[2].reason_zh
    assert "index" not in changes[2].reason_zh and "pue" not in changes[2].reason_zh
    assert "not delivered" in changes[1].reason_en
    # margin in force on chosen days
    m = make_deal().loan.margin_bp
    assert [margin_in_force(changes, d, m) for d in (D(2025, 10, 14), D(2025, 10, 15), D(2026, 12, 1),
                                                     D(2027, 1, 15), D(2027, 12, 31))] == [100, 90, 110, 100, 110]


def test_three_observations_interest_per_period_by_hand():
    """Interest = 100,000,000 x (4.00 % + margin) x days / 360, rounded to the cent."""
    sched = recorded_schedule(make_deal(), RECORD, as_of=D(2028, 1, 14))
    f = sched.frame
    # (start, end, days, margin bp, interest) worked by hand
    want = [
        ("2025-01-15", "2025-04-15", 90, 100, 1_250_000.00),   # 1e8 x 5.00% x 90/360
        ("2025-04-15", "2025-07-15", 91, 100, 1_263_888.89),   # 1e8 x 5.00% x 91/360 = 1,263,888.888...
        ("2025-07-15", "2025-10-15", 92, 100, 1_277_777.78),   # 1e8 x 5.00% x 92/360
        ("2025-10-15", "2026-01-15", 92, 90, 1_252_222.22),    # 1e8 x 4.90% x 92/360
        ("2026-01-15", "2026-04-15", 90, 90, 1_225_000.00),    # 1e8 x 4.90% x 90/360
        ("2026-04-15", "2026-07-15", 91, 90, 1_238_611.11),    # 1e8 x 4.90% x 91/360
        ("2026-07-15", "2026-10-15", 92, 90, 1_252_222.22),
        ("2026-10-15", "2027-01-15", 92, 110, 1_303_333.33),   # reporting failure: 1e8 x 5.10% x 92/360
        ("2027-01-15", "2027-04-15", 90, 100, 1_250_000.00),   # cured: adjustment 0
        ("2027-04-15", "2027-07-15", 91, 100, 1_263_888.89),
        ("2027-07-15", "2027-10-15", 92, 100, 1_277_777.78),
        ("2027-10-15", "2028-01-14", 91, 110, 1_289_166.67),   # obs 3 missed: 1e8 x 5.10% x 91/360
    ]
    assert len(f) == len(want)
    for (s, e, days, margin, interest), (_, row) in zip(want, f.iterrows(), strict=True):
        assert row["start"].date().isoformat() == s and row["end"].date().isoformat() == e
        assert row["days"] == days
        assert row["margin_bp"] + row["ratchet_bp"] == pytest.approx(margin)
        assert row["interest"] == pytest.approx(interest, abs=0.005)
    assert f["principal"].iloc[-1] == 100_000_000
    assert f["interest"].sum() == pytest.approx(15_143_888.89, abs=0.02)   # sum of the column above


def test_business_days_timing_splits_the_periods():
    """Timing = 5 business days after the trigger (weekend calendar: Mon-Fri).

    obs 1: delivered Fri 2025-09-19 + 5 business days = Fri 2025-09-26.
    obs 2: due Wed 2026-09-30 + 5 = Wed 2026-10-07 (reporting failure); delivered Fri 2026-11-20 + 5 = Fri 2026-11-27.
    obs 3: delivered Fri 2027-09-10 + 5 = Fri 2027-09-17.
    """
    deal = make_deal(timing={"rule": "business_days", "business_days": 5})
    changes = margin_events_from_record(deal, RECORD, as_of=D(2028, 1, 14))
    assert [(c.kind, c.effective_date, c.margin_after_bp) for c in changes] == [
        ("result", D(2025, 9, 26), 90.0), ("reporting_failure", D(2026, 10, 7), 110.0),
        ("cure", D(2026, 11, 27), 100.0), ("result", D(2027, 9, 17), 110.0)]
    f = recorded_schedule(deal, RECORD, as_of=D(2028, 1, 14)).frame
    rows = {(r["start"].date().isoformat(), r["end"].date().isoformat()): r for _, r in f.iterrows()}
    # 2025-07-15 -> 09-26: 73 days at 5.00 %; 09-26 -> 10-15: 19 days at 4.90 %
    assert rows[("2025-07-15", "2025-09-26")]["interest"] == pytest.approx(1_013_888.89, abs=0.005)  # 1e8x.05x73/360
    assert rows[("2025-09-26", "2025-10-15")]["interest"] == pytest.approx(258_611.11, abs=0.005)    # 1e8x.049x19/360
    # 2026-07-15 -> 10-07: 84 days at 4.90 %; 10-07 -> 10-15: 8 days at 5.10 % (reporting failure)
    assert rows[("2026-07-15", "2026-10-07")]["interest"] == pytest.approx(1_143_333.33, abs=0.005)
    assert rows[("2026-10-07", "2026-10-15")]["interest"] == pytest.approx(113_333.33, abs=0.005)
    # 2026-10-15 -> 11-27: 43 days at 5.10 %; 11-27 -> 2027-01-15: 49 days at 5.00 % (cured)
    assert rows[("2026-10-15", "2026-11-27")]["interest"] == pytest.approx(609_166.67, abs=0.005)
    assert rows[("2026-11-27", "2027-01-15")]["interest"] == pytest.approx(680_555.56, abs=0.005)


def test_missing_certificate_is_recorded_automatically_and_cured_later():
    deal = make_deal()
    # 2026-10-01: obs 2's certificate (due 2026-09-30) has not arrived; nothing was recorded for it
    early = margin_events_from_record(deal, RECORD[:1], as_of=D(2026, 10, 1))
    assert [(c.kind, c.effective_date, c.margin_after_bp, c.status) for c in early] == [
        ("result", D(2025, 10, 15), 90.0, "in_force"),
        ("reporting_failure", D(2026, 10, 15), 110.0, "scheduled")]
    # the late certificate's record exists, but on 2026-11-01 it has not been delivered yet: ignored
    mid = margin_events_from_record(deal, RECORD[:2], as_of=D(2026, 11, 1))
    assert [c.kind for c in mid] == ["result", "reporting_failure"]
    assert mid[1].status == "in_force"
    # once delivered, the cure follows
    late = margin_events_from_record(deal, RECORD[:2], as_of=D(2026, 11, 20))
    assert [(c.kind, c.effective_date, c.status) for c in late][-1] == ("cure", D(2027, 1, 15), "scheduled")
    # the schedule on 2026-10-01 with the future assumed "none" keeps 90 bp until the failure takes effect
    f = recorded_schedule(deal, RECORD[:1], as_of=D(2026, 10, 1)).frame
    assert list(f["margin_bp"] + f["ratchet_bp"]) == [100, 100, 100, 90, 90, 90, 90, 110, 110, 110, 110, 110]


def test_future_observations_follow_the_ratchet():
    """Record obs 1 only, on 2025-12-01; obs 2 and 3 assumed all met (certificate on its due date):
    -10 bp from the first period after 2026-09-30 (2026-10-15) and after 2027-09-30 (2027-10-15)."""
    f = recorded_schedule(make_deal(), RECORD[:1], as_of=D(2025, 12, 1), future="met").frame
    assert list(f["margin_bp"] + f["ratchet_bp"]) == [100, 100, 100] + [90] * 9
    f = recorded_schedule(make_deal(), RECORD[:1], as_of=D(2025, 12, 1), future="missed").frame
    assert list(f["margin_bp"] + f["ratchet_bp"]) == [100, 100, 100, 90, 90, 90, 90] + [110] * 5


# ------------------------------------------------------------------ reported vs verified

# The demo deal's 2025 period: the operator's reported data score 98.69 on the GCPI, the verifier's figures
# (IT energy restated, two smart-carbon functions not evidenced) 95.13 (data/statements/sample_engagement.toml).
# With an index SPT of 96.0 the difference decides the outcome.
REPORTED = RecordedObservation(deal_id="hand-sll", observation_date=D(2025, 6, 30), status="reported",
                               kpis={"index": 98.69, "pue": 1.17}, reported_on=D(2025, 8, 1))
VERIFIED = verified(D(2025, 6, 30), 95.13, 1.17, D(2025, 9, 19), {"index": "missed", "pue": "met"}, sid="VS-DEMO")


def test_margin_follows_verified_not_reported():
    deal = make_deal(spt_index=(96.0, 88.0, 90.0))
    # before the statement: the reported 98.69 >= 96 and PUE 1.17 <= 1.20 would give -10 bp, indicative only
    before = margin_events_from_record(deal, [REPORTED], as_of=D(2025, 9, 1))
    assert len(before) == 1
    ind = before[0]
    assert ind.status == "indicative" and ind.indicative
    assert ind.margin_before_bp == 100 and ind.margin_after_bp == 90
    assert ind.effective_date == D(2025, 10, 15)
    assert ind.reason_en.startswith("INDICATIVE") and "仅供参考" in ind.reason_zh
    assert margin_in_force(before, D(2026, 1, 1), 100) == 100
    # the schedule never uses it
    f = recorded_schedule(deal, [REPORTED], as_of=D(2025, 9, 1)).frame
    assert set(f["margin_bp"] + f["ratchet_bp"]) == {100}
    # after the statement: verified 95.13 < 96 missed (+5), PUE 1.17 met (-5): 0 bp, margin stays 100
    after = margin_events_from_record(deal, [REPORTED, VERIFIED], as_of=D(2025, 12, 1))
    assert [(c.kind, c.status, c.margin_after_bp) for c in after] == [("result", "in_force", 100.0)]
    assert [(s.kpi, s.value, s.outcome) for s in after[0].spts] == [("index", 95.13, "missed"), ("pue", 1.17, "met")]
    assert margin_in_force(after, D(2026, 1, 1), 100) == 100


def test_recorded_outcome_contradicting_the_values_is_refused():
    bad = verified(D(2025, 6, 30), 95.13, 1.17, D(2025, 9, 19), {"index": "met"})
    with pytest.raises(InputError, match="gives 'missed'"):
        margin_events_from_record(make_deal(spt_index=(96.0, 88.0, 90.0)), [bad], as_of=D(2025, 12, 1))


def test_record_of_unknown_date_or_other_deal_is_refused():
    stray = verified(D(2025, 7, 1), 90.0, 1.18, D(2025, 9, 19))
    with pytest.raises(InputError) as exc:
        margin_events_from_record(make_deal(), [stray], as_of=D(2025, 12, 1))
    assert exc.value.field == "observation_date" and exc.value.row == 1 and "2025-06-30" in exc.value.message
    other = RecordedObservation(**{**RECORD[0].model_dump(), "deal_id": "other"})
    with pytest.raises(InputError, match="belongs to deal 'other'"):
        margin_events_from_record(make_deal(), [other], as_of=D(2025, 12, 1))


def test_verified_record_needs_statement_and_delivery():
    with pytest.raises(ValueError, match="statement_sha256, certificate_delivered"):
        RecordedObservation(deal_id="x", observation_date=D(2025, 6, 30), status="verified", kpis={"index": 90},
                            statement_id="VS-1")


def test_recorded_run_many_future_scenarios_and_valuation():
    """Obs 1 recorded (90 bp from 2025-10-15); obs 2 and 3 under three futures, each period's margin by hand."""
    from finance.deal import Scenario
    from finance.monitoring import recorded_run
    from finance.schedule import price
    from finance.valuation import value

    mixed = Scenario(name="mixed", probability=1.0, outcomes=[
        "actual", "missed", {"index_total": 91.0, "kpis": {"pue": 1.18}}])   # obs 3: index 91>=90, PUE 1.18<=1.18
    deal = make_deal().model_copy(update={"scenarios": [mixed]})
    run = recorded_run(deal, RECORD[:1], as_of=D(2025, 12, 1), scenarios=["met", "missed", "mixed"])
    margins = price(run.plan, run.regime_adj_bp).margin_bp            # (S, rows); no split: one row per period
    assert margins.tolist() == [
        [100, 100, 100] + [90] * 9,
        [100, 100, 100, 90, 90, 90, 90] + [110] * 5,
        [100, 100, 100, 90, 90, 90, 90, 110, 110, 110, 110, 90],
    ]
    v = value(run.plan, run.regime_adj_bp, names=run.names, discount_rate_pct=0.0)
    # undiscounted saving against no ratchet = sum over periods of 1e8 x (100 - margin) bp x days / 360;
    # met: 10 bp saved over periods 4-12 of 92+90+91+92 + 92+90+91+92 + 91 = 821 days
    assert v.pv_saving[0] == pytest.approx(1e8 * 0.0010 * 821 / 360, abs=0.05)
    with pytest.raises(InputError, match="single scenario"):
        recorded_run(deal, RECORD[:1], as_of=D(2025, 12, 1), scenarios=["none", "met"])
    with pytest.raises(InputError, match="unknown future scenario"):
        recorded_run(deal, RECORD[:1], as_of=D(2025, 12, 1), scenarios=["rosy"])


def test_cumulative_ratchet_with_cap():
    """Cumulative, cap 15 bp: obs 1 met -10 (total -10, margin 90); obs 2 late: failure = -10 + 10 = 0 (100) then
    cure 0 -> total -10 (90); obs 3 all missed: -10 + 10 = 0 (100). With all met at obs 3 the total would be -20,
    held at the cap -15 (85)."""
    raw = make_deal().model_dump(by_alias=True)
    raw["ratchet"].update(cumulative=True, cap_bp=15)
    deal = Deal.model_validate(raw)
    changes = margin_events_from_record(deal, RECORD, as_of=D(2028, 1, 14))
    assert [(c.kind, c.ratchet_adjustment_bp, c.margin_after_bp) for c in changes] == [
        ("result", -10.0, 90.0), ("reporting_failure", 0.0, 100.0), ("cure", -10.0, 90.0), ("result", 0.0, 100.0)]
    best = RECORD[:2] + [verified(D(2027, 6, 30), 95.0, 1.10, D(2027, 9, 10))]
    last = margin_events_from_record(deal, best, as_of=D(2028, 1, 14))[-1]
    assert (last.ratchet_adjustment_bp, last.margin_after_bp) == (-15.0, 85.0)


def test_score_grid_ratchet():
    """Grid by score: >= 90 -> -10 bp, >= 80 -> 0, below -> +10; not reported +15 bp.
    Obs 1 verified 92.0 -> -10 (90 bp from 2025-10-15); obs 2 never delivered -> not reported +15 (115 bp
    from 2026-10-15, the first period after the due date 2026-09-30)."""
    raw = make_deal().model_dump(by_alias=True)
    raw["ratchet"] = {"design": "score_grid", "kpi": "index", "timing": {"rule": "next_period"},
                      "not_reported_bp": 15,
                      "bands": [{"min_score": 90, "adjustment_bp": -10}, {"min_score": 80, "adjustment_bp": 0},
                                {"min_score": 0, "adjustment_bp": 10}]}
    for o in raw["observations"]:
        o["spt"] = {"index": 90.0}
    deal = Deal.model_validate(raw)
    rec = [RecordedObservation(deal_id="hand-sll", observation_date=D(2025, 6, 30), status="verified",
                               kpis={"index": 92.0}, statement_id="VS", statement_sha256="ab" * 32,
                               certificate_delivered=D(2025, 9, 19))]
    changes = margin_events_from_record(deal, rec, as_of=D(2026, 12, 1))
    assert [(c.kind, c.effective_date, c.margin_after_bp) for c in changes] == [
        ("result", D(2025, 10, 15), 90.0), ("reporting_failure", D(2026, 10, 15), 115.0)]
    assert changes[0].spts[0].outcome == "scored" and changes[0].spts[0].effect_bp == -10


def test_recorded_observation_from_an_issued_statement():
    """The sample statement's figures, read from its TOML file with tomllib, become the recorded observation."""
    import tomllib
    from pathlib import Path

    from finance.monitoring import recorded_observation_from_statement
    from finance.statement import load_statement_data

    path = Path(__file__).resolve().parents[2] / "data" / "statements" / "sample_statement.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    st = load_statement_data(path)
    rec = recorded_observation_from_statement(st, deal_id="d", statement_sha256="ab" * 32,
                                              certificate_delivered=D(2026, 4, 28))
    assert rec.status == "verified" and rec.statement_id == raw["statement_id"]
    assert rec.observation_date == raw["observation_date"]
    assert rec.kpis["index"] == raw["index"]["total"]
    for s in raw["spts"]:
        assert rec.kpis[s["kpi"]] == s["verified_value"]
        assert rec.outcomes[s["kpi"]] == ("band" if s.get("within_band") else "met" if s["met"] else "missed")


def test_delivery_before_observation_is_refused_and_keys_are_unique():
    early = verified(D(2025, 6, 30), 90.0, 1.18, D(2025, 6, 1))
    with pytest.raises(InputError, match="before the observation date") as exc:
        margin_events_from_record(make_deal(), [early], as_of=D(2025, 12, 1))
    assert exc.value.field == "certificate_delivered"
    keys = [c.key for c in margin_events_from_record(make_deal(), RECORD, as_of=D(2028, 1, 14))]
    assert len(set(keys)) == len(keys) == 4
