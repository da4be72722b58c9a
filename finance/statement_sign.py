"""Sign verification statements with pyHanko, and check them.

Signing
-------
:func:`issue_statement` fills the statement's signature block from the signing identity, renders the
PDF (:func:`finance.statement_pdf.render_pdf`), attaches the canonical content as ``statement.json``
(an embedded file, ``/AFRelationship /Source``) and applies a PAdES **certification** signature with
DocMDP permission level 1 — no changes permitted (ISO 32000-2 §12.8.2.2; pyHanko
``PdfSignatureMetadata(certify=True, docmdp_permissions=MDPPerm.NO_CHANGES)``). The attachment and the
signature go in one incremental update, so the signature covers the attachment.

The key and certificate come from the verifier file's ``[signing]`` table (PKCS#12, or PEM key +
certificate + chain). With none configured, a local **demo identity** (self-signed RSA-2048 certificate)
is created on first use in ``$DCSLL_HOME/demo-signer`` (default: platformdirs' per-user data folder)
and the statement says plainly that it is self-signed. No private key is ever written elsewhere.

Checking
--------
:func:`verify_statement` reports one of

``intact``     signature valid, nothing changed after signing, content hash matches, signer trusted;
``altered``    bytes changed, anything appended after signing (an incremental update of any kind, even
               an empty one or one touching only the document information or XMP metadata, or bytes
               after ``%%EOF``), a later revision that removed the signature, hash mismatch or damaged PDF;
``unsigned``   no signature and no trace of one;
``untrusted``  unaltered, but the signer does not chain to a certificate given with ``--trust``.

The certification permits no changes (DocMDP P=1), so :func:`verify_statement` wants the signature to
cover the entire file (pyHanko ``SignatureCoverageLevel.ENTIRE_FILE``) instead of accepting what pyHanko's
default difference policy tolerates, and names what changed from pyHanko's revision history.

Trust comes only from the certificates passed in (no system trust store, no network fetching).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import InputError
from common.settings import (
    dcsll_home,  # noqa: F401  (re-exported: finance.statement_sign.dcsll_home)
    demo_signer_cert,
)
from finance.statement import (
    SignatureBlock,
    SigningConfig,
    VerificationStatement,
    canonical_json,
    content_sha256,
    statement_from_json,
)
from finance.statement_pdf import render_pdf

ATTACHMENT_NAME = "statement.json"
SIG_FIELD = "dcsll-statement"
DEMO_SUBJECT_CN = "dcsll demo verifier (self-signed, not for reliance)"
E_UNWRITABLE = "cannot write the statement here: {reason}"

INTACT, ALTERED, UNSIGNED, UNTRUSTED = "intact", "altered", "unsigned", "untrusted"
EXIT_CODES = {INTACT: 0, ALTERED: 1, UNSIGNED: 1, UNTRUSTED: 1}


@dataclass
class SigningIdentity:
    """A signer ready for pyHanko, and facts about its certificate."""

    signer: object  # pyhanko.sign.signers.SimpleSigner
    cert_der: bytes
    subject: str
    issuer: str
    self_signed: bool
    demo: bool = False

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER certificate [64 hex characters]."""
        return hashlib.sha256(self.cert_der).hexdigest()

    def signature_block(self) -> SignatureBlock:
        """The statement's signature block for this identity."""
        return SignatureBlock(certificate_subject=self.subject, certificate_issuer=self.issuer,
                              certificate_sha256=self.fingerprint, self_signed=self.self_signed,
                              demo_identity=self.demo)


def _identity_from_signer(signer, demo: bool = False) -> SigningIdentity:
    cert = signer.signing_cert
    return SigningIdentity(signer=signer, cert_der=cert.dump(), subject=cert.subject.human_friendly,
                           issuer=cert.issuer.human_friendly, self_signed=cert.self_signed != "no", demo=demo)


