"""The finance engine: sustainability-linked loan terms, margin ratchets, cash flows, valuation and statements.

A deal (one facility, loan terms, ratchet terms, SPTs per observation date) and the GCPI results of
:mod:`index` give the repayment schedule, the margin after each observation (step-down / step-up), the interest
cash flows under each KPI scenario, the value of the ratchet, and the third-party verification statement.
Conventions (ACT/360, CNY settlement on the 20th of the quarter's last month, Chinese holidays, LPR fixings) are
data in ``data/finance/``; see ``docs/finance.md``.

Entry points
------------
- :mod:`finance.terms`: :class:`~finance.terms.LoanTerms` and the ratchet terms (pydantic models).
- :mod:`finance.deal`: :func:`~finance.deal.load_deal`, :func:`~finance.deal.run_deal`,
  :func:`~finance.deal.deal_schedule`, :func:`~finance.deal.deal_valuation`.
- :mod:`finance.schedule`: :func:`~finance.schedule.build_plan` then :func:`~finance.schedule.price`
  (thousands of ratchet scenarios at once) and :func:`~finance.schedule.schedule_frame`.
- :mod:`finance.ratchet`: SPT status and margin adjustments, vectorised over scenarios.
- :mod:`finance.valuation`: :func:`~finance.valuation.value`, PV of the interest saved or paid.
- :mod:`finance.calendars`, :mod:`finance.conventions`: business days, day counts, LPR history.
- Statements: :mod:`finance.statement` (the model and its hash), :mod:`finance.statement_build`,
  :mod:`finance.statement_pdf` (reportlab), :mod:`finance.statement_sign` (pyHanko signing and checking).

Layering
--------
Above :mod:`index`, below ``workflows`` and the CLI / app (DESIGN.md §2): takes ``index`` results, never reads
the deal book (``store``) and never imports the CLI (``dcsll``) or the app. ``lint-imports`` checks this in CI
(contracts in ``pyproject.toml``). Nothing is imported here, so that ``import finance.ratchet`` stays light.
"""
