"""Verification statements: the model, its fixed wording and its canonical content hash.

A verification statement is what a third-party verifier signs at each observation date of a
GCPI-linked loan (DESIGN.md §5; white paper ch. 4 step 3: "at each test date the index and each
indicator are scored, a third-party verifier confirms them, and the rate is adjusted as agreed").

The model is *self-contained*: plain fields (rows of indicators, rows of SPTs, the margin
adjustment ...), so a statement can be rendered, signed and checked years later without the engines
that produced it. :func:`statement_from_mapping` builds one from plain data (a TOML/JSON file),
converting every validation failure into :class:`common.errors.InputError` naming the field.

Canonical content
-----------------
:func:`canonical_json` serialises a statement as UTF-8 JSON with sorted keys, no insignificant
whitespace, non-ASCII characters kept as is and floats in Python's shortest round-trip form.
:func:`content_sha256` is the SHA-256 of those bytes. The PDF carries the bytes as the attachment
``statement.json`` and prints the hash in every page footer (see :mod:`finance.statement_pdf`).

Conclusion wording
------------------
Limited assurance gives a negative-form conclusion ("nothing has come to our attention ...") and
reasonable assurance a positive-form one ("in our opinion ...") — ISAE 3000 (Revised) para. 69(l)(ii)
and A182; ISAE 3410 para. 76(j); ISO 14064-3:2019 clause 9. The wording in both languages lives
in ``data/statements/catalogue.toml``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from common.errors import InputError, InputErrors, from_validation_error
from common.settings import data_dir
from common.tomlio import read_toml

SCHEMA = "dcsll.statement/1"
CATALOGUE_PATH = data_dir() / "statements" / "catalogue.toml"

Standard = Literal["ISAE 3000 (Revised)", "ISAE 3410", "ISO 14064-3"]
AssuranceLevel = Literal["limited", "reasonable"]
FigureStatus = Literal["verified", "reported", "design", "missing", "restated", "computed", "default"]

#: Tolerance when checking that contributions add up to the index. [index points]
SUM_TOLERANCE = 0.05

# Error messages (what is wrong and what is needed), as named constants.
E_NO_VERIFIED = ("no verified figures for reporting period {period}: a verification statement needs at least "
                 "one indicator with status 'verified' and a verified_value")
E_NO_ACCREDITATION = ("the verifier has no accreditation: give the accreditation body and number "
                      "(e.g. 'CNAS V0123') in the verifier file")
E_METHODOLOGY_MISMATCH = ("methodology hash {got} of the scored data does not match the deal's methodology "
                          "hash {want}: re-score the period with the methodology the loan was agreed on")
E_VERIFIED_VALUE = "indicator status is 'verified' but verified_value is empty"
E_SPT_OUTCOME = ("SPT outcome is inconsistent: verified value {value} {cmp} target {target} is {truth}, "
                 "but met = {met}")
E_SUM = "contributions of the {part} indicators add up to {got:.3f}, not the {part} index {want:.3f}"
E_TOTAL = "index total {total} is not core {core} + add-on {addon}"
E_MARGIN = "margin_after_bp {after} is not max(floor_bp, margin_before_bp {before} + adjustment_bp {adj})"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Model):
    """A name in English and Chinese."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


class Verifier(_Model):
    """The verification body and the person who signs for it.

    ``accreditation`` is required and non-empty (e.g. ``"CNAS V0123"`` or ``"UKAS 1234"``):
    a statement from an unaccredited body is refused.
    """

    name: Bilingual
    accreditation: str = Field(min_length=1)
    accreditation_body: str = ""
    signatory: str = Field(min_length=1)
    signatory_title: Bilingual
    place: Bilingual

    @field_validator("accreditation")
    @classmethod
    def _accreditation_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError(E_NO_ACCREDITATION)
        return v.strip()


class FacilityRef(_Model):
    """The data centre scored: id, name and location."""

    id: str = Field(min_length=1)
    name: Bilingual
    location: Bilingual | None = None