def make_demo_identity_files(folder: Path) -> tuple[Path, Path]:
    """Create a self-signed demo key + certificate (RSA-2048, 5 years) in ``folder``.

    The key file is created with mode 0600. Returns ``(key_pem, cert_pem)``.
    """
    from cryptography import x509  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from cryptography.x509.oid import NameOID  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEMO_SUBJECT_CN),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dcsll demo")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=5 * 365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = folder / "demo-signer.key.pem", folder / "demo-signer.cert.pem"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def demo_identity(home: Path | None = None) -> SigningIdentity:
    """The local demo identity, created on first use in ``<home>/demo-signer``."""
    from pyhanko.sign import signers  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    cert_path = demo_signer_cert(home)
    folder = cert_path.parent
    key_path = folder / "demo-signer.key.pem"
    if not (key_path.is_file() and cert_path.is_file()):
        key_path, cert_path = make_demo_identity_files(folder)
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path))
    if signer is None:
        raise InputError("demo signing identity is unreadable; delete the folder to recreate it",
                         file=str(folder))
    return _identity_from_signer(signer, demo=True)


def load_identity(config: SigningConfig | None) -> SigningIdentity:
    """Load the signing identity the verifier file points to, or the demo identity.

    Raises
    ------
    InputError
        Missing key/certificate files, a wrong passphrase, or an unreadable PKCS#12 file.
    """
    from pyhanko.sign import signers  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    if config is None or not (config.pkcs12 or config.key_pem):
        return demo_identity()
    passphrase = None
    if config.passphrase_env:
        value = os.environ.get(config.passphrase_env)
        if value is None:
            raise InputError(f"environment variable {config.passphrase_env} (signing passphrase) is not set",
                             field="signing.passphrase_env")
        passphrase = value.encode()
    for p in [config.pkcs12, config.key_pem, config.cert_pem, *config.chain_pem]:
        if p and not Path(p).is_file():
            raise InputError("signing key or certificate file not found", file=p, field="signing")
    if config.pkcs12:
        signer = signers.SimpleSigner.load_pkcs12(config.pkcs12, ca_chain_files=config.chain_pem or None,
                                                  passphrase=passphrase)
        where = config.pkcs12
    else:
        signer = signers.SimpleSigner.load(config.key_pem, config.cert_pem,
                                           ca_chain_files=config.chain_pem or None, key_passphrase=passphrase)
        where = config.key_pem
    if signer is None:
        raise InputError("could not load the signing key/certificate (wrong passphrase or format?)",
                         file=where, field="signing")
    return _identity_from_signer(signer)


# ---------------------------------------------------------------------------------------------
# Signing


def sign_pdf(pdf: bytes, content: bytes, identity: SigningIdentity) -> bytes:
    """Attach ``content`` as ``statement.json`` and certify the PDF (no changes permitted).

    Parameters
    ----------
    pdf : bytes
        The rendered, unsigned statement.
    content : bytes
        Canonical JSON of the statement (:func:`finance.statement.canonical_json`).
    identity : SigningIdentity
        Signer.

    Returns
    -------
    bytes
        The signed PDF (original bytes + one incremental update).
    """
    from pyhanko.pdf_utils import embed, generic  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from pyhanko.sign import fields, signers  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    ef = embed.EmbeddedFileObject.from_file_data(
        w, data=content, mime_type="application/json",
        params=embed.EmbeddedFileParams(embed_size=True, embed_checksum=True))
    spec = embed.FileSpec(file_spec_string=ATTACHMENT_NAME, file_name=ATTACHMENT_NAME, embedded_data=ef,
                          description=f"Canonical statement content; SHA-256 {hashlib.sha256(content).hexdigest()}",
                          af_relationship=generic.pdf_name("/Source"))
    embed.embed_file(w, spec)
    meta = signers.PdfSignatureMetadata(
        field_name=SIG_FIELD, md_algorithm="sha256", certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES, subfilter=fields.SigSeedSubFilter.PADES,
        reason="Verification statement (dcsll)")
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=identity.signer).sign_pdf(w, output=out)
    return out.getvalue()


