"""Verification page support: figures from the deal book, the statement as ``dcsll statement`` builds it,
issuing (render + sign + store) and checking uploaded statements as ``dcsll verify-statement`` does.

The statement is built by :func:`workflows.build_statement` (the code path of ``dcsll statement``) on the
deal book's deal and facility, without files, scored with what the deal pins in the deal book (methodology
version and reference-data bundle, :meth:`workflows.StoreSource.pinned`), else the book's current methodology. The facility period handed to it carries the operator's
*reported* figures; the verifier's figures go in as the engagement's ``[verified]`` table with
``accept_reported = true`` (DESIGN.md §5, ``docs/statements.md``).

Everything else comes from the deal book too: the verifier identity (``Store.verifiers``), the engagement of
the observation (``Store.engagement``: statement id, standards, level, conclusion, baseline period), the
verifier's evidence notes (the sources of the verified figures, :func:`evidence_notes`). The issue date is the
signing day. The deal book never holds signing keys: statements are signed with the self-signed DEMO identity
of :func:`finance.statement_sign.demo_identity` (``$DCSLL_HOME/demo-signer``).
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

import workflows
from finance.deal import deal_from_dict
from finance.statement import content_sha256
from finance.statement_sign import dcsll_home, issue_statement, load_identity, verify_statement
from index.errors import InputError
from index.models import FIGURE_UNITS, Facility
from workflows.monitoring import record_statement

#: engagement keys the page starts from when the deal book holds an engagement for the observation (the
#: verified figures come from the deal book's records, the issue date is the signing day)
ENGAGEMENT_DEFAULT_KEYS = ("statement_id", "standards", "assurance_level", "conclusion", "baseline_period",
                           "verifier_id", "borrower", "loan_reference", "notes")
#: verifier named in statements built only to show the outcome table (never signed or stored): the figures of a
#: statement do not depend on who verifies
DRAFT_VERIFIER = {"name": {"en": "(draft: no verifier chosen)", "zh": "（草稿：未选择核查机构）"},
                  "accreditation": "draft", "signatory": "draft", "signatory_title": {"en": "draft", "zh": "草稿"},
                  "place": {"en": "draft", "zh": "草稿"}}
#: relative difference below which a draft value equals the recorded one (float round trip of inputs)
SAME_VALUE_RTOL = 1e-12
#: store signature status of an issued statement that the page's own check found intact
SIGNED_STATUS = "signature_valid"

#: the three versions of the figures compared on the page
VERSIONS = ("reported", "recorded", "draft")


# ---------------------------------------------------------------------------------------------------------
# Figures


@dataclass(frozen=True)
class FigureRow:
    """One numeric figure of a facility period, as the deal book holds it.

    Attributes
    ----------
    field : str
        Period field, a key of :data:`index.models.FIGURE_UNITS`.
    unit : str
        Its unit, e.g. ``kWh``, ``fraction``, ``-``.
    reported : float or None
        The operator's latest design/reported value [unit]; None when only a verified value exists.
    recorded : float or None
        The current verified value [unit], None when not verified yet.
    source : str
        Evidence reference of the recorded verified value, else the reported value's source.
    """

    field: str
    unit: str
    reported: float | None
    recorded: float | None
    source: str


def observation_periods(deal_doc: dict) -> list[str]:
    """Facility period labels that the deal's observations are scored on (``[[observations]] period``)."""
    return [str(o["period"]) for o in deal_doc.get("observations", []) if o.get("period") is not None]


def figure_rows(store, facility_id: str, period: str) -> list[FigureRow]:
    """Every numeric figure of one facility period with its reported and its verified value.

    Reads ``Store.load_facility`` (which fields the period has) and ``Store.figure_history`` (the
    append-only history: the latest design/reported row and the latest verified row).

    Raises
    ------
    store.NotFound
        Unknown facility.
    KeyError
        The facility has no period ``period``.
    """

    fac = store.load_facility(facility_id)
    pdata = {p.label: p for p in fac.periods}[str(period)]
    rows = []
    for name, unit in FIGURE_UNITS.items():
        fig = getattr(pdata, name, None) if name in type(pdata).model_fields else None
        if fig is None:
            continue
        hist = store.figure_history(facility_id, str(period), name)
        rep = next((h for h in reversed(hist) if h.status != "verified" and h.value is not None), None)
        ver = next((h for h in reversed(hist) if h.status == "verified"), None)
        rows.append(FigureRow(field=name, unit=unit, reported=rep.value if rep else None,
                              recorded=ver.value if ver else None,
                              source=(ver.source if ver else rep.source if rep else fig.source) or ""))
    return rows