class Period(_Model):
    """Reporting period: a label (normally the calendar year, ``"2025"``) and its first and last day."""

    label: str = Field(min_length=1)
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")
        return self


class MethodologyRef(_Model):
    """Methodology id, version and the SHA-256 of its file content, and the SHA-256 of the reference-data bundle
    (grid factors, GWPs, fuel factors, benchmarks: :class:`index.reference.ReferenceBundle`) the figures were
    scored with (hex, 64 characters each).

    ``version`` and ``reference_sha256`` are absent from statements issued before they were recorded; absent
    fields are left out of the canonical JSON, so those statements keep their content hash.
    """

    id: str = Field(min_length=1)
    sha256: str
    version: str | None = None
    reference_sha256: str | None = None

    @field_validator("sha256", "reference_sha256")
    @classmethod
    def _hex(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = v.lower()
        if not re.fullmatch(r"[0-9a-f]{64}", v):
            raise ValueError("sha256 must be 64 hexadecimal characters")
        return v

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler):
        d = handler(self)
        return {k: v for k, v in d.items() if v is not None or k not in ("version", "reference_sha256")}


class IndicatorRow(_Model):
    """One GCPI indicator: reported and verified value, score, weight and contribution.

    ``score`` is on the indicator's 0–100 scale; ``weight`` is its share of its part (core or
    add-on) [fraction]; ``contribution`` = score × weight [index points]. ``status`` is the
    status of the figure the score uses (DESIGN.md §6).
    """

    id: str = Field(min_length=1)
    name: Bilingual
    unit: str = ""
    part: Literal["core", "addon"] = "core"
    reported_value: float | str | None = None
    verified_value: float | str | None = None
    decimals: int | None = Field(default=None, ge=0, le=6)
    score: float = Field(ge=0, le=100)
    weight: float = Field(ge=0, le=1)
    contribution: float
    status: FigureStatus
    source: str = ""

    @model_validator(mode="after")
    def _verified_has_value(self) -> IndicatorRow:
        if self.status == "verified" and self.verified_value is None:
            raise ValueError(E_VERIFIED_VALUE)
        return self


class IndexSummary(_Model):
    """The index for the period: total = core + add-on [index points], grade, completeness [%]."""

    total: float
    core: float
    addon: float = 0.0
    grade: str = Field(min_length=1)
    completeness_pct: float = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _adds_up(self) -> IndexSummary:
        if abs(self.core + self.addon - self.total) > SUM_TOLERANCE:
            raise ValueError(E_TOTAL.format(total=self.total, core=self.core, addon=self.addon))
        return self


class Baseline(_Model):
    """The agreed baseline: its period label, index total [index points] and grade."""

    period: str
    total: float
    grade: str


class SptRow(_Model):
    """One sustainability performance target tested at this observation date.

    ``comparator`` ``">="`` means the target is met when ``verified_value >= target``.
    A missing verified value counts as missed (SLL practice: not reported = missed).
    ``within_band`` marks a value inside the ratchet's no-change band (neither met nor missed; ``met``
    is then false and ``effect_bp`` 0).
    ``effect_bp`` is this SPT's contribution to the margin adjustment [bp].
    """

    kpi: str = Field(min_length=1)
    name: Bilingual
    unit: str = ""
    comparator: Literal[">=", "<="]
    baseline: float | None = None
    target: float
    verified_value: float | None
    met: bool
    within_band: bool = False
    effect_bp: float

    @model_validator(mode="after")
    def _outcome_consistent(self) -> SptRow:
        if self.within_band:
            if self.met or self.effect_bp != 0:
                raise ValueError("an SPT within the no-change band is neither met nor moves the margin")
            return self
        if self.verified_value is None:
            truth = False
        elif self.comparator == ">=":
            truth = self.verified_value >= self.target
        else:
            truth = self.verified_value <= self.target
        if truth != self.met:
            raise ValueError(E_SPT_OUTCOME.format(value=self.verified_value, cmp=self.comparator,
                                                  target=self.target, truth=truth, met=self.met))
        return self


