"""``dcsll statement`` and ``dcsll verify-statement``: issue and check signed verification statements.

Exit codes of ``verify-statement``: 0 intact (and trusted); 1 altered, unsigned or untrusted;
2 cannot check (file missing, not a PDF, bad ``--trust`` file).
"""

from __future__ import annotations

import argparse
import json

from dcsll.commands._args import iso_date
from dcsll.commands._sources import add_deal_args, deal_source


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "statement", help="issue a signed bilingual verification statement (PDF)",
        description="Issue a signed, bilingual (中文/English) verification statement for one observation "
        "date, from a deal file (scored with the GCPI engine, ratchet applied by the finance engine) or "
        "from plain statement data (--data).")
    add_deal_args(p)
    p.add_argument("--period", required=True, help="reporting period label, e.g. 2025")
    p.add_argument("--verifier", required=True, metavar="FILE", help="verifier TOML ([verifier], [signing])")
    p.add_argument("--out", required=True, metavar="PDF", help="where to write the signed PDF")
    p.add_argument("--lang", choices=["zh", "en", "both"], default="both", help="languages printed")
    p.add_argument("--engagement", metavar="FILE",
                   help="engagement TOML: statement id, standards, assurance level, the verifier's figures "
                   "([verified]), notes (see data/statements/sample_engagement.toml)")
    p.add_argument("--data", metavar="FILE", help="statement data TOML (instead of building from DEAL_FILE)")
    p.add_argument("--cjk-font", default="auto", metavar="auto|cid|PATH",
                   help="CJK font: auto (embedded TrueType if installed), cid (STSong-Light), or a .ttf/.ttc")
    p.add_argument("--as", dest="actor", default=None, metavar="USER",
                   help="with --deal: the verifier issuing into the deal book; the statement is stored (issued) and "
                   "the observation recorded (verified KPI values, SPTs met / missed, statement id and SHA-256)")
    p.add_argument("--prepared-by", metavar="USER",
                   help="with --as: credit officer preparing the margin change now (a second one approves)")
    p.add_argument("--delivered", type=iso_date, default=None, metavar="DATE",
                   help="with --as: date the certificate reached the bank (default the statement's issue date)")
    p.set_defaults(func=run_statement)

    v = subparsers.add_parser(
        "verify-statement", help="check a signed statement: intact / altered / unsigned / untrusted",
        description="Validate the signature, recompute the SHA-256 of the attached statement.json and "
        "compare it with the hash printed on every page. Exit 0 intact; 1 altered, unsigned or "
        "untrusted; 2 cannot check.")
    v.add_argument("pdf", metavar="FILE.pdf")
    v.add_argument("--trust", action="append", default=[], metavar="CERT",
                   help="trusted certificate (PEM/DER): the verifier's CA, or its self-signed certificate; "
                   "repeatable")
    v.add_argument("--json", action="store_true", help="print the report as JSON")
    v.set_defaults(func=run_verify)


