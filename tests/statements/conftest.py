"""Fixtures for statement tests: statement data written out by hand, a throwaway test CA, signed PDFs.

No private key is committed: the CA and the verifier's key are generated here, per test session, with
`cryptography`, and written only under pytest's tmp folders. No network is used.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

# Figures of the test statement, chosen by hand. Core contributions (score x weight):
# PUE 40.0 x 0.40 = 16.0; renewable share 75.0 x 0.35 = 26.25; rack utilisation 90.0 x 0.25 = 22.5
# -> core 64.75; add-on GHG accounting 100.0 x 0.05 = 5.0, ERF missing 0 -> add-on 5.0; total 69.75.
STATEMENT = {
    "statement_id": "VS-TEST-0042",
    "issue_date": "2026-04-15",
    "verifier": {
        "name": {"en": "Test Assurance LLP", "zh": "测试鉴证合伙企业"},
        "accreditation": "CNAS V9999",
        "signatory": "Wang Fang 王芳",
        "signatory_title": {"en": "Lead Verifier", "zh": "首席核查员"},
        "place": {"en": "Shanghai", "zh": "上海"},
    },
    "standards": ["ISAE 3000 (Revised)", "ISO 14064-3"],
    "assurance_level": "limited",
    "borrower": {"en": "Test Borrower Co., Ltd.", "zh": "测试借款人有限公司"},
    "facility": {"id": "TST-01", "name": {"en": "Test Campus", "zh": "测试园区"}},
    "loan_reference": "SLL-TEST-7",
    "reporting_period": {"label": "2025", "start": "2025-01-01", "end": "2025-12-31"},
    "observation_date": "2026-04-30",
    "methodology": {"id": "gcpi-test", "sha256": "ab" * 32},
    "indicators": [
        {"id": "pue", "name": {"en": "Power usage effectiveness", "zh": "电能利用效率"}, "unit": "-",
         "reported_value": 1.19, "verified_value": 1.22, "decimals": 2, "score": 40.0, "weight": 0.40,
         "contribution": 16.0, "status": "verified"},
        {"id": "renewable_share", "name": {"en": "Renewable energy share", "zh": "可再生能源利用比例"},
         "unit": "%", "reported_value": 63.0, "verified_value": 60.0, "decimals": 1, "score": 75.0,
         "weight": 0.35, "contribution": 26.25, "status": "verified"},
        {"id": "rack_utilisation", "name": {"en": "Rack utilisation", "zh": "上架率"}, "unit": "%",
         "reported_value": 84.0, "verified_value": 77.0, "decimals": 1, "score": 90.0, "weight": 0.25,
         "contribution": 22.5, "status": "verified"},
        {"id": "ghg_accounting", "name": {"en": "GHG accounting and reporting", "zh": "温室气体核算与报告"},
         "unit": "% checklist", "part": "addon", "reported_value": 100.0, "verified_value": 100.0,
         "decimals": 1, "score": 100.0, "weight": 0.05, "contribution": 5.0, "status": "verified"},
        {"id": "resource_recycling", "name": {"en": "Resource recycling", "zh": "资源回收"}, "unit": "%",
         "part": "addon", "score": 0.0, "weight": 0.05, "contribution": 0.0, "status": "missing"},
    ],
    "index": {"total": 69.75, "core": 64.75, "addon": 5.0, "grade": "3A", "completeness_pct": 80.0},
    "baseline": {"period": "2024", "total": 60.5, "grade": "3A"},
    "spts": [
        {"kpi": "gcpi_total", "name": {"en": "GCPI index total", "zh": "绿色算力指数总分"}, "unit": "points",
         "comparator": ">=", "baseline": 60.5, "target": 72.0, "verified_value": 69.75, "met": False,
         "effect_bp": 2.5},
        {"kpi": "pue", "name": {"en": "PUE", "zh": "PUE"}, "unit": "-", "comparator": "<=",
         "baseline": 1.28, "target": 1.25, "verified_value": 1.22, "met": True, "effect_bp": -5.0},
    ],
    "index_history": [{"period": "2024", "value": 60.5}, {"period": "2025", "value": 69.75}],
    "spt_path": [{"period": "2025", "value": 72.0}, {"period": "2026", "value": 75.0}],
    "margin": {"adjustment_bp": -2.5, "margin_before_bp": 95.0, "margin_after_bp": 92.5,
               "effective_date": "2026-07-01"},
    "notes": [{"kind": "restatement", "indicator": "pue", "en": "PUE restated from 1.19 to 1.22.",
               "zh": "PUE由1.19重述为1.22。"}],
}
# Margin: GCPI SPT missed +2.5 bp, PUE SPT met -5.0 bp -> -2.5 bp; 95.0 - 2.5 = 92.5 bp.

MANY_INDICATORS = 40  # enough rows that the indicator table must split across pages


def statement_dict(**changes) -> dict:
    """A deep copy of :data:`STATEMENT` with top-level keys replaced."""
    d = copy.deepcopy(STATEMENT)
    d.update(changes)
    return d


@pytest.fixture
def statement():
    from finance.statement import statement_from_mapping

    return statement_from_mapping(statement_dict())


@pytest.fixture(autouse=True)
def _dcsll_home(tmp_path, monkeypatch):
    """Every test gets its own DCSLL_HOME, so the demo identity never lands in the real user folder."""
    monkeypatch.setenv("DCSLL_HOME", str(tmp_path / "dcsll-home"))


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dcsll test CA (throwaway)")])


def _make_ca(folder: Path, cn: str):
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name(f"{cn} signer")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=10))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    paths = {"ca": folder / "ca.pem", "cert": folder / "signer.pem", "key": folder / "signer.key.pem",
             "p12": folder / "signer.p12"}
    paths["ca"].write_bytes(ca.public_bytes(pem))
    paths["cert"].write_bytes(leaf.public_bytes(pem))
    paths["key"].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    paths["p12"].write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", key, leaf, [ca], serialization.BestAvailableEncryption(b"test-passphrase")))
    return paths


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    """A throwaway CA and a signer certificate it issued: paths ca, cert, key, p12 (passphrase below)."""
    return _make_ca(tmp_path_factory.mktemp("ca"), "dcsll Test Root")


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory):
    """A second, unrelated CA (for 'untrusted' checks)."""
    return _make_ca(tmp_path_factory.mktemp("other-ca"), "Unrelated Root")


VERIFIER_TOML = """
[verifier]
name = {{ en = "Test Assurance LLP", zh = "测试鉴证合伙企业" }}
accreditation = "{accreditation}"
signatory = "Wang Fang 王芳"
signatory_title = {{ en = "Lead Verifier", zh = "首席核查员" }}
place = {{ en = "Shanghai", zh = "上海" }}
{signing}
"""


def write_verifier(folder: Path, *, accreditation: str = "CNAS V9999", signing: str = "") -> Path:
    p = folder / "verifier.toml"
    p.write_text(VERIFIER_TOML.format(accreditation=accreditation, signing=signing), encoding="utf-8")
    return p


def pem_signing(ca: dict) -> str:
    return (f'[signing]\nkey_pem = "{ca["key"]}"\ncert_pem = "{ca["cert"]}"\n'
            f'chain_pem = ["{ca["ca"]}"]\n')


@pytest.fixture(scope="session")
def ca_identity(test_ca):
    from finance.statement import SigningConfig
    from finance.statement_sign import load_identity

    return load_identity(SigningConfig(key_pem=str(test_ca["key"]), cert_pem=str(test_ca["cert"]),
                                       chain_pem=[str(test_ca["ca"])]))


@pytest.fixture(scope="session")
def signed_pdf(tmp_path_factory, ca_identity):
    """The test statement, signed by the test CA's signer: (path, statement as signed)."""
    from finance.statement import statement_from_mapping
    from finance.statement_sign import issue_statement

    st, pdf = issue_statement(statement_from_mapping(statement_dict()), ca_identity)
    path = tmp_path_factory.mktemp("signed") / "statement.pdf"
    path.write_bytes(pdf)
    return path, st


def need_tool(name: str) -> str:
    """Path of a Debian tool, or skip the test with the package to install."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (Debian package poppler-utils)")
    return path
