"""GEC lot evidence in the deal book (table gec_lots, migration 0008_gec_lots; issue 14).

Hand-made facility: a grid-only Hebei site, 2023, 100 GWh total, 80 GWh IT, with three unbundled GEC lots of
which one has a vintage outside the period, one id also settled in green-power trading, one id sold from the
site's own PV. The engine's GHG Protocol Scope 2 criteria decide what counts; the store keeps every field.
"""

from __future__ import annotations

import copy
from datetime import date

import pytest
from sqlalchemy import func, select

from index.engine import score
from index.errors import InputError
from index.methodology import load_methodology, methodology_path
from index.models import facility_from_dict
from store.errors import ImmutableRecordError
from store.schema import GecLotRow
from store.tomlio import dumps_facility

M25 = load_methodology(methodology_path("gcpi-2025"))


def _lot(i, mwh, **kw):
    lot = {"id": f"GEC-2023-{i:06d}", "mwh": mwh, "generation_start": date(2023, 1, 1),
           "generation_end": date(2023, 12, 31), "market": "CN", "retired_for": "hand-gec",
           "evidence": f"cancellation record {i}", "source": "registry extract"}
    lot.update(kw)
    return lot


def doc(fid="hand-gec", lots=None, status="reported"):
    lots = [_lot(1, 10_000), _lot(2, 5_000, generation_start=date(2022, 6, 1)), _lot(3, 2_000)] \
        if lots is None else lots
    return {"facility": {"id": fid, "name": "Hand-made GEC site", "province": "hebei",
                         "design_it_power_kw": 12500, "lifecycle_stage": "operation"},
            "periods": [{"label": "2023", "status": status, "source": "test meter report",
                         "total_energy_kwh": 1.0e8, "it_energy_kwh": 8.0e7, "grid_kwh": 1.0e8, "diesel_l": 0,
                         "natural_gas_m3": 0, "racks_ready": 5000, "racks_occupied": 4000,
                         "gec_certificates": lots, "green_trading_certificate_ids": ["GEC-2023-000003"],
                         "onsite_certificate_ids_sold": ["PV-2023-000009"]}]}


def versions(store, fid):
    with store._read() as s:
        return s.scalar(select(func.max(GecLotRow.version)).where(GecLotRow.facility_id == fid))


def test_lots_round_trip_and_score_as_from_the_file(store):
    f = facility_from_dict(doc())
    store.save_facility("admin", f)
    back = store.load_facility("hand-gec")
    assert back == f
    assert back.periods[0].gec_certificates[1].generation_start == date(2022, 6, 1)
    r = score(back, "2023", M25)
    assert r.model_dump_json() == score(f, "2023", M25).model_dump_json()
    # lot 1 counts (10,000 MWh); lot 2's vintage is outside 2023; lot 3 is also in a green-power settlement
    assert r.extra["gec_qualified_mwh"] == 10_000 and r.extra["gec_unqualified_mwh"] == 7_000
    # the canonical file written from the deal book loads back equal
    assert facility_from_dict(__import__("tomllib").loads(dumps_facility(back))) == f


def test_unchanged_save_appends_nothing_and_a_change_appends_a_version(store):
    store.save_facility("admin", facility_from_dict(doc()))
    assert versions(store, "hand-gec") == 1
    store.save_facility("admin", facility_from_dict(doc()))
    assert versions(store, "hand-gec") == 1
    store.save_facility("admin", facility_from_dict(doc(lots=[_lot(1, 10_000)])))
    assert versions(store, "hand-gec") == 2
    assert len(store.load_facility("hand-gec").periods[0].gec_certificates) == 1
    d = doc(lots=[])
    del d["periods"][0]["green_trading_certificate_ids"], d["periods"][0]["onsite_certificate_ids_sold"]
    del d["periods"][0]["gec_certificates"]
    store.save_facility("admin", facility_from_dict(d))
    assert versions(store, "hand-gec") == 3
    p = store.load_facility("hand-gec").periods[0]
    assert p.gec_certificates is None and p.green_trading_certificate_ids is None


def test_a_lot_claimed_by_another_facility_is_refused(store):
    store.save_facility("admin", facility_from_dict(doc()))
    with pytest.raises(InputError, match="GEC lot GEC-2023-000001 is already claimed by facility hand-gec period 2023"):
        store.save_facility("admin", facility_from_dict(doc("other-site", lots=[_lot(1, 10_000)])))
    assert "other-site" not in store.facility_ids()  # nothing written
    store.save_facility("admin", facility_from_dict(doc("other-site", lots=[_lot(7, 1_000)])))


def test_evidence_of_a_verified_period_changes_only_by_a_verifier_with_a_reason(store):
    store.save_facility("admin", facility_from_dict(doc(status="verified")), verified_by="verifier")
    changed = facility_from_dict(doc(status="verified", lots=[_lot(1, 10_000)]))
    with pytest.raises(ImmutableRecordError, match="GEC lot evidence belongs to a verified score"):
        store.save_facility("admin", changed, verified_by="verifier")
    store.save_facility("verifier", changed, reason="lot 2 withdrawn: vintage 2022")
    assert versions(store, "hand-gec") == 2


def test_rows_are_append_only(store):
    store.save_facility("admin", facility_from_dict(doc()))
    from sqlalchemy import update

    with pytest.raises(Exception, match="UPDATE on gec_lots refused: GEC lot evidence is append-only"):
        with store._write() as s:
            s.execute(update(GecLotRow).values(mwh=1.0e9))


def test_same_lot_twice_in_one_period_is_kept_for_the_engine_to_refuse(store):
    d = doc(lots=[_lot(1, 10_000), _lot(1, 10_000)])
    store.save_facility("admin", facility_from_dict(copy.deepcopy(d)))
    r = score(store.load_facility("hand-gec"), "2023", M25)
    assert r.extra["gec_qualified_mwh"] == 10_000  # the second claim of the same id does not count
