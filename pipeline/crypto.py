"""The only module that touches the ``cryptography`` primitives.

Recipes, not primitives: callers never choose algorithms, keys or nonces.

- The office master key (32 random bytes) lives in ``MIJIAN_HOME/keys/`` with mode 0600 and
  is never written anywhere else. Every purpose gets its own subkey through HKDF-SHA256.
- ``mac``: HMAC-SHA256 under a purpose subkey (copy tokens, visible codes, owner passwords).
- ``seal`` / ``unseal``: AES-256-GCM under a purpose subkey, for secrets the register keeps
  (recipients' passwords); failure is one opaque :class:`CryptoError`.
- ``sign`` / ``verify``: Ed25519 with a key derived from the master key (register events).

- ``envelope`` / ``open_envelope``: CMS (PKCS#7) EnvelopedData to X.509 RSA certificates,
  the form ``openssl cms -decrypt`` opens; the office holds its own RSA identity
  (``keys/cms-identity.key``, mode 0600) and is always a recipient too.

What this does not protect against: anyone who can read the key file (root, a backup of the
home folder) can forge tokens and open every copy; keep ``MIJIAN_HOME`` on an encrypted disk.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from mijian.pipeline.errors import CryptoError, RegisterError

KEY_BYTES = 32
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


@dataclass(frozen=True, repr=False)
class OfficeKey:
    """One office master key and its short public id (the first 8 hex of its SHA-256)."""

    key_id: str
    secret: bytes
    created: str = ""

    def __repr__(self) -> str:  # never show key bytes in logs or tracebacks
        return f"OfficeKey(key_id={self.key_id!r})"

    def _subkey(self, purpose: str, length: int = 32) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(
            algorithm=hashes.SHA256(), length=length, salt=b"mijian/v1", info=purpose.encode()
        ).derive(self.secret)

    def for_document(self, document_id: str) -> OfficeKey:
        """The key of one document, derived from this master key (HKDF, its own label).

        The signed codes of a document's copies (token, printed and QR code, text code) are
        made with it, so a code verifies only for the document its copy belongs to; its id
        is ``<master id>/<document id>``. Knowing it reveals nothing of the master key or of
        any other document's key.
        """
        if not document_id or "/" in document_id:
            raise ValueError("a document key needs a document id without '/'")
        return OfficeKey(f"{self.key_id}/{document_id}", self._subkey("document/" + document_id),
                         self.created)

    def mac(self, purpose: str, data: bytes) -> bytes:
        """HMAC-SHA256 of ``data`` under the subkey for ``purpose`` (32 bytes)."""
        return hmac.new(self._subkey("mac/" + purpose), data, hashlib.sha256).digest()

    def verify_mac(self, purpose: str, data: bytes, tag: bytes) -> bool:
        """True when ``tag`` is a prefix (at least 5 bytes) of the MAC of ``data``."""
        if len(tag) < 5:
            return False
        return hmac.compare_digest(self.mac(purpose, data)[: len(tag)], tag)

    def seal(self, purpose: str, plaintext: bytes, context: bytes = b"") -> bytes:
        """Encrypt and authenticate ``plaintext`` (AES-256-GCM, random nonce prepended)."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        return nonce + AESGCM(self._subkey("seal/" + purpose)).encrypt(nonce, plaintext, context)

    def unseal(self, purpose: str, sealed: bytes, context: bytes = b"") -> bytes:
        """Reverse :meth:`seal`; any failure is one opaque :class:`CryptoError`."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            return AESGCM(self._subkey("seal/" + purpose)).decrypt(sealed[:12], sealed[12:], context)
        except (InvalidTag, ValueError) as exc:
            raise CryptoError("the sealed value could not be opened with the office key (解密失败); "
                              "check that MIJIAN_HOME is the office's own") from exc

    def sign(self, data: bytes) -> bytes:
        """Ed25519 signature of ``data`` with the key derived from this master key."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self._subkey("ed25519")).sign(data)

    def verify_signature(self, data: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's Ed25519 signature of ``data``."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        public = Ed25519PrivateKey.from_private_bytes(self._subkey("ed25519")).public_key()
        try:
            public.verify(signature, data)
        except InvalidSignature:
            return False
        return True


def random_password(length: int = 16) -> str:
    """A random password from an unambiguous alphabet (about 93 bits for 16 characters)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def random_token(nbytes: int) -> bytes:
    """``nbytes`` random bytes from the operating system."""
    return secrets.token_bytes(nbytes)


def derived_password(key: OfficeKey, purpose: str, length: int = 24) -> str:
    """A password only the office key can recompute (e.g. the owner password of PDF copies)."""
    digest = key.mac("password/" + purpose, b"")
    return "".join(_PASSWORD_ALPHABET[b % len(_PASSWORD_ALPHABET)] for b in digest[:length])


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class KeyRing:
    """The office keys in ``<home>/keys``: the newest is current, older ones still verify.

    Key files are ``office-<created>-<id>.key`` holding 32 raw bytes, mode 0600. A key file
    readable or writable by group or others makes every call fail closed.
    """

    def __init__(self, home: Path) -> None:
        self.folder = Path(home) / "keys"

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        self._check_folder()
        return sorted(self.folder.glob("office-*.key"))

    def ensure_folder(self) -> None:
        """Create ``keys/`` with mode 0700 on first use; refuse one open to others."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(self.folder, 0o700)
        except FileExistsError:
            pass
        self._check_folder()

    def _check_folder(self) -> None:
        """Refuse a ``keys/`` folder that group or others can enter, list or write (or a link)."""
        st = os.lstat(self.folder)
        if stat.S_ISLNK(st.st_mode) or st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise RegisterError(
                f"{self.folder}: the keys folder is a link or open to others (mode "
                f"{stat.S_IMODE(st.st_mode):o}); expected a folder of mode 700; check who has "
                f"seen the keys, then run 'chmod 700 {self.folder}' (密钥目录权限过宽)")

    def _load(self, path: Path) -> OfficeKey:
        st = path.stat()
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise RegisterError(
                f"{path}: the key file is readable by others (mode {stat.S_IMODE(st.st_mode):o}); "
                f"expected mode 600; run 'chmod 600 {path}' and check who has seen it")
        secret = path.read_bytes()
        if len(secret) != KEY_BYTES:
            raise RegisterError(f"{path}: the key file holds {len(secret)} bytes, expected "
                                f"{KEY_BYTES}; restore it from the office backup")
        created = path.stem.split("-")[1] if path.stem.count("-") >= 2 else ""
        return OfficeKey(key_id=hashlib.sha256(secret).hexdigest()[:8], secret=secret,
                         created=created)

    def keys(self) -> list[OfficeKey]:
        """Every office key, newest first (empty when none was made yet)."""
        return [self._load(p) for p in reversed(self._files())]

    def current(self) -> OfficeKey:
        """The newest key, created (mode 0600) on first use."""
        found = self.keys()
        return found[0] if found else self.create()

    def create(self) -> OfficeKey:
        """Make a new random key and store it with mode 0600; it becomes the current key."""
        import time

        self.ensure_folder()
        existing = len(self._files())
        name = f"office-{time.strftime('%Y%m%dT%H%M%S')}{existing:03d}-{secrets.token_hex(3)}.key"
        path = self.folder / name
        write_secret(path, secrets.token_bytes(KEY_BYTES))
        return self._load(path)


def write_secret(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 (never replacing a file) and write ``data`` durably."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def certificate_subject(pem: bytes, source: str) -> str:
    """Check a recipient's X.509 certificate (PEM) carries an RSA key; return its subject."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    from mijian.pipeline.errors import InputError

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise InputError(f"{source}: public_key is not a PEM X.509 certificate; give the path of "
                         "the recipient's certificate (-----BEGIN CERTIFICATE-----)") from None
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise InputError(f"{source}: the certificate's key is not RSA; CMS envelopes here need an "
                         "RSA certificate; ask the recipient for one")
    return cert.subject.rfc4514_string()


def envelope(data: bytes, certificates: list[bytes]) -> bytes:
    """CMS EnvelopedData (DER, AES-256-CBC) of ``data`` for every certificate (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.ciphers import algorithms
    from cryptography.hazmat.primitives.serialization import pkcs7

    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(data).set_content_encryption_algorithm(
        algorithms.AES256)
    for pem in certificates:
        builder = builder.add_recipient(x509.load_pem_x509_certificate(pem))
    return builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


def open_envelope(der: bytes, certificate: bytes, private_key: bytes) -> bytes:
    """Open a CMS envelope with one recipient's certificate and private key (both PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    try:
        key = serialization.load_pem_private_key(private_key, password=None)
        return pkcs7.pkcs7_decrypt_der(der, x509.load_pem_x509_certificate(certificate), key,  # type: ignore[arg-type]
                                       [])
    except (ValueError, TypeError) as exc:
        raise CryptoError("the envelope could not be opened with the office identity (解密失败); "
                          "it was made for other recipients only") from exc


def office_cms_identity(home: Path) -> tuple[bytes, bytes]:
    """The office's RSA certificate and private key (PEM), created on first use (mode 0600)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder = Path(home) / "keys"
    KeyRing(home).ensure_folder()
    key_path, cert_path = folder / "cms-identity.key", folder / "cms-identity.crt"
    if key_path.exists() and cert_path.exists():
        mode = key_path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise RegisterError(f"{key_path}: the key file is readable by others; expected mode 600; "
                                f"run 'chmod 600 {key_path}'")
        return cert_path.read_bytes(), key_path.read_bytes()
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mijian office")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365 * 30))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    write_secret(key_path, key_pem)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path.write_bytes(cert_pem)
    return cert_pem, key_pem


_ZIP_AES_SALT = 16
_ZIP_AES_ROUNDS = 1000  # fixed by the WinZip AES format; the recipient's password carries the strength


def _zip_aes_keys(password: str, salt: bytes) -> tuple[bytes, bytes, bytes]:
    derived = hashlib.pbkdf2_hmac("sha1", password.encode(), salt, _ZIP_AES_ROUNDS, 66)
    return derived[:32], derived[32:64], derived[64:]


def _zip_aes_ctr(key: bytes, data: bytes) -> bytes:
    """AES-256 in the little-endian counter mode of WinZip AES (counter starts at 1), a
    megabyte at a time (the key stream is the encrypted counter blocks)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    out = bytearray()
    step = 1 << 20
    for start in range(0, len(data), step):
        chunk = data[start:start + step]
        first = start // 16 + 1
        counters = b"".join(i.to_bytes(16, "little") for i in range(first, first + (len(chunk) + 15) // 16))
        stream = encryptor.update(counters)[:len(chunk)]
        out += (int.from_bytes(chunk, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(chunk), "big")
    return bytes(out)


def zip_aes_encrypt(data: bytes, password: str) -> bytes:
    """The WinZip AES-256 (AE-2) payload of one zip member's (compressed) ``data``: salt,
    password check, ciphertext and HMAC-SHA1 code, as 7-Zip and WinZip open it."""
    salt = secrets.token_bytes(_ZIP_AES_SALT)
    key, auth, check = _zip_aes_keys(password, salt)
    sealed = _zip_aes_ctr(key, data)
    return salt + check + sealed + hmac.new(auth, sealed, hashlib.sha1).digest()[:10]


def zip_aes_decrypt(payload: bytes, password: str) -> bytes:
    """The data of a WinZip AES-256 payload; :class:`CryptoError` for a wrong password or
    an altered payload."""
    if len(payload) < _ZIP_AES_SALT + 12:
        raise CryptoError("the encrypted member is truncated (解密失败); expected a whole copy; "
                          "obtain the copy as issued")
    salt, check = payload[:_ZIP_AES_SALT], payload[_ZIP_AES_SALT:_ZIP_AES_SALT + 2]
    sealed, code = payload[_ZIP_AES_SALT + 2:-10], payload[-10:]
    key, auth, expected = _zip_aes_keys(password, salt)
    if not hmac.compare_digest(check, expected) or not hmac.compare_digest(
            code, hmac.new(auth, sealed, hashlib.sha1).digest()[:10]):
        raise CryptoError("the password does not open the copy, or the copy was altered "
                          "(解密失败); expected the recipient's password; check the password")
    return _zip_aes_ctr(key, sealed)