def same_value(a: float | None, b: float | None) -> bool:
    """True when two figure values are equal up to :data:`SAME_VALUE_RTOL` (None equals only None)."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=SAME_VALUE_RTOL, abs_tol=0.0)


def overrides(rows: list[FigureRow], version: str, draft: dict[str, float] | None = None) -> dict[str, float]:
    """The verified overrides of one version: ``reported`` none, ``recorded`` the deal book's verified values,
    ``draft`` those updated with the page's draft ``{field: value [unit]}``."""
    if version == "reported":
        return {}
    out = {r.field: r.recorded for r in rows if r.recorded is not None}
    if version == "draft":
        out.update(draft or {})
    return out


def reported_facility(facility, rows: list[FigureRow], period: str):
    """The facility with period ``period`` carrying the operator's reported figures (verified ones undone).

    Returns
    -------
    index.models.Facility
        A copy; other periods unchanged (earlier verified periods give the baseline).
    """

    d = facility.model_dump(exclude_none=True)
    by = {r.field: r for r in rows}
    for p in d["periods"]:
        if p["label"] != str(period):
            continue
        for name, r in by.items():
            if r.recorded is not None and r.reported is not None and isinstance(p.get(name), dict):
                p[name] = {**p[name], "value": r.reported, "status": "reported", "source": r.source}
    return Facility.model_validate(d)


def baseline_candidates(facility, period: str) -> list[str]:
    """Labels of the facility's verified periods that end before ``period`` starts, oldest first: the periods
    a statement may compare the observation with (``finance.statement_build``: an earlier verified period).

    Raises
    ------
    KeyError
        The facility has no period ``period``.
    """
    obs = {p.label: p for p in facility.periods}[str(period)]
    return [p.label for p in facility.periods if p.end < obs.start and p.status == "verified"]


def stored_baseline_period(store, deal_id: str, period: str) -> str | None:
    """``baseline_period`` of the engagement recorded for this observation (``Store.engagement``), else None."""
    getter = getattr(store, "engagement", None)
    eng = getter(deal_id, str(period)) if getter is not None else None
    return (eng or {}).get("baseline_period")


def evidence_notes(rows: list[FigureRow]) -> list[dict]:
    """One statement note per verified figure of the period, carrying the verifier's evidence note.

    Returns
    -------
    list of dict
        ``{"kind", "en", "zh"}`` (the ``[[notes]]`` of an engagement, :class:`finance.statement.Note`):
        ``restatement`` when the verified value differs from the reported one, else ``data_quality``; the
        evidence text is the verifier's, as typed (in both language fields).
    """
    out = []
    for r in rows:
        if r.recorded is None or not r.source.strip():
            continue
        changed = r.reported is not None and not same_value(r.reported, r.recorded)
        if changed:
            en = (f"{r.field} verified at {fmt_value(r.recorded)} {r.unit} (reported {fmt_value(r.reported)} "
                  f"{r.unit}). Evidence: {r.source}")
            zh = f"{r.field} 核查值 {fmt_value(r.recorded)} {r.unit}（报告值 {fmt_value(r.reported)} {r.unit}）。证据：{r.source}"
        else:
            en = f"{r.field} verified at {fmt_value(r.recorded)} {r.unit}. Evidence: {r.source}"
            zh = f"{r.field} 核查值 {fmt_value(r.recorded)} {r.unit}。证据：{r.source}"
        out.append({"kind": "restatement" if changed else "data_quality", "en": en, "zh": zh})
    return out


def issued_statements(store, *, deal_id: str | None = None, facility_id: str | None = None) -> list:
    """Statements of the deal book for the page's list (:class:`store.StatementInfo`), newest first: those of
    ``deal_id`` when given, else those of ``facility_id``."""
    infos = [store.statement(i) for i in store.statement_ids()]
    if deal_id is not None:
        infos = [i for i in infos if i.deal_id == deal_id]
    elif facility_id is not None:
        infos = [i for i in infos if i.facility_id == facility_id]
    return sorted(infos, key=lambda i: (i.issued_at is not None, i.issued_at or 0, i.id), reverse=True)


def fmt_value(v: float | None) -> str:
    """A figure for display: '' when missing, thousands separated from 1,000 up, else 4 significant digits."""
    if v is None:
        return ""
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.4g}"


