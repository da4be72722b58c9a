"""Child process for test_kill.py: starts a multi-row write and stops in the middle (the parent kills it).

Usage: python killed_writer.py URL facility|deal-update

Prints ``READY`` once rows of the transaction have been sent to the database but before it commits, then
sleeps. Not a test module (no ``test_`` prefix).
"""

import sys
import time

from sqlalchemy import event

from store import open_store
from store.synthetic import deal_document, monthly_facility

url, what = sys.argv[1], sys.argv[2]
st = open_store(url)


@event.listens_for(st.engine, "before_cursor_execute")
def _stop(conn, cursor, statement, params, context, executemany):
    # periods (and the facility) are already inserted when the figures go in; for the deal update the
    # UPDATE of the deal row has run when the audit row is written
    if statement.lstrip().upper().startswith(("INSERT INTO FIGURES", "INSERT INTO AUDIT_LOG")):
        print("READY", flush=True)
        time.sleep(120)


if what == "facility":
    st.save_facility("admin", monthly_facility("killed-dc", years=10))
else:
    doc = deal_document("kill-deal", "base-dc", amount=9.99e9)
    st.save_deal("credit", doc, expected_version=1)
print("COMMITTED", flush=True)
