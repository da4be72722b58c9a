"""Bad input: unknown facility in a deal, duplicate ids, a methodology whose hash does not match its content."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest

from index.errors import InputError, InputErrors
from store.errors import NotFound
from store.files import import_folder, read_facilities

FIX = Path(__file__).parent / "fixtures"
METHODOLOGY = Path(__file__).parents[2] / "data" / "methodology" / "gcpi-2024.toml"


def _toml(p: Path) -> dict:
    return tomllib.loads(p.read_text(encoding="utf-8"))


def test_deal_with_unknown_facility(store):
    path = FIX / "bad" / "deal-unknown-facility.toml"
    with pytest.raises(NotFound) as exc:
        store.save_deal("credit", _toml(path), file=str(path))
    e = exc.value
    assert (e.file, e.field, e.value) == (str(path), "facility", "no-such-facility")
    assert "unknown facility" in str(e)
    assert store.deal_ids() == []


def test_folder_import_with_unknown_facility_writes_nothing(store, tmp_path):
    (tmp_path / "facilities").mkdir()
    (tmp_path / "deals").mkdir()
    (tmp_path / "facilities" / "zjk.toml").write_bytes((FIX / "facilities" / "zjk-campus.toml").read_bytes())
    (tmp_path / "deals" / "ok.toml").write_bytes((FIX / "deals" / "zjk-2025-term.toml").read_bytes())
    (tmp_path / "deals" / "orphan.toml").write_bytes((FIX / "bad" / "deal-unknown-facility.toml").read_bytes())
    n = store.audit_count()
    with pytest.raises(InputErrors) as exc:
        import_folder(store, "admin", tmp_path)
    assert [(e.file.endswith("orphan.toml"), e.field) for e in exc.value.errors] == [(True, "facility")]
    assert store.facility_ids() == [] and store.deal_ids() == [] and store.audit_count() == n


def test_deal_missing_currency(store, zjk):
    store.save_facility("admin", zjk, verified_by="verifier")
    path = FIX / "bad" / "deal-no-currency.toml"
    with pytest.raises(InputError) as exc:
        store.save_deal("credit", _toml(path), file=str(path))
    assert exc.value.field == "loan.currency" and exc.value.file == str(path)


def test_duplicate_deal_id(seeded, deal_doc):
    with pytest.raises(InputError, match="expected_version=1") as exc:
        seeded.save_deal("credit", deal_doc)
    assert exc.value.field == "id"
    assert seeded.deal("zjk-2025-term").version == 1


def test_duplicate_facility_id_across_files():
    with pytest.raises(InputErrors) as exc:
        read_facilities(FIX / "bad" / "dup-facilities")
    (e,) = exc.value.errors
    assert e.file.endswith("b.toml") and "a.toml" in e.message and e.value == "gy-hall"


def test_duplicate_deal_id_across_files(tmp_path):
    from store.files import read_deals

    for name in ("one.toml", "two.toml"):
        (tmp_path / name).write_bytes((FIX / "deals" / "zjk-2025-term.toml").read_bytes())
    with pytest.raises(InputErrors, match="duplicate deal id"):
        read_deals(tmp_path)


def test_duplicate_user(store):
    with pytest.raises(InputError, match="already exists"):
        store.add_user("admin", "credit", ["credit_officer"])


def test_methodology_hash_mismatch(store):
    content = METHODOLOGY.read_bytes()
    wrong = hashlib.sha256(content + b"\n").hexdigest()
    with pytest.raises(InputError, match="hashes to") as exc:
        store.save_methodology("admin", content, sha256=wrong, file=str(METHODOLOGY))
    assert exc.value.field == "sha256"
    assert store.methodologies() == []


def test_loaded_methodology_whose_file_changed(store, tmp_path):
    from index.methodology import load_methodology

    path = tmp_path / "m.toml"
    path.write_bytes(METHODOLOGY.read_bytes())
    m = load_methodology(path)
    path.write_bytes(METHODOLOGY.read_bytes() + b"\n# edited after loading\n")
    with pytest.raises(InputError, match="changed after it was hashed"):
        store.save_methodology("admin", m)


def test_methodology_round_trip_and_same_version_other_content(store):
    content = METHODOLOGY.read_bytes()
    info = store.save_methodology("admin", content, sha256=hashlib.sha256(content).hexdigest())
    assert (info.id, info.version) == ("gcpi-2024", "2024.1")
    assert store.methodology_content("gcpi-2024", "2024.1") == content
    assert store.load_methodology("gcpi-2024", "2024.1").sha256 == hashlib.sha256(content).hexdigest()
    with pytest.raises(InputError, match="new version"):
        store.save_methodology("admin", content + b"\n# a different file, same id and version\n")


def test_stored_methodology_tampered_with_is_detected(store):
    from sqlalchemy import text

    store.save_methodology("admin", METHODOLOGY)
    # the trigger refuses an UPDATE; simulate corruption below the store by dropping it first
    from store.errors import ImmutableRecordError, StoreError

    with pytest.raises(ImmutableRecordError), store._write() as s:
        s.execute(text("UPDATE methodologies SET content = :c"), {"c": b"x"})
    assert store.methodology_content("gcpi-2024", "2024.1") == METHODOLOGY.read_bytes()
    with store.engine.begin() as c:
        if store.dialect == "sqlite":
            c.exec_driver_sql("DROP TRIGGER methodologies_immutable_update")
        else:
            c.exec_driver_sql("DROP TRIGGER methodologies_immutable ON methodologies")
        c.execute(text("UPDATE methodologies SET content = :c"), {"c": b"tampered"})
    with pytest.raises(StoreError, match="does not match its hash"):
        store.methodology_content("gcpi-2024", "2024.1")


def test_statement_must_be_a_pdf(seeded):
    with pytest.raises(InputError, match="PDF"):
        seeded.save_statement("verifier", "VS-X", facility_id="zjk-campus", pdf=b"hello")
    with pytest.raises(InputError, match="signature status"):
        seeded.save_statement("verifier", "VS-X", facility_id="zjk-campus", pdf=b"%PDF-1.7", signature_status="ok")


def test_reported_value_that_breaks_the_period_is_refused(seeded):
    # IT energy above total energy (430,000,000 kWh in the fixture's 2024 period)
    with pytest.raises(InputError, match="above total energy"):
        seeded.report_figure("op", "zjk-campus", "2024", "it_energy_kwh", 440000000.0)
    assert seeded.load_facility("zjk-campus").period("2024").it_energy_kwh.value == 362000000.0


def test_unknown_role_and_field(store, zjk):
    with pytest.raises(InputError, match="unknown role"):
        store.add_user("admin", "x", ["banker"])
    store.save_facility("admin", zjk, verified_by="verifier")
    store.assign_facility("admin", "op", "zjk-campus")
    with pytest.raises(InputError, match="unknown figure field"):
        store.report_figure("op", "zjk-campus", "2024", "pue_value", 1.2)