# ---------------------------------------------------------------------------------------------------------
# Statement building (one code path with `dcsll statement`)


def engagement_defaults(store, deal_id: str, period: str) -> dict:
    """The engagement the page starts from: the deal book's latest engagement of this observation
    (``Store.engagement``; keys of :data:`ENGAGEMENT_DEFAULT_KEYS`), else {}."""
    eng = store.engagement(deal_id, str(period)) or {}
    return {k: eng[k] for k in ENGAGEMENT_DEFAULT_KEYS if k in eng}


def build(deal_doc: dict, facility, period: str, verified: dict[str, float], engagement: dict | None = None,
          verifier: dict | None = None, *, source=None, methodology=None):
    """The verification statement of one observation (:func:`workflows.build_statement` on the deal-book
    objects; no file is written).

    Parameters
    ----------
    deal_doc : dict
        The deal's TOML document (``Store.load_deal_document``); ``facility`` names the facility id.
    facility : index.models.Facility
        The facility with the *reported* figures in ``period`` (:func:`reported_facility`).
    period : str
        Observation period label, e.g. ``"2025"``.
    verified : dict
        The verifier's figures ``{field: value [unit of the field]}``; every other figure is accepted as
        reported (``accept_reported = true``).
    engagement : dict, optional
        Further engagement keys (statement id, standards, assurance level, conclusion ...).
    verifier : dict, optional
        The verifier identity (``Store.verifiers()[id]``); default :data:`DRAFT_VERIFIER` (outcome only).
    source : workflows.StoreSource
        The deal book: resolves what the deal pins (methodology version and reference bundle,
        :meth:`workflows.StoreSource.pinned`); its current methodology scores a deal that pins nothing.
    methodology : index.methodology.Methodology, optional
        The methodology of a deal that pins nothing (default ``source.methodology()``).

    Returns
    -------
    finance.statement.VerificationStatement
        Unsigned (no signature block).

    Raises
    ------
    index.errors.InputError
        Whatever ``build_statement`` refuses (a figure that makes the period invalid, no observation ...).
    """

    eng = {**(engagement or {}), "verified": {"accept_reported": True, **verified}}
    deal = deal_from_dict(deal_doc, file=f"deal book: deal {deal_doc.get('id')}")
    if methodology is None and source is None:
        raise ValueError("build() needs the deal book (source) or a methodology to score with")
    meth = methodology if methodology is not None else source.methodology()
    return workflows.build_statement(deal, source, str(period), dict(verifier or DRAFT_VERIFIER), eng,
                                     facility=facility, methodology=meth)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_build(deal_json: str, facility_json: str, period: str, verified_json: str, engagement_json: str,
                 basis_key: str, _source=None, _methodology=None):
    """:func:`build` on JSON arguments (hashable for ``st.cache_data``); returns the statement as a dict
    (``model_dump(mode="json")``). ``basis_key`` names what the deal is scored with (methodology and reference
    bundle SHA-256, :class:`app_support.engine.Basis`): a newly published current version is a new key.
    Errors propagate (and are not cached)."""

    st_ = build(json.loads(deal_json), Facility.model_validate_json(facility_json), period,
                json.loads(verified_json), json.loads(engagement_json), source=_source, methodology=_methodology)
    return st_.model_dump(mode="json")


def outcome(statement: dict) -> dict:
    """Headline figures of a built statement (dict form).

    Returns
    -------
    dict
        ``total`` [points], ``grade``, ``spts`` (list of ``{kpi, target, value, outcome, effect_bp}``, outcome
        one of ``met``, ``band``, ``missed``), ``adjustment_bp``, ``margin_before_bp``, ``margin_after_bp`` [bp],
        ``effective_date`` (ISO date).
    """
    m = statement["margin"]
    spts = [{"kpi": r["kpi"], "target": r["target"], "value": r["verified_value"],
             "outcome": "met" if r["met"] else "band" if r["within_band"] else "missed",
             "effect_bp": r["effect_bp"]} for r in statement["spts"]]
    return {"total": statement["index"]["total"], "grade": statement["index"]["grade"], "spts": spts,
            "adjustment_bp": m["adjustment_bp"], "margin_before_bp": m["margin_before_bp"],
            "margin_after_bp": m["margin_after_bp"], "effective_date": m["effective_date"]}


# ---------------------------------------------------------------------------------------------------------
# Recording verified figures


