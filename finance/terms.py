"""Loan terms and ratchet terms (pydantic v2 models).

Structure only: the cross-field checks a credit officer cares about (observation after maturity, steps of
the wrong sign, cap below one step, currency/base-rate mismatch, repayments that do not sum to the amount
drawn, ...) live in :mod:`finance.validation`, which reports every failure with file, field, row and unit.
Defaults that depend on the currency (day count, calendar, business-day convention, CNY interest day) are
read from ``data/finance/conventions.toml`` by :meth:`LoanTerms.resolved`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from finance.conventions import DEFAULTS, conventions

Currency = Literal["CNY", "USD"]
BaseRateIndex = Literal["LPR_1Y", "LPR_5Y", "TERM_SOFR_1M", "TERM_SOFR_3M", "TERM_SOFR_6M"]
DayCount = Literal["ACT/360", "ACT/365F"]
InterestPeriod = Literal["monthly", "quarterly", "semi_annual"]
Repayment = Literal["bullet", "equal_principal", "annuity", "custom"]
BusinessDayConvention = Literal["following", "modified_following", "preceding", "unadjusted"]
AnnuityConvention = Literal["periodic", "day_count"]
CalendarCode = Literal["CN", "US_FED", "US_SIFMA", "WEEKEND"]

ERR_ANNUITY_QUOTE = ("loan.annuity_convention 'periodic' charges interest as annual rate / periods per year and "
                     "ignores loan.day_count {dc}: set annuity_convention = 'day_count' to charge interest on actual "
                     "days ({dc}), or remove day_count to use the periodic (Chinese 等额本息) quote")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Drawdown(_Model):
    """One drawdown of a construction loan."""

    date: dt.date = Field(description="Value date of the drawdown.")
    amount: float = Field(gt=0, description="Amount drawn [currency units].")


class CustomRepayment(_Model):
    """One scheduled principal repayment of a custom (sculpted) profile."""

    date: dt.date = Field(description="Payment date (an interest payment date, adjusted or unadjusted).")
    amount: float = Field(ge=0, description="Principal repaid [currency units].")


class RateFixing(_Model):
    """Base rate in force from a date on (a step function)."""

    from_date: dt.date = Field(alias="from", description="First date the rate applies.")
    rate_pct: float = Field(description="Base rate [% p.a.].")


class BaseRate(_Model):
    """Floating base rate: LPR 1Y/5Y for CNY, Term SOFR for USD."""

    index: BaseRateIndex
    path: list[RateFixing] = Field(
        default_factory=list,
        description="Rate path [% p.a.] from given dates. For LPR, dates not covered fall back to the "
        "published history in data/finance/lpr.csv, held flat after the last quotation (marked 'projected').")
    repricing: Literal["interest_period", "annual"] = Field(
        "interest_period",
        description="Fix the base rate at each interest period start, or once a year on the anniversary "
        "of the start date (重定价周期 of one year, common for LPR loans); an annual repricing takes effect on "
        "the repricing date itself and splits the interest period there.")
    fixing_lag_days: int | None = Field(
        None, ge=0, le=10, description="Fixing date = this many business days of fixing_calendar before the "
        "interest period start or repricing date [business days]. Default from conventions.toml: 2 for Term "
        "SOFR (ARRC/LSTA), 0 for LPR (the quotation in force on the repricing date; 1 = the working day before).")
    fixing_calendar: CalendarCode | None = Field(
        None, description="Calendar of the fixing lag; default US_SIFMA for Term SOFR, CN for LPR.")
    floor_pct: float | None = Field(None, description="Floor on the base rate [% p.a.], e.g. 0 for SOFR.")

    def fixing_convention(self) -> tuple[int, str]:
        """(lag [business days], calendar code) of the fixing, deal terms first, then conventions.toml."""
        d = conventions().base_rate[self.index]
        lag = self.fixing_lag_days if self.fixing_lag_days is not None else int(d["fixing_lag_business_days"])
        return lag, self.fixing_calendar or d["fixing_calendar"]


class LoanTerms(_Model):
    """Terms of a term or construction loan.

    Amounts are in the loan currency; rates in % p.a.; margins in bp.
    """

    currency: Currency
    amount: float = Field(gt=0, description="Facility amount [currency units].")
    start_date: dt.date = Field(description="Signing / first utilisation date; interest accrues from here (a date "
                                "that is not a business day of the loan's calendar moves by its business-day "
                                "convention, as every payment date does).")
    maturity_date: dt.date = Field(description="Final maturity (adjusted with the business-day convention).")
    drawdowns: list[Drawdown] = Field(
        default_factory=list, description="Drawdown schedule; empty = the full amount on start_date.")
    grace_end: dt.date | None = Field(
        None, description="End of the grace (interest-only) period; principal is repaid from the first "
        "payment date after it. Empty = repayment from the first payment date.")
    repayment: Repayment = Field(description="bullet, equal_principal (等额本金), annuity (等额本息) or custom.")
    repayments: list[CustomRepayment] = Field(default_factory=list, description="Custom/sculpted repayments.")
    interest_period: InterestPeriod = "quarterly"
    interest_day: int | None = Field(
        None, ge=1, le=28, description="Day of month interest periods end on (CNY default 20: the 20th of the "
        "last month of each quarter). Empty for USD = the start date's day, rolled forward from start_date.")
    base_rate: BaseRate
    margin_bp: float = Field(ge=0, description="Margin over the base rate before any ratchet [bp].")
    day_count: DayCount | None = None
    business_day_convention: BusinessDayConvention | None = None
    calendar: CalendarCode | None = Field(
        None, description="Payment and business-day calendar; default CN for CNY, US_FED (New York banking days) "
        "for USD.")
    annuity_convention: AnnuityConvention | None = Field(
        None, description="periodic: 等额本息 as Chinese banks quote it, interest = balance × annual rate / "
        "periods per year (CNY default); day_count: principal from that annuity, re-solved when the rate changes, "
        "interest = balance × rate × days / basis (USD default).")

    @model_validator(mode="after")
    def _annuity_quote(self):
        """Refuse a periodic annuity quote together with an explicit day count (the day count would be ignored)."""
        if self.repayment == "annuity" and self.day_count is not None:
            conv = self.annuity_convention or conventions().currency[self.currency]["annuity_convention"]
            if conv == "periodic":
                raise ValueError(ERR_ANNUITY_QUOTE.format(dc=self.day_count))
        return self

    def resolved(self) -> LoanTerms:
        """A copy with every currency-dependent default filled in from conventions.toml."""
        ccy = conventions().currency[self.currency]
        upd = {}
        if self.day_count is None:
            upd["day_count"] = ccy["day_count"]
        if self.business_day_convention is None:
            upd["business_day_convention"] = ccy["business_day_convention"]
        if self.calendar is None:
            upd["calendar"] = ccy["calendar"]
        if self.interest_day is None and "interest_day" in ccy:
            upd["interest_day"] = int(ccy["interest_day"])
        if self.annuity_convention is None:
            upd["annuity_convention"] = ccy["annuity_convention"]
        return self.model_copy(update=upd) if upd else self

    def drawdown_schedule(self) -> list[Drawdown]:
        """Drawdowns, or the full amount on the start date when none are given."""
        return list(self.drawdowns) or [Drawdown(date=self.start_date, amount=self.amount)]


# ----------------------------------------------------------------------------------------- ratchet


class Timing(_Model):
    """When a new margin applies.

    A certificate delivered on a day that is not a business day of the loan's calendar is deemed delivered on
    the next business day (``notices = "next_business_day"``, LMA 'Communications' clause, conventions.toml
    ``notices_rule``) before either rule is applied; ``"as_delivered"`` uses the calendar date as it is.
    """

    rule: Literal["next_period", "business_days"] = Field(
        "next_period", description="next_period: from the first interest period starting after the certificate; "
        "business_days: N business days after the certificate (the interest period is split there).")
    business_days: int = Field(0, ge=0, description="N for the business_days rule [business days].")
    notices: Literal["next_business_day", "as_delivered"] = Field(
        DEFAULTS["notices_rule"], description="A certificate delivered on a non-business day counts from the "
        "next business day (LMA notices clause), or from the day it was delivered.")


class _RatchetBase(_Model):
    timing: Timing = Timing()
    margin_floor_bp: float = Field(float(DEFAULTS["margin_floor_bp"]), ge=0,
                                   description="The margin after adjustment never goes below this [bp].")
    cap_bp: float | None = Field(
        None, gt=0, description="Cap on the absolute total adjustment [bp]. Cap and margin floor bound the same "
        "thing, the total adjustment in force after each observation (the bounded total carries forward in a "
        "cumulative ratchet); neither applies to a single step.")


class KpiRule(_Model):
    """One KPI of an SPT-based ratchet."""

    kpi: str = Field(description="'index' (GCPI total), 'core', or an indicator id such as 'pue'.")
    weight: float = Field(1.0, gt=0, le=1, description="Share of the step this KPI carries [-]; weights sum to 1.")
    no_change_band: float = Field(
        0.0, ge=0, description="Missed by no more than this (in the KPI's unit) = no change, instead of a step-up.")
    direction: Literal["higher", "lower"] | None = Field(
        None, description="Which way is better; default from conventions.toml [kpi.*].")
    step_down_bp: float | None = Field(
        None, description="This KPI's own step when met [bp], negative ('2 bp per KPI'); weight is then not used.")
    step_up_bp: float | None = Field(
        None, description="This KPI's own step when missed [bp], 0 or positive.")


class SptRatchet(_RatchetBase):
    """SPT-based ratchet: per observation and KPI, met → step-down, missed → step-up (two-way) or 0 (one-way)."""

    design: Literal["spt"] = "spt"
    kpis: list[KpiRule] = Field(min_length=1)
    step_down_bp: float | None = Field(
        None, description="Adjustment when every KPI is met [bp], negative, shared by weight. Empty when every "
        "KPI gives its own step_down_bp.")
    step_up_bp: float = Field(0.0, description="Adjustment when every KPI is missed [bp]: 0 one-way, >0 two-way.")

    def kpi_steps(self) -> list[tuple[float, float]]:
        """(step-down, step-up) [bp] of each KPI: its own steps if given, else weight × the ratchet's steps."""
        out = []
        for k in self.kpis:
            down = k.step_down_bp if k.step_down_bp is not None else k.weight * (self.step_down_bp or 0.0)
            up = k.step_up_bp if k.step_up_bp is not None else (
                0.0 if k.step_down_bp is not None else k.weight * self.step_up_bp)
            out.append((float(down), float(up)))
        return out
    cumulative: bool = Field(False, description="Adjustments add up across observations (else each replaces the last).")