class PathPoint(_Model):
    """A point of the index history or of the SPT path: period label and value [index points]."""

    period: str
    value: float


class MarginAdjustment(_Model):
    """The margin change that results from the SPT outcomes [bp] and the date it takes effect.

    ``margin_after_bp`` = max(``floor_bp``, ``margin_before_bp`` + ``adjustment_bp``) [bp].
    """

    adjustment_bp: float
    margin_before_bp: float
    margin_after_bp: float
    floor_bp: float = Field(default=0.0, ge=0)
    effective_date: date
    rule: Bilingual | None = None

    @model_validator(mode="after")
    def _after(self) -> MarginAdjustment:
        want = max(self.floor_bp, self.margin_before_bp + self.adjustment_bp)
        if abs(want - self.margin_after_bp) > 1e-9:
            raise ValueError(E_MARGIN.format(after=self.margin_after_bp, before=self.margin_before_bp,
                                             adj=self.adjustment_bp))
        return self


class Note(_Model):
    """An exception, restatement or data-quality note, in both languages."""

    kind: Literal["exception", "restatement", "data_quality"]
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    indicator: str | None = None


class Conclusion(_Model):
    """The conclusion: type and its text in both languages (from the catalogue)."""

    type: Literal["unmodified", "qualified"] = "unmodified"
    en: str = ""
    zh: str = ""


class SignatureBlock(_Model):
    """Who signs and with which certificate.

    ``certificate_sha256`` is the SHA-256 of the DER certificate; ``self_signed`` is true when the
    certificate's issuer is its subject; ``demo_identity`` when dcsll's local demo key signs.
    """

    certificate_subject: str = ""
    certificate_issuer: str = ""
    certificate_sha256: str = ""
    self_signed: bool = False
    demo_identity: bool = False


class VerificationStatement(_Model):
    """A verifier's statement on one observation date of a GCPI-linked loan (DESIGN.md §5).

    Every field is plain data; :func:`canonical_json` / :func:`content_sha256` fix its content.

    Raises
    ------
    pydantic.ValidationError
        When constructed directly with inconsistent data; use :func:`statement_from_mapping`
        to get :class:`common.errors.InputError` naming the field instead.
    """

    schema_: Literal["dcsll.statement/1"] = Field(default=SCHEMA, alias="schema")
    statement_id: str = Field(min_length=1)
    issue_date: date
    verifier: Verifier
    standards: list[Standard] = Field(min_length=1)
    assurance_level: AssuranceLevel
    borrower: Bilingual
    facility: FacilityRef
    loan_reference: str = Field(min_length=1)
    reporting_period: Period
    observation_date: date
    methodology: MethodologyRef
    indicators: list[IndicatorRow] = Field(min_length=1)
    index: IndexSummary
    baseline: Baseline
    spts: list[SptRow] = Field(min_length=1)
    index_history: list[PathPoint] = Field(default_factory=list)
    spt_path: list[PathPoint] = Field(default_factory=list)
    margin: MarginAdjustment
    notes: list[Note] = Field(default_factory=list)
    conclusion: Conclusion = Conclusion()
    signature: SignatureBlock = SignatureBlock()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _consistent(self) -> VerificationStatement:
        if not any(r.status == "verified" for r in self.indicators):
            raise ValueError(E_NO_VERIFIED.format(period=self.reporting_period.label))
        ids = [r.id for r in self.indicators]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"indicator ids repeated: {', '.join(dup)}")
        for part, want in (("core", self.index.core), ("addon", self.index.addon)):
            rows = [r for r in self.indicators if r.part == part]
            if rows:
                got = math.fsum(r.contribution for r in rows)
                if abs(got - want) > SUM_TOLERANCE:
                    raise ValueError(E_SUM.format(part=part, got=got, want=want))
        return self

    @property
    def spts_met(self) -> int:
        """Number of SPTs met at this observation date."""
        return sum(1 for s in self.spts if s.met)