@dataclass
class Edit:
    """One draft change: the new verified value [unit] and its evidence note."""

    value: float
    evidence: str = ""


def missing_evidence(draft: dict[str, Edit]) -> list[str]:
    """Fields of the draft whose evidence note is empty (blank after stripping)."""
    return [f for f, e in draft.items() if not e.evidence.strip()]


def record(store, actor: str, facility_id: str, period: str, rows: list[FigureRow],
           draft: dict[str, Edit]) -> list:
    """Write the draft to the deal book: ``verify_figure``, or ``restate_figure`` when already verified.

    Parameters
    ----------
    draft : dict
        ``{field: Edit}``; entries equal to the recorded value are skipped.

    Returns
    -------
    list of store.FigureRecord
        The rows written, in draft order.

    Raises
    ------
    ValueError
        Before anything is written, when an evidence note is empty (message lists the fields).
    store.PermissionDenied, store.ImmutableRecordError, index.errors.InputError
        From the store (a restatement goes through ``restate_figure`` with the evidence as its reason).
    """
    empty = missing_evidence(draft)
    if empty:
        raise ValueError("no evidence note for: " + ", ".join(empty))
    recorded = {r.field: r.recorded for r in rows}
    out = []
    for name, e in draft.items():
        old = recorded.get(name)
        if same_value(old, e.value):
            continue
        note = e.evidence.strip()
        if old is None:
            out.append(store.verify_figure(actor, facility_id, str(period), name, e.value, source=note))
        else:
            out.append(store.restate_figure(actor, facility_id, str(period), name, e.value, source=note,
                                            reason=note))
    return out


def verify_period(store, actor: str, facility_id: str, period: str, reference: str):
    """Mark a facility period verified in the deal book: the period's status and every figure not verified yet
    become ``verified`` at its current value (accepted as reported), as a verifier's save of the facility.

    Parameters
    ----------
    reference : str
        The verifier's reference for the whole period (report number, evidence), kept as the save's reason.

    Returns
    -------
    store.FacilitySaveReport

    Raises
    ------
    ValueError
        An empty reference (nothing is written).
    store.PermissionDenied
        The actor is not a verifier.
    """

    if not reference.strip():
        raise ValueError("give the verification reference of the period")
    d = store.load_facility(facility_id).model_dump(mode="json", exclude_none=True)
    for p in d["periods"]:
        if p["label"] != str(period):
            continue
        p["status"] = "verified"
        for v in p.values():
            if isinstance(v, dict) and "status" in v:
                v["status"] = "verified"
    return store.save_facility(actor, Facility.model_validate(d), reason=reference.strip(),
                               file=f"verified in the app: {reference.strip()}")


# ---------------------------------------------------------------------------------------------------------
# Issuing


@dataclass
class Issued:
    """A statement issued by the page: signed PDF, its statement, timings [s] and the store record."""

    statement_id: str
    pdf: bytes
    content_sha256: str
    demo_identity: bool
    build_s: float
    sign_s: float
    check_status: str
    info: object = None


def issue(store, actor: str, deal_doc: dict, facility, period: str, verified: dict[str, float],
          engagement: dict, verifier: dict, progress=lambda step: None, *, methodology=None) -> Issued:
    """Build, render, sign, check and store a statement (``save_statement(..., issue=True)``), then record the
    observation it certifies in the deal book (:func:`workflows.monitoring.record_statement`).

    ``progress(step)`` is called with ``"build"``, ``"sign"``, ``"check"``, ``"save"`` before each step. The deal
    is scored with what it pins in the deal book, else with ``methodology`` (default the book's current one).

    Raises
    ------
    index.errors.InputError
        The statement cannot be built.
    RuntimeError
        The signed PDF does not check as intact against the signing certificate (nothing is stored).
    store.ImmutableRecordError
        A statement with this id is already issued (nothing is stored).
    store.PermissionDenied
        The actor is not a verifier.
    """

    progress("build")
    t0 = time.perf_counter()
    st_ = build(deal_doc, facility, period, verified, engagement, verifier, source=workflows.StoreSource(store),
                methodology=methodology)
    t1 = time.perf_counter()
    progress("sign")
    identity = load_identity(None)  # the deal book never holds keys: the local demo identity (docs/app.md)
    signed, pdf = issue_statement(st_, identity)
    t2 = time.perf_counter()
    progress("check")
    rep = check_bytes(pdf, trust_pems=[_pem(identity.cert_der)], trust_demo=False)
    if rep.status != "intact":
        raise RuntimeError(f"the signed statement does not check as intact: {rep.status}: {'; '.join(rep.reasons)}")
    progress("save")
    info = store.save_statement(actor, signed.statement_id, facility_id=facility.id, pdf=pdf,
                                signature_status=SIGNED_STATUS, deal_id=deal_doc["id"], period_label=str(period),
                                issue=True)
    # the loan's record (issue 12): the verified KPI values, SPTs met / missed, statement id and SHA-256; a credit
    # officer prepares the margin change on the Margin changes page and a second one approves it

    record_statement(store, actor, deal_doc["id"], signed, info)
    return Issued(statement_id=signed.statement_id, pdf=pdf, content_sha256=content_sha256(signed),
                  demo_identity=identity.demo, build_s=t1 - t0, sign_s=t2 - t1, check_status=rep.status,
                  info=info)


