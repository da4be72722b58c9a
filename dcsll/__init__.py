"""dcsll: sustainability-linked loans for data centres on the GCPI (orchestration: CLI, store)."""

__version__ = "0.1.0"
