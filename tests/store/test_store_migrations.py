"""Migrations: an empty database, a database created by the previous revision, and schema = ORM models."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text

from store import db
from store.errors import StoreError

EXPECTED_TABLES = {
    "users", "user_roles", "facility_operators", "methodologies", "facilities", "periods", "figures", "deals",
    "audit_log", "ratchet_terms", "baselines", "spts", "observations", "margin_changes", "statements",
    "simulations", "alembic_version",
    "monthly_data", "targets_settings", "lever_presets", "verifiers", "engagements", "interval_series",
    "deal_versions", "monitoring_records", "margin_change_records", "margin_change_decisions", "margin_notices",
    "gec_lots",
}
HEAD = "0008_gec_lots"


def test_revisions_form_a_chain():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config())
    revs = [r.revision for r in script.walk_revisions()]
    assert revs == ["0008_gec_lots", "0007_verified_guard", "0006_integrity", "0005_monitoring", "0004_intervals", "0003_deal_book_inputs", "0002_terms_results",
                    "0001_core"]
    assert db.head_revision() == HEAD
    # the constant the CLI start path uses is Alembic's own head (update store.db.HEAD_REVISION with a migration)
    assert db.HEAD_REVISION == script.get_current_head()


def test_upgrade_empty_database(db_url):
    engine = db.make_engine(db_url)
    assert db.current_revision(engine) is None
    assert db.upgrade(engine) == HEAD
    assert set(inspect(engine).get_table_names()) == EXPECTED_TABLES
    assert db.upgrade(engine) == HEAD   # idempotent
    engine.dispose()


def test_schema_matches_orm_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from store.schema import Base

    engine = db.make_engine(db_url)
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_database_created_by_previous_revision(db_url):
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0001_core")
    assert db.current_revision(engine) == "0001_core"
    assert "statements" not in inspect(engine).get_table_names()
    now = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    # data written by a 0001-era deal book (plain SQL: the ORM models are already at head)
    with engine.begin() as c:
        c.execute(text("INSERT INTO users (username, active, created_at) VALUES ('admin', true, :t)"), {"t": now})
        c.execute(text("INSERT INTO user_roles (username, role) VALUES ('admin', 'admin')"))
        c.execute(text("INSERT INTO users (username, active, created_at) VALUES ('credit', true, :t)"), {"t": now})
        c.execute(text("INSERT INTO user_roles (username, role) VALUES ('credit', 'credit_officer')"))
        c.execute(text("INSERT INTO facilities (id, name, province, computing_type, lifecycle_stage, created_at, "
                       "updated_at) VALUES ('old-dc', 'Old DC', 'beijing', 'general', 'operation', :t, :t)"),
                  {"t": now})
        c.execute(text("INSERT INTO periods (facility_id, label, start, \"end\", status, evidence) VALUES "
                       "('old-dc', '2022', :s, :e, 'verified', '[]')"),
                  {"s": dt.date(2022, 1, 1), "e": dt.date(2022, 12, 31)})
        pid = c.execute(text("SELECT id FROM periods")).scalar_one()
        c.execute(text("INSERT INTO figures (facility_id, period_id, field, kind, value, status, source, "
                       "created_at, created_by) VALUES ('old-dc', :p, 'pue', 'number', 1.31, 'verified', 'VR-1', "
                       ":t, 'admin')"), {"p": pid, "t": now})
        c.execute(text("INSERT INTO deals (id, facility_id, currency, amount, version, document, created_at, "
                       "updated_at, updated_by) VALUES ('old-deal', 'old-dc', 'CNY', 1000000.0, 3, :d, :t, :t, "
                       "'credit')"),
                  {"d": '{"id": "old-deal", "facility": "old-dc", '
                        '"loan": {"currency": "CNY", "amount": 1000000.0}}', "t": now})
    assert db.upgrade(engine) == HEAD
    engine.dispose()

    from store import open_store

    st = open_store(db_url)
    f = st.load_facility("old-dc")
    assert f.period("2022").pue.value == 1.31 and f.period("2022").pue.status == "verified"
    assert st.deal("old-deal").version == 3
    # the new tables work with the old rows, and the old rules still hold
    st.set_baseline("credit", "old-deal", "pue", 1.31, period_label="2022")
    st.save_deal("credit", {"id": "old-deal", "facility": "old-dc",
                            "loan": {"currency": "CNY", "amount": 2000000.0}}, expected_version=3)
    assert st.deal("old-deal").version == 4
    st.close()


def test_open_store_refuses_an_old_database(db_url):
    from store import open_store

    engine = db.make_engine(db_url)
    db.upgrade(engine, "0001_core")
    engine.dispose()
    with pytest.raises(StoreError, match="dcsll db upgrade"):
        open_store(db_url)


def test_downgrade_then_upgrade_again(db_url):
    from alembic import command

    engine = db.make_engine(db_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), "0001_core")
    assert "statements" not in inspect(engine).get_table_names()
    assert db.upgrade(engine) == HEAD
    engine.dispose()


def test_upgrade_from_0002_keeps_data_and_the_new_records_work(db_url):
    """A 0002-era deal book with a facility, a deal, an issued statement and audit rows, upgraded to 0003."""
    import pandas as pd

    from store import open_store

    engine = db.make_engine(db_url)
    db.upgrade(engine, "0002_terms_results")
    assert "monthly_data" not in inspect(engine).get_table_names()
    now = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    with engine.begin() as c:
        for user, role in (("admin", "admin"), ("credit", "credit_officer"), ("op", "operator"),
                           ("ver", "verifier")):
            c.execute(text("INSERT INTO users (username, active, created_at) VALUES (:u, true, :t)"),
                      {"u": user, "t": now})
            c.execute(text("INSERT INTO user_roles (username, role) VALUES (:u, :r)"), {"u": user, "r": role})
        c.execute(text("INSERT INTO facilities (id, name, province, computing_type, lifecycle_stage, created_at, "
                       "updated_at) VALUES ('old-dc', 'Old DC', 'beijing', 'general', 'operation', :t, :t)"),
                  {"t": now})
        c.execute(text("INSERT INTO facility_operators (facility_id, username) VALUES ('old-dc', 'op')"))
        c.execute(text("INSERT INTO deals (id, facility_id, currency, amount, version, document, created_at, "
                       "updated_at, updated_by) VALUES ('old-deal', 'old-dc', 'CNY', 1000000.0, 2, :d, :t, :t, "
                       "'credit')"),
                  {"d": '{"id": "old-deal", "facility": "old-dc", '
                        '"loan": {"currency": "CNY", "amount": 1000000.0}}', "t": now})
        c.execute(text("INSERT INTO statements (id, deal_id, facility_id, period_label, pdf, sha256, "
                       "signature_status, status, issued_at, created_at, created_by) VALUES ('VS-OLD', "
                       "'old-deal', 'old-dc', '2024', :pdf, :sha, 'signed', 'issued', :t, :t, 'ver')"),
                  {"pdf": b"%PDF-1.4 old", "sha": "0" * 64, "t": now})
        c.execute(text("INSERT INTO audit_log (at, actor, action, entity, entity_key) VALUES "
                       "(:t, 'credit', 'deal.create', 'deal', 'old-deal')"), {"t": now})
    assert db.upgrade(engine) == HEAD
    engine.dispose()

    st = open_store(db_url)
    assert st.deal("old-deal").version == 2
    assert [(i.id, i.status, i.size) for i in st.statements("old-deal")] == [("VS-OLD", "issued", 12)]
    assert st.audit_count() == 1
    frame = pd.DataFrame({"month": ["2024-12", "2025-01"], "total_energy_kwh": [130.0, 125.0],
                          "it_energy_kwh": [100.0, 100.0]})
    assert st.save_monthly("op", "old-dc", frame) == 2
    assert st.monthly("old-dc")["pue"].tolist() == [1.3, 1.25]
    assert st.save_targets_settings("credit", "old-deal", {"baseline": {"periods": ["2024"]}}) == 1
    assert st.save_engagement("ver", "old-deal", "2024", {"statement_id": "VS-OLD"}) == 1
    assert st.audit_count() == 4
    st.close()