# ---------------------------------------------------------------------------------------------
# Canonical content


def canonical_json(statement: VerificationStatement) -> bytes:
    """The statement's canonical content: UTF-8 JSON, sorted keys, no whitespace.

    Returns
    -------
    bytes
        The bytes attached to the PDF as ``statement.json`` and hashed by :func:`content_sha256`.
    """
    data = statement.model_dump(mode="json", by_alias=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def content_sha256(statement: VerificationStatement) -> str:
    """SHA-256 of :func:`canonical_json` [64 lowercase hex characters]."""
    return hashlib.sha256(canonical_json(statement)).hexdigest()


def statement_from_json(data: bytes, *, file: str | None = None) -> VerificationStatement:
    """Parse canonical JSON (as embedded in a PDF) back into a statement.

    Raises
    ------
    InputError
        When the bytes are not UTF-8 JSON or do not describe a valid statement.
    """
    try:
        mapping = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"embedded statement content is not UTF-8 JSON: {exc}", file=file) from exc
    return statement_from_mapping(mapping, file=file, fill_conclusion=False)


# ---------------------------------------------------------------------------------------------
# Catalogue of fixed wording


@functools.lru_cache(maxsize=4)
def load_catalogue(path: str | None = None) -> dict[str, Any]:
    """Load the fixed wording (labels, conclusions) in both languages.

    Parameters
    ----------
    path : str, optional
        A catalogue TOML file; default ``data/statements/catalogue.toml``.

    Raises
    ------
    InputError
        When the file is missing or is not valid TOML.
    """
    return read_toml(Path(path) if path else CATALOGUE_PATH, "statement text catalogue")


def conclusion_text(*, level: AssuranceLevel, kind: str, facility: Bilingual, period: str,
                    methodology: str, loan: str, catalogue: dict | None = None) -> dict[str, str]:
    """The conclusion sentence in both languages, from the catalogue.

    Limited assurance → negative form; reasonable → positive form (ISAE 3000 (Revised) para. 69(l),
    ISAE 3410 para. 76). Returns ``{"en": ..., "zh": ...}``.
    """
    cat = catalogue or load_catalogue()
    out = {}
    for lang in ("en", "zh"):
        fac = getattr(facility, lang)
        subject = cat["conclusion_parts"]["subject"][lang].format(facility=fac, period=period)
        criteria = cat["conclusion_parts"]["criteria"][lang].format(methodology=methodology, loan=loan)
        out[lang] = cat["conclusions"][level][kind][lang].format(subject=subject, criteria=criteria)
    return out


# ---------------------------------------------------------------------------------------------
# Plain data → statement


def _errors_from_validation(exc: ValidationError, file: str | None) -> InputErrors:
    return from_validation_error(exc, file=file)


def statement_from_mapping(data: dict, *, file: str | None = None,
                           fill_conclusion: bool = True) -> VerificationStatement:
    """Build a statement from plain data (a TOML or JSON document).

    Parameters
    ----------
    data : dict
        The statement fields (see :class:`VerificationStatement`); ``conclusion.en`` /
        ``conclusion.zh`` may be left out and are then filled from the catalogue.
    file : str, optional
        Where the data came from, named in errors.
    fill_conclusion : bool
        Fill an empty conclusion text from the catalogue (default True).

    Raises
    ------
    InputError
        For every invalid field (an :class:`common.errors.InputErrors` when there are several),
        e.g. no verified figure, a verifier without accreditation, an inconsistent SPT outcome.
    """
    try:
        st = VerificationStatement.model_validate(data)
    except ValidationError as exc:
        errs = _errors_from_validation(exc, file)
        raise (errs.errors[0] if len(errs.errors) == 1 else errs) from None
    if fill_conclusion and not (st.conclusion.en and st.conclusion.zh):
        text = conclusion_text(level=st.assurance_level, kind=st.conclusion.type, facility=st.facility.name,
                               period=st.reporting_period.label, methodology=st.methodology.id,
                               loan=st.loan_reference)
        st = st.model_copy(update={"conclusion": Conclusion(type=st.conclusion.type, **text)})
    return st


