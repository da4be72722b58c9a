"""Ambition flags on constructed cases."""


from index.ambition import applicable_rules, check_bau, check_regulation, peer_checks


def test_target_equal_to_regulatory_minimum_is_flagged(demo):
    # Zhangjiakou is in the 京津冀 (eastern) hub: new builds PUE ≤ 1.25 from 2022
    c = check_regulation("pue", 2027, 1.25, "<=", demo, new_build=True)
    assert c.ambitious is False and c.reference == 1.25 and "hub_new_build_east" in c.evidence


def test_target_beyond_regulation_is_not_flagged(demo):
    c = check_regulation("pue", 2027, 1.24, "<=", demo, new_build=True)
    assert c.ambitious is True


def test_rules_follow_place_and_profile(demo):
    ids = {r["policy_id"] for r in applicable_rules("pue", 2027, demo, new_build=False)}
    assert "hub_new_build_east" not in ids and "beijing_stock_2027" not in ids
    gp = {r["policy_id"] for r in applicable_rules("renewable_share", 2027, demo, new_build=False,
                                                   government_procurement=True)}
    assert {"gp_renewable_2025", "gp_renewable_2027"} <= gp and "gp_renewable_2030" not in gp


def test_no_rule_gives_no_verdict(demo):
    c = check_regulation("wue", 2027, 0.5, "<=", demo, new_build=False)
    assert c.ambitious is None and "no binding rule" in c.evidence


def test_target_at_bau_forecast_is_flagged():
    bau = {"mean": 1.15, "lower": 1.12, "upper": 1.18}
    assert check_bau("pue", 2027, 1.15, "<=", bau).ambitious is False
    assert check_bau("pue", 2027, 1.16, "<=", bau).ambitious is False


def test_target_below_bau_lower_bound_is_not_flagged():
    bau = {"mean": 1.15, "lower": 1.12, "upper": 1.18}
    c = check_bau("pue", 2027, 1.12 - 0.05, "<=", bau)
    assert c.ambitious is True and "stretch" in c.evidence


def test_higher_better_bau():
    bau = {"mean": 0.70, "lower": 0.65, "upper": 0.75}
    assert check_bau("renewable_share", 2027, 0.70, ">=", bau).ambitious is False
    assert check_bau("renewable_share", 2027, 0.80, ">=", bau).ambitious is True


def test_peers_include_national_figures(demo):
    cs = peer_checks("pue", 2027, 1.30, "<=", demo)
    by_ref = {c.reference: c for c in cs}
    assert by_ref[1.46].ambitious is True      # national average 2024 (seed 001)
    assert by_ref[1.2].ambitious is False      # national green DCs ≈1.2
    assert any("cluster" in c.evidence for c in cs)
