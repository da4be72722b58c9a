"""The permission table: (role, action) → allowed / denied, every pair exercised on both databases.

The expectations are written out here from the issue text (credit_officer: deals, ratchets, targets;
operator: its own facilities' reported data, simulations; verifier: verified values, statements; admin:
users, methodologies), not read from store.roles.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from index.models import load_facility
from store import open_store
from store.errors import PermissionDenied

FIX = Path(__file__).parent / "fixtures"
METHODOLOGY = Path(__file__).parents[2] / "data" / "methodology" / "gcpi-2024.toml"
PDF = b"%PDF-1.7\n% permission test\n%%EOF\n"
_n = itertools.count()

# role -> user in the store; "operator" owns zjk-campus, "operator (other facility)" owns nothing
USERS = {"credit_officer": "credit", "operator": "op", "operator (other facility)": "op2", "verifier": "verifier",
         "admin": "admin"}
C, OP, X, V, A = "credit_officer", "operator", "operator (other facility)", "verifier", "admin"


def _deal(i):
    return {"id": f"perm-deal-{i}", "facility": "zjk-campus", "loan": {"currency": "CNY", "amount": 1e6}}


def _add_user(st, u):
    st.add_user(u, f"newuser{next(_n)}", ["operator"])


def _save_methodology(st, u):
    st.save_methodology(u, METHODOLOGY)


def _create_facility(st, u):
    f = load_facility(FIX / "facilities" / "gy-hall.toml")
    st.save_facility(u, f.model_copy(update={"id": f"new-dc-{next(_n)}", "periods": ()}))


def _edit_profile(st, u):
    f = st.load_facility("zjk-campus")
    st.save_facility(u, f.model_copy(update={"notes": f"note {next(_n)}"}))


def _report(st, u):
    st.report_figure(u, "zjk-campus", "2024", "water_m3", 490000.0 + next(_n), source="water bill")


def _verify_prepare(st):
    # a fresh reported figure each time (a new period), so that only the role decides
    label = f"perm-{next(_n)}"
    _new_period(st, label)
    return label


def _verify(st, u, label):
    st.verify_figure(u, "zjk-campus", label, "water_m3", 1000.0, source="VR")


def _new_period(st, label):
    from index.models import PeriodData

    f = st.load_facility("zjk-campus")
    year = 2031 + len(f.periods)  # one calendar year each: periods of a facility must not overlap
    p = PeriodData(label=label, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31), status="reported",
                   water_m3={"value": 999.0, "status": "reported", "source": "bill"})
    st.save_facility("op", f.model_copy(update={"periods": (*f.periods, p)}))


def _restate(st, u):
    st.restate_figure(u, "zjk-campus", "2023", "water_m3", 520000.0 + next(_n), source="VR rev",
                      reason="permission test")


def _save_deal(st, u):
    st.save_deal(u, _deal(next(_n)))


def _update_deal(st, u):
    info = st.deal("perm-base-deal")
    doc = st.load_deal_document("perm-base-deal")
    doc["loan"]["amount"] = 1e6 + next(_n)
    st.save_deal(u, doc, expected_version=info.version)


def _baseline(st, u):
    st.set_baseline(u, "perm-base-deal", f"kpi{next(_n)}", 70.0)


def _spt(st, u):
    st.set_spt(u, "perm-base-deal", f"kpi{next(_n)}", dt.date(2027, 4, 30), 75.0)


def _observation(st, u):
    st.record_observation(u, "perm-base-deal", dt.date(2027, 4, 30), "2026",
                          {"total": 70.0, "grade": "3A", "methodology_id": "m", "methodology_sha256": "0" * 64})


def _margin(st, u):
    st.record_margin_change(u, "perm-base-deal", dt.date(2027, 6, 20), -5.0, 80.0)


def _simulation(st, u):
    st.save_simulation(u, "zjk-campus", "retrofit", {"pue_2027": 1.15})


def _statement(st, u):
    st.save_statement(u, f"VS-{next(_n)}", facility_id="zjk-campus", pdf=PDF)


def _issue_prepare(st):
    sid = f"VS-{next(_n)}"
    st.save_statement("verifier", sid, facility_id="zjk-campus", pdf=PDF)
    return sid


def _issue(st, u, sid):
    st.issue_statement(u, sid)


def _portfolio(st, u):
    st.portfolio_summary(u)


def _audit(st, u):
    st.audit_log(u)


def _monthly(st, u):
    import pandas as pd

    v = 1000.0 + next(_n)
    st.save_monthly(u, "zjk-campus", pd.DataFrame({"month": ["2025-01"], "total_energy_kwh": [1.3 * v],
                                                   "it_energy_kwh": [v]}))


def _levers(st, u):
    st.save_lever_preset(u, "retrofit", {"levers": [{"kind": "cooling_retrofit", "start": dt.date(2027, 5, 1),
                                                     "pue_change": -0.01 * (1 + next(_n) % 5)}]},
                         facility_id="zjk-campus")


def _targets_settings(st, u):
    st.save_targets_settings(u, "perm-base-deal", {"baseline": {"periods": [str(2000 + next(_n))]}})


def _verifier(st, u):
    st.save_verifier(u, "ea", {"name": {"en": "EA", "zh": "EA"}, "accreditation": f"CNAS V{next(_n)}",
                               "signatory": "Li", "signatory_title": {"en": "Lead", "zh": "首席"},
                               "place": {"en": "Beijing", "zh": "北京"}})


def _engagement(st, u):
    st.save_engagement(u, "perm-base-deal", "2025", {"statement_id": f"VS-{next(_n)}"})


def _intervals(st, u):
    import pandas as pd

    from index.cfe import validate_intervals

    v = float(next(_n))
    data = validate_intervals(pd.DataFrame({"timestamp": ["2025-01-01T00:00:00+08:00", "2025-01-01T01:00:00+08:00"],
                                            "channel": "load", "kwh": [v, v + 1]}))
    st.save_intervals(u, "zjk-campus", "2025", data)


def _monitoring(st, u):
    st.record_monitoring_observation(u, "perm-base-deal", dt.date(2025, 12, 31), status="reported",
                                     kpis={"index": 90.0 + next(_n)}, reported_on=dt.date(2026, 2, 1))


def _change(i):
    return {"observation_date": "2025-12-31", "effective_date": "2026-05-06", "kind": "result",
            "ratchet_adjustment_bp": -10.0, "margin_before_bp": 30.0, "margin_after_bp": 20.0, "n": i}


def _prepare(st, u):
    i = next(_n)
    st.prepare_margin_change(u, "perm-base-deal", f"perm-base-deal/2025-12-31/result/S{i}", _change(i))


def _second_officer(st):
    from store.demo import user_exists

    if not user_exists(st, "credit2"):
        st.add_user("admin", "credit2", ["credit_officer"])


def _approve_prepare(st):
    # prepared by another credit officer, so that only the role decides (the preparer is refused anyway)
    _second_officer(st)
    i = next(_n)
    return st.prepare_margin_change("credit2", "perm-base-deal", f"perm-base-deal/2025-12-31/result/A{i}",
                                    _change(i)).id


def _approve(st, u, cid):
    st.approve_margin_change(u, cid)


def _notice_prepare(st):
    cid = _approve_prepare(st)
    st.approve_margin_change("credit", cid)
    return cid


def _notice(st, u, cid):
    st.save_notice(u, cid, f"MCN-{next(_n)}", {"notice": "test"}, pdf=PDF)


#: action -> (callable, roles allowed[, preparation done by the right role, its result passed on])
TABLE = {
    "add a user": (_add_user, {A}),
    "save a methodology": (_save_methodology, {A}),
    "create a facility": (_create_facility, {C, A, OP, X}),  # an operator onboards its own new facility
    "edit a facility profile": (_edit_profile, {C, A, OP}),
    "report a figure": (_report, {OP}),
    "verify a figure": (_verify, {V}, _verify_prepare),
    "restate a verified figure": (_restate, {V}),
    "create a deal": (_save_deal, {C}),
    "update a deal": (_update_deal, {C}),
    "set a baseline": (_baseline, {C}),
    "set an SPT": (_spt, {C}),
    "record an observation": (_observation, {C}),
    "record a margin change": (_margin, {C}),
    "save a simulation": (_simulation, {C, OP}),
    "save a statement": (_statement, {V}),
    "issue a statement": (_issue, {V}, _issue_prepare),
    "save monthly data": (_monthly, {OP, A}),
    "save interval data": (_intervals, {OP, A}),
    "save a lever preset": (_levers, {OP, A}),
    "save targets settings": (_targets_settings, {C, A}),
    "save a verifier identity": (_verifier, {V, A}),
    "save an engagement": (_engagement, {V, A}),
    "record a monitoring observation": (_monitoring, {C, V}),
    "prepare a margin change": (_prepare, {C}),
    "approve a margin change": (_approve, {C}, _approve_prepare),
    "save a margin-change notice": (_notice, {C}, _notice_prepare),
    "read the portfolio": (_portfolio, {C, V, A}),
    "read the audit log": (_audit, {C, V, A}),
}
CASES = [(action, role) for action in TABLE for role in USERS]


@pytest.fixture(scope="module")
def perm_store(module_db_url):
    url = module_db_url
    if True:
        st = open_store(url, migrate=True)
        st.bootstrap_admin("admin")
        for role, user in USERS.items():
            if user != "admin":
                st.add_user("admin", user, [role.split(" ")[0]])
        st.save_facility("admin", load_facility(FIX / "facilities" / "zjk-campus.toml"), verified_by="verifier")
        st.assign_facility("admin", "op", "zjk-campus")
        st.save_deal("credit", {"id": "perm-base-deal", "facility": "zjk-campus",
                                "loan": {"currency": "CNY", "amount": 1e6}})
        yield st
        st.close()


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_permission(perm_store, action, role):
    call, allowed, *prepare = TABLE[action]
    args = [prepare[0](perm_store)] if prepare else []
    user = USERS[role]
    if role in allowed:
        call(perm_store, user, *args)
        return
    n = perm_store.audit_count()
    with pytest.raises(PermissionDenied) as exc:
        call(perm_store, user, *args)
    assert user in str(exc.value) and "ask" in str(exc.value)
    assert perm_store.audit_count() == n    # nothing written


def test_unknown_user_is_refused(perm_store):
    with pytest.raises(PermissionDenied, match="unknown or deactivated"):
        perm_store.save_deal("nobody", _deal(next(_n)))


def test_deactivated_user_is_refused(perm_store):
    perm_store.add_user("admin", "leaver", ["credit_officer"])
    perm_store.deactivate_user("admin", "leaver")
    with pytest.raises(PermissionDenied):
        perm_store.save_deal("leaver", _deal(next(_n)))


def test_every_role_and_action_of_the_store_is_in_the_table():
    from store.roles import PERMISSIONS, ROLES

    assert set(ROLES) == {"credit_officer", "operator", "verifier", "admin"}
    assert len(TABLE) >= len(PERMISSIONS)


def test_an_operator_who_creates_a_facility_reports_for_it_and_no_other(store):
    """A borrower's operator onboards its facility: it may then report for it (and only for it), the
    assignment is in the audit log, and it still cannot verify anything."""
    st = store
    f = load_facility(FIX / "facilities" / "gy-hall.toml")
    fid = f"onboarded-{next(_n)}"
    st.save_facility("op", f.model_copy(update={"id": fid, "periods": ()}))
    assert fid in st.user("op").facilities
    assert [e.action for e in st.audit_log("admin", entity="user", key="op")][-1] == "user.assign_facility"
    from index.models import PeriodData

    p = PeriodData(label="2040", start=dt.date(2040, 1, 1), end=dt.date(2040, 12, 31), status="reported",
                   water_m3={"value": 999.0, "status": "reported", "source": "bill"})
    st.save_facility("op", st.load_facility(fid).model_copy(update={"periods": (p,)}))
    with pytest.raises(PermissionDenied):
        st.verify_figure("op", fid, "2040", "water_m3", 1000.0, source="self")
