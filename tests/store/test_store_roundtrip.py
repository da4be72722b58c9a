"""File → store → file round trips (facility and deal TOML files)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w

from index.models import load_facility
from store.files import export_folder, import_folder
from store.tomlio import dumps_facility, from_json, to_json

FIXTURES = Path(__file__).parent / "fixtures"


def test_canonical_facility_file_round_trips_byte_equal(store, facility_file, zjk):
    store.save_facility("admin", zjk, verified_by="verifier")
    out = dumps_facility(store.load_facility("zjk-campus"))
    assert out.encode("utf-8") == facility_file.read_bytes()


def test_loose_facility_file_round_trips_after_normalisation(store, tmp_path):
    path = FIXTURES / "facilities" / "gy-hall.toml"
    original = load_facility(path)
    store.save_facility("admin", original, verified_by="verifier")
    exported = tmp_path / "gy-hall.toml"
    exported.write_text(dumps_facility(store.load_facility("gy-hall")), encoding="utf-8")
    # the normalised form of the file: what the index loader reads from it, written canonically
    assert exported.read_text(encoding="utf-8") == dumps_facility(original)
    again = load_facility(exported)
    assert again == original
    # values from the file on disk, converted by hand: 12 MW, 95 GWh, 80,000,000 kWh, 55 %
    assert again.design_it_power_kw.value == 12000.0
    p = again.periods[0]
    assert (p.label, p.start.isoformat(), p.end.isoformat()) == ("2025", "2025-01-01", "2025-12-31")
    assert p.total_energy_kwh.value == 95_000_000.0
    assert p.it_energy_kwh.value == 80_000_000.0
    assert p.cpu_utilisation.value == 0.55
    assert p.total_energy_kwh.status == "design" and p.total_energy_kwh.source == "design basis 2025"


def test_figure_provenance_survives(store, zjk):
    store.save_facility("admin", zjk, verified_by="verifier")
    p = store.load_facility("zjk-campus").period("2023")
    # from the fixture: period default verified / VR-2023-017, GEC figure reported with its own source
    assert (p.total_energy_kwh.status, p.total_energy_kwh.source) == ("verified", "verifier report VR-2023-017")
    assert (p.gec_mwh.value, p.gec_mwh.status, p.gec_mwh.source) == (15000.0, "reported", "GEC retirement list 2023")
    assert [(r.gas, r.kg, r.status) for r in p.refrigerants] == [("R134a", 120.0, "verified"),
                                                                  ("R410A", 35.5, "reported")]
    assert p.checklists["smart_carbon_management"].items == ("carbon_accounting",)
    assert p.evidence == ("meter report MR-2023", "green power trading certificates 2023")


def test_deal_files_round_trip(store, zjk):
    store.save_facility("admin", zjk, verified_by="verifier")
    store.save_facility("admin", load_facility(FIXTURES / "facilities" / "gy-hall.toml"), verified_by="verifier")
    for name in ("zjk-2025-term", "gy-2026-construction"):
        text = (FIXTURES / "deals" / f"{name}.toml").read_text(encoding="utf-8")
        doc = tomllib.loads(text)
        store.save_deal("credit", doc)
        back = store.load_deal_document(name)
        assert tomli_w.dumps(back) == tomli_w.dumps(doc)      # byte-equal after normalisation
        assert back == doc                                    # types kept: dates, ints, floats
    back = store.load_deal_document("gy-2026-construction")
    assert back["loan"]["amount"] == 80_000_000 and isinstance(back["loan"]["amount"], int)
    assert back["loan"]["drawdowns"][1]["date"].isoformat() == "2026-09-15"
    info = store.deal("zjk-2025-term")
    assert (info.facility_id, info.currency, info.amount, info.margin_bp, info.version) == \
        ("zjk-campus", "CNY", 1.5e9, 85.0, 1)


def test_tagged_json_keeps_toml_types():
    import datetime as dt

    doc = {"d": dt.date(2025, 3, 20), "t": dt.datetime(2025, 3, 20, 9, 30, tzinfo=dt.UTC), "lt": dt.time(8, 0),
           "i": 7, "f": 7.0, "inf": float("inf"), "nested": [{"x": dt.date(2030, 1, 1)}], "s": "净零"}
    back = from_json(to_json(doc))
    assert back == doc
    assert type(back["i"]) is int and type(back["f"]) is float


def test_export_then_import_into_a_fresh_store_is_identical(store, db_url, tmp_path):
    seed = tmp_path / "seed"
    seed.mkdir()
    for sub in ("facilities", "deals"):
        (seed / sub).mkdir()
        for p in (FIXTURES / sub).glob("*.toml"):
            (seed / sub / p.name).write_bytes(p.read_bytes())
    rep = import_folder(store, "admin", seed, verified_by="verifier")
    assert sorted(rep.facilities) == ["gy-hall", "zjk-campus"]
    assert sorted(rep.deals) == ["gy-2026-construction", "zjk-2025-term"]
    first = tmp_path / "export1"
    export_folder(store, first)
    assert (first / "facilities" / "zjk-campus.toml").read_bytes() == \
        (FIXTURES / "facilities" / "zjk-campus.toml").read_bytes()
    # importing again changes nothing and writes no audit row
    n = store.audit_count()
    rep2 = import_folder(store, "admin", seed)
    assert rep2.facilities == [] and rep2.deals == [] and store.audit_count() == n

    # a second database loaded from the export exports the same bytes
    from store import open_store

    other_url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    other = open_store(other_url, migrate=True)
    other.bootstrap_admin("admin")
    other.add_user("admin", "verifier", ["verifier"])
    import_folder(other, "admin", first, verified_by="verifier")
    second = tmp_path / "export2"
    export_folder(other, second)
    for sub in ("facilities", "deals"):
        for p in sorted((first / sub).iterdir()):
            assert (second / sub / p.name).read_bytes() == p.read_bytes(), p.name
    other.close()


REPO_DATA = Path(__file__).parents[2] / "data"


def test_shipped_data_files_round_trip(store):
    """Every file in data/facilities/ and data/deals/ goes through the store unchanged (after normalisation)."""
    import pytest

    from store.files import read_deals, read_facilities

    facilities = read_facilities(REPO_DATA / "facilities") if (REPO_DATA / "facilities").is_dir() else []
    deals = read_deals(REPO_DATA / "deals") if (REPO_DATA / "deals").is_dir() else []
    if not facilities and not deals:
        pytest.skip("data/facilities/ and data/deals/ are empty")
    for path, f in facilities:
        store.save_facility("admin", f, file=str(path), verified_by="verifier")
        back = store.load_facility(f.id)
        assert back == load_facility(path), path.name
        assert dumps_facility(back) == dumps_facility(load_facility(path)), path.name
    for path, doc in deals:
        store.save_deal("credit", doc, file=str(path))
        back = store.load_deal_document(doc["id"])
        assert tomli_w.dumps(back) == tomli_w.dumps(tomllib.loads(path.read_text(encoding="utf-8"))), path.name