class GridBand(_Model):
    """One row of a score grid: a grade or a minimum score, and its adjustment."""

    grade: str | None = None
    min_score: float | None = Field(None, description="Lower bound of the band [score].")
    adjustment_bp: float = Field(description="Margin adjustment [bp].")


class ScoreGridRatchet(_RatchetBase):
    """Score-grid ratchet: margin adjustment by grade or score band."""

    design: Literal["score_grid"] = "score_grid"
    kpi: str = "index"
    bands: list[GridBand] = Field(min_length=1)
    not_reported_bp: float = Field(description="Adjustment when no verified result is delivered [bp].")


class InterpolatedRatchet(_RatchetBase):
    """Interpolated ratchet: margin moves linearly between a minimum and a maximum with the score."""

    design: Literal["interpolated"] = "interpolated"
    kpi: str = "index"
    score_low: float = Field(description="At or below this score the margin is margin_high_bp [score].")
    score_high: float = Field(description="At or above this score the margin is margin_low_bp [score].")
    margin_low_bp: float = Field(ge=0, description="Lowest margin (best score) [bp].")
    margin_high_bp: float = Field(ge=0, description="Highest margin (worst score or not reported) [bp].")


RatchetTerms = Annotated[SptRatchet | ScoreGridRatchet | InterpolatedRatchet, Field(discriminator="design")]
"""Margin-ratchet terms: one of the three designs of DESIGN.md §4, each with its timing rule, cap and margin floor."""
