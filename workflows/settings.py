"""One settings object for the workflows: the defaults the CLI's options and the app's widgets start from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defaults:
    """Defaults of the workflow layer (read by the CLI's argument parser and the app's widgets alike).

    Attributes
    ----------
    targets_paths : int
        BAU Monte Carlo paths of :func:`workflows.targets` (``dcsll targets --paths``).
    simulate_paths : int
        Paths of :func:`workflows.simulate` (``dcsll simulate --paths``).
    seed : int
        Random seed of both.
    model : str
        Monthly model of the BAU forecast, one of :attr:`models`.
    models : tuple of str
        Monthly models :func:`index.simulate.fit_bau` offers.
    bau_alpha : float
        Two-sided level of the BAU band the ambition checks use (0.10 = 5–95 %). [fraction]
    paths_range : tuple of int
        Paths :func:`index.simulate.simulate` accepts (its docstring: 1 to 200,000).
    discount_rate_pct : float or None
        Flat discount rate of the valuation [% p.a.]; None = the loan's own rate.
    """

    targets_paths: int = 5000
    simulate_paths: int = 10_000
    seed: int = 0
    model: str = "ets"
    models: tuple[str, ...] = ("ets", "sarimax")
    bau_alpha: float = 0.10
    paths_range: tuple[int, int] = (1, 200_000)
    discount_rate_pct: float | None = None


#: the defaults in force (one object; the CLI and the app read it, nobody reads defaults off argparse)
DEFAULTS = Defaults()