class SigningConfig(_Model):
    """Where the verifier's signing key and certificate are (paths; never the key itself).

    Either ``pkcs12`` (with the passphrase in the environment variable named by ``passphrase_env``)
    or ``key_pem`` + ``cert_pem`` (+ optional ``chain_pem``). All empty → the local demo identity.
    """

    pkcs12: str | None = None
    key_pem: str | None = None
    cert_pem: str | None = None
    chain_pem: list[str] = Field(default_factory=list)
    passphrase_env: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> SigningConfig:
        if self.pkcs12 and (self.key_pem or self.cert_pem):
            raise ValueError("give either pkcs12 or key_pem + cert_pem, not both")
        if bool(self.key_pem) != bool(self.cert_pem):
            raise ValueError("key_pem and cert_pem go together")
        return self


class VerifierFile(_Model):
    """A verifier configuration file: the verifier block and its signing configuration."""

    verifier: Verifier
    signing: SigningConfig = SigningConfig()


def load_verifier(path: str | Path) -> VerifierFile:
    """Read a verifier TOML file (``[verifier]`` and optional ``[signing]``).

    Relative paths in ``[signing]`` are resolved against the file's folder.

    Raises
    ------
    InputError
        Missing file, bad TOML, or a verifier without name, accreditation or signatory.
    """
    data = read_toml(path, "verifier file")
    if "accreditation" not in data.get("verifier", {}) or not str(data["verifier"]["accreditation"]).strip():
        raise InputError(E_NO_ACCREDITATION, file=str(path), field="verifier.accreditation")
    try:
        vf = VerifierFile.model_validate(data)
    except ValidationError as exc:
        errs = _errors_from_validation(exc, str(path))
        raise (errs.errors[0] if len(errs.errors) == 1 else errs) from None
    base = Path(path).resolve().parent

    def _abs(p: str | None) -> str | None:
        return None if p is None else str((base / p).resolve())

    s = vf.signing
    signing = SigningConfig(pkcs12=_abs(s.pkcs12), key_pem=_abs(s.key_pem), cert_pem=_abs(s.cert_pem),
                            chain_pem=[_abs(c) for c in s.chain_pem], passphrase_env=s.passphrase_env)
    return vf.model_copy(update={"signing": signing})


def load_statement_data(path: str | Path, *, verifier: Verifier | None = None,
                        expected_methodology_sha256: str | None = None) -> VerificationStatement:
    """Read a statement from plain data (TOML), optionally with the verifier from its own file.

    Parameters
    ----------
    path : path-like
        TOML file with the statement fields (``data/statements/sample_statement.toml``).
    verifier : Verifier, optional
        Replaces the file's ``[verifier]`` table (the CLI passes the ``--verifier`` file).
    expected_methodology_sha256 : str, optional
        The deal's methodology hash; a different hash in the data raises.

    Raises
    ------
    InputError
        See :func:`statement_from_mapping` and :func:`check_methodology`.
    """
    data = read_toml(path, "statement data file")
    if verifier is not None:
        data["verifier"] = verifier.model_dump(mode="json")
    st = statement_from_mapping(data, file=str(path))
    if expected_methodology_sha256 is not None:
        check_methodology(st, expected_methodology_sha256, file=str(path))
    return st


def check_methodology(statement: VerificationStatement, expected_sha256: str, *,
                      file: str | None = None) -> None:
    """Refuse a statement scored with a methodology other than the deal's.

    Raises
    ------
    InputError
        When ``statement.methodology.sha256`` differs from ``expected_sha256``.
    """
    got = statement.methodology.sha256
    if got != expected_sha256.lower():
        raise InputError(E_METHODOLOGY_MISMATCH.format(got=got[:12] + "…", want=expected_sha256[:12] + "…"),
                         file=file, field="methodology.sha256", value=got)
