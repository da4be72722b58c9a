"""Child process for test_kill.py: starts a multi-row write and stops in the middle (the parent kills it).

Usage: python killed_writer.py URL facility|deal-update

Prints ``READY <figure rows> <audit rows>`` (counted inside the open transaction) once every row of the write
has been sent to the database, just before COMMIT, then sleeps. Not a test module (no ``test_`` prefix).
"""

import sys
import time

from sqlalchemy import event

from store import open_store
from store.synthetic import deal_document, monthly_facility

url, what = sys.argv[1], sys.argv[2]
st = open_store(url)


@event.listens_for(st.engine, "commit")
def _stop(conn):
    # every row of the transaction has been written; COMMIT has not been sent yet
    figs = conn.exec_driver_sql("SELECT count(*) FROM figures").scalar()
    audits = conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar()
    print(f"READY {figs} {audits}", flush=True)
    time.sleep(120)


if what == "facility":
    st.save_facility("admin", monthly_facility("killed-dc", years=10))
else:
    doc = deal_document("kill-deal", "base-dc", amount=9.99e9)
    st.save_deal("credit", doc, expected_version=1)
print("COMMITTED", flush=True)
