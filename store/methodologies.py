"""Methodology files stored byte for byte with their SHA-256 (immutable; a change is a new version).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import select

from index.errors import InputError
from index.methodology import Methodology, parse_methodology
from store.base import StoreBase, _now, _sha256
from store.errors import NotFound, StoreError
from store.records import (
    MethodologyInfo,
)
from store.schema import (
    MethodologyRow,
)


class MethodologiesMixin(StoreBase):
    """Stored methodologies (admin writes; anyone reads)."""

    def save_methodology(self, actor: str, source, *, sha256: str | None = None,
                         file: str | None = None) -> MethodologyInfo:
        """Store a methodology file's exact bytes (admin only).

        Parameters
        ----------
        source : bytes, str, pathlib.Path or index.methodology.Methodology
            The file content, a path to it, or a loaded methodology (its file is re-read and must still hash
            to ``Methodology.sha256``).
        sha256 : str, optional
            The hash the caller expects (hex); checked against the content.

        Raises
        ------
        InputError
            If the content's SHA-256 differs from ``sha256`` / the loaded methodology's hash; if the file is not
            a valid methodology (:func:`index.methodology.parse_methodology`); if the same id and version are
            stored with other content, or the same content under another id/version.
        PermissionDenied
            If ``actor`` is not an admin.
        """

        if isinstance(source, Methodology):
            file = file or source.path
            sha256 = sha256 or source.sha256
            content = Path(source.path).read_bytes()
        elif isinstance(source, (str, Path)) and not (isinstance(source, str) and "\n" in source):
            file = file or str(source)
            content = Path(source).read_bytes()
        elif isinstance(source, str):
            content = source.encode("utf-8")
        else:
            content = bytes(source)
        digest = _sha256(content)
        if sha256 is not None and sha256.lower() != digest:
            raise InputError(f"methodology content hashes to {digest}, not the {sha256} it claims: the file was "
                             "changed after it was hashed; reload it and check which version the deal uses",
                             file=file, field="sha256", value=sha256)
        try:
            data = tomllib.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"not a valid TOML methodology: {exc}", file=file) from None
        m = parse_methodology(data, path=file or "<store>", sha256=digest)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "methodology.save")
            row = s.get(MethodologyRow, (m.id, m.version))
            if row is not None:
                if row.sha256 == digest:
                    return MethodologyInfo(row.id, row.version, row.sha256, row.title)
                raise InputError(f"methodology {m.id} version {m.version} is already stored with other content "
                                 f"(sha256 {row.sha256}); give the changed file a new version", file=file,
                                 field="version", value=m.version)
            other = s.scalar(select(MethodologyRow).where(MethodologyRow.sha256 == digest))
            if other is not None:
                raise InputError(f"this content is already stored as {other.id} {other.version}", file=file,
                                 field="id", value=m.id)
            s.add(MethodologyRow(id=m.id, version=m.version, sha256=digest, content=content,
                                 title=m.title_en or None, created_at=_now(), created_by=a.username))
            self._audit(s, a, "methodology.save", "methodology", f"{m.id}@{m.version}", None,
                        {"id": m.id, "version": m.version, "sha256": digest, "bytes": len(content)})
        return MethodologyInfo(m.id, m.version, digest, m.title_en or None)

    def methodologies(self) -> list[MethodologyInfo]:
        """Stored methodologies, by id and version."""
        with self._read() as s:
            rows = s.execute(select(MethodologyRow.id, MethodologyRow.version, MethodologyRow.sha256,
                                    MethodologyRow.title).order_by(MethodologyRow.id, MethodologyRow.version))
            return [MethodologyInfo(*r) for r in rows]

    def methodology_content(self, methodology_id: str, version: str) -> bytes:
        """The stored bytes of a methodology file, checked against their hash.

        Raises
        ------
        NotFound
        StoreError
            If the stored bytes no longer hash to the stored SHA-256 (the database was tampered with).
        """
        with self._read() as s:
            row = s.get(MethodologyRow, (methodology_id, version))
            if row is None:
                raise NotFound(f"no methodology {methodology_id} version {version}", field="methodology")
            if _sha256(row.content) != row.sha256:
                raise StoreError(f"stored methodology {methodology_id} {version} does not match its hash "
                                 f"{row.sha256}; restore it from a backup")
            return bytes(row.content)

    def load_methodology(self, methodology_id: str, version: str):
        """The stored methodology parsed as :class:`index.methodology.Methodology` (``sha256`` = stored hash)."""

        content = self.methodology_content(methodology_id, version)
        return parse_methodology(tomllib.loads(content.decode("utf-8")),
                                 path=f"store:{methodology_id}@{version}", sha256=_sha256(content))