def issue_statement(statement: VerificationStatement, identity: SigningIdentity, *, lang: str = "both",
                    cjk_font: str = "auto") -> tuple[VerificationStatement, bytes]:
    """Fill the signature block, render, attach the content and sign.

    Returns
    -------
    (VerificationStatement, bytes)
        The statement as signed (with its signature block) and the signed PDF.
    """

    st = statement.model_copy(update={"signature": identity.signature_block()})
    pdf = render_pdf(st, lang=lang, cjk_font=cjk_font)
    return st, sign_pdf(pdf, canonical_json(st), identity)


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder, then rename.

    Nothing is left behind on failure.

    Raises
    ------
    InputError
        When the folder does not exist, is not writable, or ``path`` is a folder.
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise InputError(E_UNWRITABLE.format(reason="the output path is a folder"), file=str(p), field="--out")
    if not folder.is_dir():
        raise InputError(E_UNWRITABLE.format(reason="the folder does not exist"), file=str(p), field="--out")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, p)
        tmp = None
    except OSError as exc:
        raise InputError(E_UNWRITABLE.format(reason=exc.strerror or str(exc)), file=str(p), field="--out") from exc
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return p


# ---------------------------------------------------------------------------------------------
# Checking


@dataclass
class VerificationReport:
    """Outcome of :func:`verify_statement`.

    ``status`` is one of ``intact``, ``altered``, ``unsigned``, ``untrusted``; ``reasons`` say why.
    """

    status: str
    reasons: list[str] = field(default_factory=list)
    statement_id: str | None = None
    content_sha256: str | None = None
    printed_sha256: str | None = None
    signer: str | None = None
    signer_sha256: str | None = None
    signing_time: str | None = None

    @property
    def exit_code(self) -> int:
        """0 intact; 1 altered, unsigned or untrusted."""
        return EXIT_CODES[self.status]

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("status", "reasons", "statement_id", "content_sha256",
                                               "printed_sha256", "signer", "signer_sha256", "signing_time")}


