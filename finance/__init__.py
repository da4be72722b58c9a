"""The finance engine of a sustainability-linked loan: terms, schedules, margin ratchets, valuation, statements.

Takes a :class:`finance.deal.Deal` and the :class:`index.result.IndexResult` s it needs (by facility period
label), never a path (the one loader, :func:`finance.deal.load_deal`, serves the CLI's file form).

- :mod:`finance.terms` (loan and ratchet terms), :mod:`finance.conventions` and :mod:`finance.calendars`
  (day counts, business days, LPR / SOFR base rates);
- :mod:`finance.schedule` (interest periods, margin regimes, cash flows), :mod:`finance.ratchet` (SPT status,
  step-down / step-up, score grids, caps, floors, timing of the margin change);
- :mod:`finance.deal` (deal documents, scenarios, ``run_deal`` / ``deal_schedule`` / ``deal_valuation``),
  :mod:`finance.valuation` (PV of the ratchet, break-even verification cost), :mod:`finance.simulated` (the
  ratchet priced over simulated KPI paths);
- :mod:`finance.statement` (the verification statement model), :mod:`finance.statement_build` (built from a deal,
  its facility and a scorer), :mod:`finance.statement_pdf` (bilingual PDF), :mod:`finance.statement_sign`
  (PAdES signing and checking).

Orchestration (load → score → price → statement) is :mod:`workflows`' job.
"""