def _pem(der: bytes) -> bytes:
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    lines = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n".encode()


# ---------------------------------------------------------------------------------------------------------
# Checking


#: the reasons ``finance.statement_sign.verify_statement`` gives, by their opening words → catalogue key
REASONS: tuple[tuple[str, str], ...] = (
    ("signature valid, no change since signing", "intact"),
    ("the PDF structure is damaged", "damaged"),
    ("the PDF carries no digital signature", "no_signature"),
    ("the signature cannot be validated", "cannot_validate"),
    ("the signed bytes do not match the signature", "bytes_changed"),
    ("the signature does not cover its whole revision", "coverage"),
    ("the signature container", "container"),
    ("bytes after the signature container", "container"),
    ("the signer-info version", "container"),
    ("the signed-data version", "container"),
    ("the signature's digest-algorithm list", "container"),
    ("an embedded certificate", "container"),
    ("embedded certificate", "container"),
    ("further signature", "extra_signature"),
    ("the document was changed after it was certified", "changed_after"),
    ("the signature is not a certification signature", "not_certification"),
    ("the signed PDF has no", "no_attachment"),
    ("the attached content is not a valid statement", "invalid_content"),
    ("the attached content is not in canonical form", "not_canonical"),
    ("the SHA-256 printed on the pages", "hash_mismatch"),
    ("the statement names a different signing certificate", "certificate_mismatch"),
    ("unaltered, but signed with", "untrusted"),
    ("not a PDF file", "not_pdf"),
    ("not an X.509 certificate", "bad_trust"),
)
_FURTHER = re.compile(r"^\d+ further signature")


def reason_key(text: str) -> str:
    """Catalogue key (``verification.reason.<key>``) of a ``verify_statement`` reason; ``other`` if unknown."""
    if _FURTHER.match(text):
        return "extra_signature"
    return next((k for start, k in REASONS if text.startswith(start)), "other")


@dataclass
class CheckResult:
    """Outcome of :func:`check_bytes`: ``status`` intact / altered / unsigned / untrusted / cannot_check,
    the English ``reasons`` of ``verify_statement`` and the report's facts."""

    status: str
    reasons: list[str] = field(default_factory=list)
    statement_id: str | None = None
    content_sha256: str | None = None
    signer: str | None = None
    signing_time: str | None = None


def demo_certificate() -> Path:
    """Path of the demo signing certificate (``$DCSLL_HOME/demo-signer/demo-signer.cert.pem``)."""

    return dcsll_home() / "demo-signer" / "demo-signer.cert.pem"


def check_bytes(data: bytes, trust_pems: list[bytes] = (), trust_demo: bool = True) -> CheckResult:
    """Check a statement PDF as ``dcsll verify-statement FILE --trust ...`` does.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    trust_pems : list of bytes
        Trusted certificates (PEM or DER), like ``--trust``.
    trust_demo : bool
        Also trust the local demo signing certificate (:func:`demo_certificate`), when it exists.

    Returns
    -------
    CheckResult
        ``cannot_check`` (the CLI's exit 2: not a PDF, a trust file that is not a certificate) with the
        error as its reason; else the status of :func:`finance.statement_sign.verify_statement`.
    """

    trust = [bytes(pem) for pem in trust_pems]
    if trust_demo and demo_certificate().is_file():
        trust.append(demo_certificate())
    try:
        rep = verify_statement(bytes(data), trust=trust)
    except InputError as exc:
        return CheckResult("cannot_check", [exc.message])
    return CheckResult(rep.status, list(rep.reasons), rep.statement_id, rep.content_sha256, rep.signer,
                       rep.signing_time)