def run_statement(args: argparse.Namespace) -> int:
    from common.errors import InputError
    from finance.statement import load_statement_data, load_verifier
    from finance.statement_sign import issue_statement, load_identity, write_atomic

    vf = load_verifier(args.verifier)
    if args.actor is not None or args.prepared_by is not None or args.delivered is not None:
        if args.deal is None or args.actor is None:
            raise InputError("--as / --prepared-by / --delivered issue into the deal book: give --deal ID and "
                             "--as VERIFIER", field="--as")
        return _issue_into_book(args, vf)
    if args.data is None:
        if args.deal_file is None and args.deal is None:
            raise InputError("give a DEAL_FILE, --deal ID or --data FILE", field="DEAL_FILE")
        import workflows

        deal, source = deal_source(args, engagement_file=args.engagement)
        engagement = None
        if args.engagement is not None and args.deal is not None:
            from finance.statement_build import load_engagement

            engagement = load_engagement(args.engagement)  # a file overrides the deal book's engagement
        st = workflows.build_statement(deal, source, str(args.period), vf.verifier, engagement)
    else:
        if args.deal_file is not None or args.deal is not None or args.engagement is not None:
            raise InputError("--data gives the whole statement: leave out DEAL_FILE and --engagement",
                             field="--data")
        st = load_statement_data(args.data, verifier=vf.verifier)
    if st.reporting_period.label != str(args.period):
        raise InputError(f"no verified data for period {args.period}: the data file covers period "
                         f"{st.reporting_period.label}", file=args.data, field="reporting_period.label",
                         value=args.period)
    identity = load_identity(vf.signing)
    signed, pdf = issue_statement(st, identity, lang=args.lang, cjk_font=args.cjk_font)
    out = write_atomic(args.out, pdf)
    from finance.statement import content_sha256

    print(f"wrote {out} ({len(pdf):,} bytes)")
    print(f"content sha256: {content_sha256(signed)}")
    mref = signed.methodology
    print(f"methodology: {mref.id}" + (f" version {mref.version}" if mref.version else "") + f" sha256 {mref.sha256}")
    if mref.reference_sha256:
        print(f"reference-data bundle sha256: {mref.reference_sha256}")
    print(f"signed by: {identity.subject}")
    if identity.demo:
        import shlex

        from common.settings import HOME_ENV, demo_signer_cert

        cert = demo_signer_cert()
        print(f"note: self-signed demo identity, its certificate in {cert} (<home>/demo-signer/, <home> = "
              f"${HOME_ENV} when set, else the per-user data folder; `dcsll paths` prints it); check with:")
        print(f"  dcsll verify-statement {shlex.quote(str(out))} --trust {shlex.quote(str(cert))}")
    return 0


def _issue_into_book(args, vf) -> int:
    """``--deal ID --as VERIFIER``: :func:`workflows.issue_statement` (stored, issued, observation recorded,
    margin change prepared with ``--prepared-by``)."""
    import workflows
    from dcsll.commands.record_cli import open_book
    from finance.statement_sign import load_identity, write_atomic

    engagement = None
    if args.engagement is not None:
        from finance.statement_build import load_engagement

        engagement = load_engagement(args.engagement)
    book = open_book()
    out = workflows.issue_statement(book, args.deal, str(args.period), actor=args.actor,
                                    identity=load_identity(vf.signing), verifier=vf.verifier, engagement=engagement,
                                    certificate_delivered=args.delivered, prepared_by=args.prepared_by,
                                    lang=args.lang, cjk_font=args.cjk_font)
    path = write_atomic(args.out, out.pdf)
    r = out.record
    print(f"wrote {path} ({len(out.pdf):,} bytes)")
    print(f"issued {out.info.id} into the deal book (sha256 {out.info.sha256})")
    kpis = ", ".join(f"{k} {v:g}" for k, v in r.kpis.items() if isinstance(v, (int, float)))
    print(f"recorded observation {r.observation_date} (verified): {kpis}; "
          + ", ".join(f"{k} {v}" for k, v in r.outcomes.items()))
    for c in out.prepared:
        print(f"prepared margin change #{c.id} {c.kind}: {c.margin_before_bp:g} -> {c.margin_after_bp:g} bp from "
              f"{c.effective_date}; a second credit officer approves: dcsll approve --deal {c.deal_id} "
              f"--change {c.id} --as USER")
    if not args.prepared_by:
        print(f"margin change not prepared yet: dcsll prepare --deal {args.deal} --as CREDIT_OFFICER")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from finance.statement_sign import verify_statement

    rep = verify_statement(args.pdf, trust=args.trust)
    if args.json:
        print(json.dumps({"file": args.pdf, **rep.as_dict()}, ensure_ascii=False, indent=2))
    else:
        print(f"{args.pdf}: {rep.status.upper()}")
        for r in rep.reasons:
            print(f"  - {r}")
        for label, value in (("statement", rep.statement_id), ("content sha256", rep.content_sha256),
                             ("signer", rep.signer), ("signing time", rep.signing_time)):
            if value:
                print(f"  {label}: {value}")
    return rep.exit_code