def _load_trust(paths) -> list:
    from asn1crypto import pem, x509  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    certs = []
    for i, p in enumerate(paths or []):
        if isinstance(p, bytes | bytearray):
            data, p = bytes(p), f"trusted certificate {i + 1}"
        else:
            try:
                data = Path(p).read_bytes()
            except OSError as exc:
                raise InputError("trusted certificate file cannot be read", file=str(p), field="--trust") from exc
        try:
            if pem.detect(data):
                certs += [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
            else:
                certs.append(x509.Certificate.load(data))
            for c in certs:
                c.native  # noqa: B018 (forces a full parse)
        except Exception as exc:
            raise InputError(f"not an X.509 certificate (PEM or DER): {exc}", file=str(p), field="--trust") from exc
    return certs


def _issued_by(cert, issuer) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except Exception:
        # verify_directly_issued_by also insists on matching names; a self-signed certificate whose
        # name bytes changed fails that, which is what we want
        return False


def _cms_untouched(sig, roots: list) -> str | None:
    """Check the parts of the signature container that the signature itself does not cover.

    The signature's /ByteRange covers every byte of the file except the /Contents hex string. Inside
    it, the signed attributes and the signer's certificate (ESS signing-certificate-v2) are checked by
    pyHanko; this checks the rest: the zero padding after the DER, a strict DER re-encoding, the
    (unsigned) version numbers (RFC 5652 §5.1, §5.3), the digest-algorithm set, and every embedded
    certificate against its issuer's key (embedded or trusted) — so that no byte of the file can change
    unnoticed (see the byte-sweep test). Returns a reason, or None when untouched.
    """
    from cryptography import x509 as cx509  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    raw = bytes(sig.pkcs7_content)
    if len(raw) < 2 or raw[0] != 0x30:
        return "the signature container is not DER"
    if raw[1] < 0x80:
        end = 2 + raw[1]
    else:
        n = raw[1] & 0x7F
        end = 2 + n + int.from_bytes(raw[2:2 + n], "big")
    if any(raw[end:]):
        return "bytes after the signature container were changed"
    from asn1crypto import cms  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    # a strict DER re-encoding must give the same bytes (catches changed padding bits, parameters, tags)
    if cms.ContentInfo.load(raw[:end]).dump(force=True) != raw[:end]:
        return "the signature container is not in its original DER form"
    sd = sig.signed_data
    # versions are not signed: check them against RFC 5652 sections 5.1 and 5.3
    for si in sd["signer_infos"]:
        want = 1 if si["sid"].name == "issuer_and_serial_number" else 3
        if si["version"].native != f"v{want}":
            return "the signer-info version was changed"
    v3 = any(si["version"].native == "v3" for si in sd["signer_infos"])
    want_sd = 3 if v3 or sd["encap_content_info"]["content_type"].native != "data" else 1
    if sd["version"].native not in (f"v{want_sd}", "v4", "v5"):
        return "the signed-data version was changed"
    algos = {a["algorithm"].native for a in sd["digest_algorithms"]}
    if algos != {sig.signer_info["digest_algorithm"]["algorithm"].native}:
        return "the signature's digest-algorithm list was changed"
    try:
        embedded = [cx509.load_der_x509_certificate(c.chosen.dump()) for c in sd["certificates"] or []]
        trusted = [cx509.load_der_x509_certificate(c.dump()) for c in roots]
    except Exception as exc:
        return f"an embedded certificate is damaged: {exc}"
    pool = embedded + trusted
    for cert in embedded:
        if any(_issued_by(cert, key_holder) for key_holder in pool):
            continue
        # Nothing in the pool signed it. Fine for a certificate whose issuer is simply absent (a partial
        # chain); but a certificate tied by name to the pool (self-issued, issuer present, or the same
        # subject as another certificate) must verify, so a changed byte in it is caught.
        others = [c for c in pool if c is not cert]
        if (cert.issuer == cert.subject or any(c.subject == cert.issuer for c in others)
                or any(c.subject == cert.subject for c in others)):
            return (f"embedded certificate '{cert.subject.rfc4514_string()}' was changed "
                    "(no issuer's signature on it verifies)")
    return None


def _embedded_json(reader) -> bytes | None:
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return None
    for i in range(0, len(names) - 1, 2):
        if str(names[i]) == ATTACHMENT_NAME:
            spec = names[i + 1].get_object()
            return spec["/EF"]["/F"].get_object().data
    return None


_HASH_RE = re.compile(r"sha256:\s?([0-9a-f]{64})")


def _printed_hashes(data: bytes) -> list[set[str]]:
    from pypdf import PdfReader  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    reader = PdfReader(io.BytesIO(data))
    return [set(_HASH_RE.findall(page.extract_text() or "")) for page in reader.pages]


def _signature_fields(handler) -> list[str]:
    """Names of the filled signature fields of a revision (pyHanko ``enumerate_sig_fields``)."""
    from pyhanko.sign.fields import enumerate_sig_fields  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    try:
        return [name for name, _, _ in enumerate_sig_fields(handler, filled_status=True)]
    except Exception:  # a revision too damaged to enumerate has no usable signature field
        return []


def _removed_signatures(reader) -> list[str]:
    """Signatures present in an earlier revision but no longer in the latest one.

    Each entry names the field and the revision (1-based, as a reader counts them) that last had it.
    """
    latest = set(_signature_fields(reader))
    gone: dict[str, int] = {}
    for rev in range(reader.total_revisions - 1):
        for name in _signature_fields(reader.get_historical_resolver(rev)):
            if name not in latest:
                gone[name] = rev
    total = reader.total_revisions
    return [f"signature '{name}' is in revision {rev + 1} of {total} but was removed by a later revision"
            for name, rev in gone.items()]


def _text(value) -> str:
    s = str(value)
    return s if len(s) <= 60 else s[:57] + "..."


def _dict_diff(old, new) -> list[str]:
    """Keys removed, added or given another value between two versions of a PDF dictionary."""
    old = old if hasattr(old, "keys") else {}
    new = new if hasattr(new, "keys") else {}
    out = [f"{k} removed" for k in old.keys() if k not in new]
    out += [f"{k} added" for k in new.keys() if k not in old]
    for k in new.keys():
        if k in old:
            try:
                a, b = old.raw_get(k), new.raw_get(k)
            except Exception:  # pragma: no cover - both came from parsed dictionaries
                continue
            if a != b:
                plain = not hasattr(b, "keys") and not isinstance(b, list | tuple)
                out.append(f"{k} changed ({_text(a)!r} -> {_text(b)!r})" if plain else f"{k} changed")
    return out


def _object_role(hist, ref, pages: dict) -> str:
    """What an object is, in words (catalog, document information, XMP, page n, annotation, ...)."""
    if ref == hist.root_ref:
        return "the document catalog"
    info = hist.trailer_view.raw_get("/Info") if "/Info" in hist.trailer_view else None
    if info is not None and getattr(info, "reference", None) == ref:
        return "the document information dictionary"
    if ref in pages:
        return f"page {pages[ref]}"
    try:
        obj = hist.get_object(ref)
    except Exception:
        return f"object {ref.idnum}"
    if hasattr(obj, "keys"):
        kind, sub = obj.get("/Type"), obj.get("/Subtype")
        if kind == "/Metadata" or sub == "/XML":
            return "the XMP metadata stream"
        if obj.get("/FT") == "/Sig":
            return f"signature field '{obj.get('/T')}'"
        if kind == "/Sig" or "/ByteRange" in obj:
            return "a signature value"
        if kind == "/Annot" or sub in ("/Text", "/FreeText", "/Widget", "/Link", "/Square", "/Stamp"):
            return f"a {str(sub).lstrip('/')} annotation" if sub else "an annotation"
        if "/Fields" in obj:
            return "the interactive form (/AcroForm)"
        if kind is not None:
            return f"object {ref.idnum} ({kind})"
    return f"object {ref.idnum}"


def _changes_after(reader, sig, data: bytes) -> list[str]:
    """Name what changed after the signed revision, one line per revision or object (at most 12).

    Uses pyHanko's revision history (``reader.xrefs``, ``get_historical_resolver``): the objects each
    later cross-reference section (re)defines, compared with their version in the signed revision.
    """
    from pyhanko.pdf_utils import generic  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    signed_rev, total = sig.signed_revision, reader.total_revisions
    out: list[str] = []
    signed_end = sig.byte_range[2] + sig.byte_range[3]
    if total - 1 == signed_rev:
        tail = len(data) - signed_end
        return [f"{tail} byte(s) appended after the end of the signed file (no new revision)"]
    old = reader.get_historical_resolver(signed_rev)
    old_size = int(old.trailer_view.get("/Size", 0))
    try:
        pages = {ref: i + 1 for i, ref in enumerate(_page_refs(old))}
    except Exception:
        pages = {}
    for rev in range(signed_rev + 1, total):
        hist = reader.get_historical_resolver(rev)
        refs = sorted(reader.xrefs.explicit_refs_in_revision(rev), key=lambda r: r.idnum)
        freed = reader.xrefs.refs_freed_in_revision(rev)
        where = f"revision {rev + 1} of {total}"
        if not refs and not freed:
            out.append(f"{where}: an empty incremental update (new cross-reference section and trailer, "
                       "no object changed)")
            continue
        for ref in refs:
            try:
                before = old.get_object(ref) if ref.idnum < old_size else None
            except Exception:
                before = None
            existed = before is not None and not isinstance(before, generic.NullObject)
            role = _object_role(hist, ref, pages)
            if not existed:
                out.append(f"{where}: added {role}")
                continue
            detail = ""
            if role != "the XMP metadata stream":
                diff = _dict_diff(before, hist.get_object(ref))
                detail = f": {', '.join(diff)}" if diff else " (rewritten with the same entries)"
            out.append(f"{where}: changed {role}{detail}")
        out += [f"{where}: deleted object {r.idnum}" for r in sorted(freed, key=lambda r: r.idnum)]
    tail = data[data.rindex(b"%%EOF") + 5:] if b"%%EOF" in data else b""
    if tail.strip():
        out.append(f"{len(tail)} byte(s) follow the last revision's end-of-file marker")
    return out[:12] + ([f"... and {len(out) - 12} more"] if len(out) > 12 else [])


def _page_refs(hist) -> list:
    """References of the pages of a revision, in order (page tree walk; a cycle is walked once)."""
    out, todo, seen = [], [hist.root.raw_get("/Pages")], set()
    while todo:
        ref = todo.pop(0)
        if ref.reference in seen:
            continue
        seen.add(ref.reference)
        node = ref.get_object()
        if node.get("/Type") == "/Pages":
            todo = list(node.raw_get("/Kids")) + todo
        else:
            out.append(ref.reference)
    return out


_BYTE_RANGE_RE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def _damage_hint(data: bytes) -> str | None:
    """For a file pyHanko cannot read: does it go on past (or stop short of) the signed byte range?"""
    m = list(_BYTE_RANGE_RE.finditer(data))
    if not m:
        return None
    _, _, start2, len2 = (int(x) for x in m[-1].groups())
    end = start2 + len2
    if len(data) > end:
        return f"{len(data) - end} byte(s) follow the end of the signed byte range"
    if len(data) < end:
        return f"the file is {end - len(data)} byte(s) shorter than the signed byte range (truncated)"
    return None


def verify_statement(path: str | Path | bytes, trust: list[str | Path | bytes] | None = None) -> VerificationReport:
    """Check a signed statement: signature, changes after signing, content hash, trust.

    The checks, in order: pyHanko's ``validate_pdf_signature`` (digest, signature, signer certificate);
    the parts of the CMS container the signature does not sign; no signature removed by a later revision
    (every earlier revision's signature fields, via ``PdfFileReader.get_historical_resolver``); coverage
    of the **entire file**, since the DocMDP P=1 certification permits no change at all (ISO 32000-2
    §12.8.2.2) — an incremental update or bytes after ``%%EOF`` make the statement ``altered`` and the
    reasons name the revision and objects changed; the certification level; the attached
    ``statement.json`` against the hash printed on every page; trust. With no signature in the latest
    revision, an earlier signed revision or the attached ``statement.json`` (attached only when signing)
    makes it ``altered`` ("signature removed") rather than ``unsigned``.

    Parameters
    ----------
    path : path-like or bytes
        The PDF (a file, or its bytes, e.g. an upload).
    trust : list of path-like or bytes, optional
        Certificates (PEM or DER; files or their bytes) to trust as roots; without any, a valid signature is
        ``untrusted``.

    Returns
    -------
    VerificationReport

    Raises
    ------
    InputError
        The file is missing or is not a PDF, or a ``--trust`` file is not a certificate
        (the CLI exits 2).
    """
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from pyhanko.sign.diff_analysis import ModificationLevel  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from pyhanko.sign.fields import MDPPerm  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from pyhanko.sign.validation import validate_pdf_signature  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths
    from pyhanko_certvalidator import ValidationContext  # noqa: PLC0415 - heavy signing stack (pyhanko/cryptography), only the signing and verifying paths

    if isinstance(path, bytes | bytearray):
        p, data = "statement PDF", bytes(path)
    else:
        p = Path(path)
        try:
            data = p.read_bytes()
        except FileNotFoundError as exc:
            raise InputError("file not found", file=str(p)) from exc
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", file=str(p)) from exc
    if not data.lstrip()[:5] == b"%PDF-":
        raise InputError("not a PDF file (no %PDF- header)", file=str(p))
    roots = _load_trust(trust)

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception as exc:
        hint = _damage_hint(data)
        return VerificationReport(ALTERED, [f"the PDF structure is damaged: {exc}"] + ([hint] if hint else []))
    removed = _removed_signatures(reader)
    if not sigs:
        if removed:
            return VerificationReport(ALTERED, ["signature removed: an earlier revision is signed, the "
                                                "latest one is not", *removed])
        if _embedded_json(reader) is not None:
            # dcsll attaches statement.json only in the signing update (sign_pdf): it was signed
            return VerificationReport(ALTERED, [f"signature removed: the PDF carries the {ATTACHMENT_NAME} "
                                                "of a signed statement but no signature"])
        return VerificationReport(UNSIGNED, ["the PDF carries no digital signature"])

    rep = VerificationReport(ALTERED)
    sig = sigs[0]
    quiet = logging.getLogger("pyhanko_certvalidator"), logging.getLogger("pyhanko")
    levels = [lg.level for lg in quiet]
    try:
        for lg in quiet:  # path-building failures are logged with tracebacks; the report says it instead
            lg.setLevel(logging.CRITICAL)
        vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        status = validate_pdf_signature(sig, vc)
    except Exception as exc:
        rep.reasons.append(f"the signature cannot be validated: {type(exc).__name__}: {exc}")
        return rep
    finally:
        for lg, level in zip(quiet, levels, strict=True):
            lg.setLevel(level)
    try:
        rep.signer = status.signing_cert.subject.human_friendly
        rep.signer_sha256 = hashlib.sha256(status.signing_cert.dump()).hexdigest()
        rep.signing_time = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    except Exception:  # pragma: no cover - informational only
        pass
    if not (status.intact and status.valid):
        rep.reasons.append("the signed bytes do not match the signature (content changed after signing)")
        return rep
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        rep.reasons.append("the signature does not cover its whole revision")
        return rep
    try:
        touched = _cms_untouched(sig, roots)
    except Exception as exc:
        touched = f"the signature container is damaged: {type(exc).__name__}: {exc}"
    if touched:
        rep.reasons.append(touched)
        return rep
    if removed:
        rep.reasons += ["signature removed", *removed]
        return rep
    mod = status.modification_level
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE or (mod is not None and mod > ModificationLevel.NONE):
        # DocMDP P=1 (ISO 32000-2 §12.8.2.2): no change of any kind is permitted after certification, so
        # anything past the signed byte range counts, even what pyHanko's default difference policy
        # tolerates (document information, XMP metadata, empty updates, trailing bytes)
        extra = f"; {len(sigs) - 1} further signature(s) added" if len(sigs) > 1 else ""
        rep.reasons.append("the document was changed after it was certified, which permits no changes "
                           f"(pyHanko modification level {getattr(mod, 'name', mod)}{extra})")
        try:
            rep.reasons += _changes_after(reader, sig, data)
        except Exception as exc:  # pragma: no cover - naming the change is best effort
            rep.reasons.append(f"(the change could not be named: {type(exc).__name__})")
        return rep
    if len(sigs) > 1 or status.docmdp_ok is False:  # pragma: no cover - implied by full-file coverage
        rep.reasons.append("the document was changed after it was certified")
        return rep
    if sig.docmdp_level != MDPPerm.NO_CHANGES:
        rep.reasons.append("the signature is not a certification signature permitting no changes")
        return rep

    content = _embedded_json(reader)
    if content is None:
        rep.reasons.append(f"the signed PDF has no {ATTACHMENT_NAME} attachment with the statement content")
        return rep
    rep.content_sha256 = hashlib.sha256(content).hexdigest()
    try:
        st = statement_from_json(content)
    except InputError as exc:
        rep.reasons.append(f"the attached content is not a valid statement: {exc}")
        return rep
    rep.statement_id = st.statement_id
    if canonical_json(st) != content or content_sha256(st) != rep.content_sha256:
        rep.reasons.append("the attached content is not in canonical form")
        return rep
    printed = _printed_hashes(data)
    rep.printed_sha256 = next(iter(printed[0])) if printed and len(printed[0]) == 1 else None
    if not printed or not all(page == {rep.content_sha256} for page in printed):
        rep.reasons.append("the SHA-256 printed on the pages does not match the attached content")
        return rep
    if st.signature.certificate_sha256 and st.signature.certificate_sha256 != rep.signer_sha256:
        rep.reasons.append("the statement names a different signing certificate than the one that signed it")
        return rep

    if not status.trusted:
        rep.status = UNTRUSTED
        how = "a self-signed certificate" if st.signature.self_signed else "a certificate"
        rep.reasons.append(f"unaltered, but signed with {how} ({rep.signer}) that does not chain to a "
                           "trusted certificate; pass the verifier's certificate or CA with --trust")
        return rep
    rep.status = INTACT
    rep.reasons.append("signature valid, no change since signing, content hash matches, signer trusted")
    return rep
