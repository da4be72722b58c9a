"""Immutable results of the GCPI engine (:class:`IndexResult`)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class Note(BaseModel):
    """An engine note as a code with parameters, for a reader's language, and its English text.

    ``text`` is the note exactly as :attr:`IndexResult.notes` (CLI, reports) carries it; an app translates
    ``code`` with ``params`` instead (issue 17: engine reasons as codes, not sentences matched by prefix).

    Attributes
    ----------
    code : str
        What the note says, e.g. ``grid_factor`` (a reference factor fallback), ``factor_year``.
    params : dict
        The values the sentence names (years, levels, region codes, ``basis`` location / residual; quantities
        in the unit the code's sentence names, e.g. ``mwh`` [MWh], ``days`` [d]; figure ids as a tuple).
    text : str
        The English sentence.
    parts : tuple of Note
        Clauses of a compound note (e.g. an earlier year *and* a coarser level), each with its own code.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    params: dict[str, str | int | float | tuple[str, ...]] = {}
    text: str
    parts: tuple[Note, ...] = ()


class IndicatorResult(BaseModel):
    """One indicator's result.

    Attributes
    ----------
    raw_value : float or None
        The measured quantity in ``unit`` (None when missing; ``inf`` for carbon efficiency at zero emissions;
        for checklists the share of capabilities present, 0–1).
    score : float
        0–100 on the methodology's curve (0 when missing).
    weight : float
        Share of the core (core indicators) or of the add-on (lifecycle indicators).
    contribution : float
        Points added to the total: weight × score for core indicators, add-on points × weight × score / 100
        for lifecycle ones.
    status : str
        Weakest status of the figures used (design < reported < verified), ``computed`` when derived only
        from defaults, ``missing`` when not scored.
    """

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="strings")

    id: str
    name_zh: str
    name_en: str
    pillar: str
    criterion: str
    addon: bool
    raw_value: float | None
    raw_text: str | None = None  #: categorical raw value (e.g. GB 50174 class "A")
    unit: str
    score: float
    weight: float
    contribution: float
    status: str
    source: str | None = None
    missing: bool = False
    items_present: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()
    #: the notes as codes (each one's ``text`` is one of :attr:`notes`), for translation
    note_codes: tuple[Note, ...] = ()


class NodeResult(BaseModel):
    """A pillar's or criterion's aggregate: weight (sum of its indicators') and points contributed."""

    model_config = ConfigDict(frozen=True)

    id: str
    name_zh: str
    name_en: str
    addon: bool
    weight: float
    contribution: float
    score: float  #: contribution / weight on the 0–100 scale (0 when weight is 0)
    indicators: tuple[str, ...]


class FactorUsed(BaseModel):
    """One reference value a result used (grid factor, fuel factor, GWP, provincial weight) and its origin."""

    model_config = ConfigDict(frozen=True)

    name: str  #: e.g. ``grid_factor_location``, ``fuel_factor.diesel``, ``gwp.R134a``
    value: float
    unit: str
    year: int | None = None
    level: str | None = None
    region: str | None = None
    source: str = ""
    note: str | None = None


class IndexResult(BaseModel):
    """GCPI result for one facility-period.

    Attributes
    ----------
    total : float
        core + add-on [points, 0 to 100 + addon_max_points].
    core : float
        Weighted score of the 16 core indicators [0–100].
    addon : float
        Lifecycle add-on [0 to addon_max_points].
    grade : str
        Lower of ``score_grade`` (from the total) and ``pue_grade`` (the PUE guard).
    completeness : float
        Share of the 19 indicators with data [fraction].
    completeness_weighted : float
        Share of the core weight with data [fraction].
    gates : list of str
        Gates hit (``pue_grade_guard`` when the PUE capped the grade, and informational flags).
    methodology_sha256 : str
        SHA-256 of the methodology file the score was computed with.
    reference_sha256 : str
        SHA-256 of the reference-data bundle (:class:`index.reference.ReferenceBundle`) it was computed with.
    factors : tuple of FactorUsed
        The reference values used, with year, level and source.
    notes : tuple of str
        Plain English notes (fallbacks, quantities not counted, gates); ``note_codes`` gives those that have a
        code as :class:`Note` (code, params, the same text).
    loan_test_usable : bool
        False when a figure is tagged ``proxy`` or an operation-stage period is shorter than the methodology's
        minimum (methodologies with those rules): such a result is indicative and cannot serve a loan test.
    """

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="strings")

    facility_id: str
    facility_name: str
    period: str
    period_start: date
    period_end: date
    lifecycle_stage: str
    total: float
    core: float
    addon: float
    grade: str
    score_grade: str
    pue_grade: str
    pillars: tuple[NodeResult, ...]
    criteria: tuple[NodeResult, ...]
    indicators: dict[str, IndicatorResult]
    completeness: float
    completeness_weighted: float
    missing: tuple[str, ...]
    gates: tuple[str, ...]
    notes: tuple[str, ...]
    extra: dict[str, float | None]
    #: the notes that have a code (each one's ``text`` is one of :attr:`notes`), for translation
    note_codes: tuple[Note, ...] = ()
    methodology_id: str
    methodology_version: str
    methodology_sha256: str
    reference_sha256: str = ""
    factors: tuple[FactorUsed, ...] = ()
    loan_test_usable: bool = True
    proxies: tuple[str, ...] = ()

    def loan_test_reasons(self) -> tuple[str, ...]:
        """Why this result cannot serve a loan test (empty when :attr:`loan_test_usable`).

        One plain sentence per reason: the proxy figures and the indicators scored from them
        (methodology rule ``proxy_not_for_loan_test``), or the operation-stage period shorter than 12 months of
        measured data (rule ``operation_min_days``; N279 (一): 连续稳定运行1年以上).
        """
        if self.loan_test_usable:
            return ()
        out = []
        if "proxy_inputs" in self.gates or self.proxies:
            hit = [i for i, r in self.indicators.items() if r.status == "proxy"]
            out.append(f"proxy figures (not the facility's own): {', '.join(self.proxies) or 'unnamed'}"
                       + (f"; indicators scored from them: {', '.join(hit)}" if hit else ""))
        if "operation_period_short" in self.gates:
            days = (self.period_end - self.period_start).days + 1
            out.append(f"short period: {days} days of measured operation data ({self.period_start} to "
                       f"{self.period_end}), fewer than the 12 months {self.methodology_id} requires")
        return tuple(out) or ("the result is marked not usable for a loan test",)

    def kpi(self, name: str) -> float | None:
        """A KPI value for SPTs: ``index`` (total), ``core``, ``addon`` or an indicator id (its raw value);
        also the extra quantities (``cue_location``, ``scope1_t``, ``scope2_location_t``, ``scope2_market_t``).

        Raises
        ------
        KeyError
            If the name is none of these.
        """
        if name in ("index", "total"):
            return self.total
        if name == "core":
            return self.core
        if name == "addon":
            return self.addon
        if name in self.indicators:
            return self.indicators[name].raw_value
        if name in self.extra:
            return self.extra[name]
        raise KeyError(f"unknown KPI {name!r}: use 'index', 'core', 'addon', an indicator id or one of "
                       f"{', '.join(self.extra)}")
