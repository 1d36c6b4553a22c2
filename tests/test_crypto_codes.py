"""Office keys, crypto recipes and the signed copy codes."""

from __future__ import annotations

import os
import stat

import pytest

from mijian.pipeline.crypto import KeyRing, OfficeKey, derived_password, random_password
from mijian.pipeline.errors import CryptoError, RegisterError
from mijian.watermark.codes import (check_code, find_codes, forgery_probability, make_token,
                             make_visible_code, new_copy_id)


def test_key_created_with_mode_0600_and_reused(tmp_path):
    ring = KeyRing(tmp_path)
    first = ring.current()
    files = list((tmp_path / "keys").glob("*.key"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert ring.current().key_id == first.key_id
    assert first.secret not in repr(first).encode()


def test_key_readable_by_others_is_refused(tmp_path):
    ring = KeyRing(tmp_path)
    ring.current()
    path = next((tmp_path / "keys").glob("*.key"))
    os.chmod(path, 0o644)
    with pytest.raises(RegisterError, match="readable by others"):
        ring.current()


def test_rotation_keeps_old_keys_newest_first(tmp_path):
    ring = KeyRing(tmp_path)
    old = ring.current()
    new = ring.create()
    assert [k.key_id for k in ring.keys()] == [new.key_id, old.key_id]
    assert ring.current().key_id == new.key_id


def test_seal_round_trip_and_tamper_is_opaque():
    key = OfficeKey("k1", bytes(range(32)))
    sealed = key.seal("p", b"secret", b"ctx")
    assert key.unseal("p", sealed, b"ctx") == b"secret"
    with pytest.raises(CryptoError):
        key.unseal("p", sealed, b"other")
    with pytest.raises(CryptoError):
        key.unseal("p", sealed[:-1] + bytes([sealed[-1] ^ 1]), b"ctx")
    with pytest.raises(CryptoError):
        OfficeKey("k2", bytes(32)).unseal("p", sealed, b"ctx")


def test_signatures_verify_only_for_same_key():
    a, b = OfficeKey("a", b"a" * 32), OfficeKey("b", b"b" * 32)
    sig = a.sign(b"event")
    assert a.verify_signature(b"event", sig)
    assert not a.verify_signature(b"evenT", sig)
    assert not b.verify_signature(b"event", sig)


def test_passwords_random_and_derived_stable():
    assert random_password() != random_password()
    assert len(random_password()) == 16
    key = OfficeKey("a", b"a" * 32)
    assert derived_password(key, "x") == derived_password(key, "x")
    assert derived_password(key, "x") != derived_password(OfficeKey("b", b"b" * 32), "x")


@pytest.mark.parametrize("maker,bits", [(make_token, 128), (make_visible_code, 40)])
def test_codes_verify_with_own_key_only(maker, bits):
    key, other = OfficeKey("a", b"a" * 32), OfficeKey("b", b"b" * 32)
    copy_id = new_copy_id(b"\x01\x02\x03\x04\x05\x06\x07\x08")
    code = maker(key, copy_id)
    (found,) = find_codes(f"text before {code} text after")
    good = check_code([key], *found)
    assert good.valid and good.bits == bits and good.copy_id == copy_id
    assert not check_code([other], *found).valid
    # rotation: the old key still verifies when listed after a new one
    assert check_code([other, key], *found).valid


def test_tampered_code_fails_and_paste_noise_tolerated():
    key = OfficeKey("a", b"a" * 32)
    copy_id = new_copy_id(os.urandom(8))
    code = make_visible_code(key, copy_id)
    flipped = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert not check_code([key], *find_codes(flipped)[0]).valid
    noisy = code.replace("-", " ‑ ", 1).lower()
    assert check_code([key], *find_codes(noisy.replace(" ", ""))[0]).valid


def test_forgery_probability():
    assert forgery_probability(40, 1) == pytest.approx(2 ** -40)
    assert forgery_probability(128, 3) < 1e-30
    assert forgery_probability(0, 1) == 1.0


def test_document_keys_are_derived_and_separate() -> None:
    """A document key is a deterministic function of the master key and the document id; codes
    made with it verify under it alone, not under the master or another document's key."""
    master = OfficeKey("k1", bytes(range(32)))
    first, again = master.for_document("DOC-1"), master.for_document("DOC-1")
    other = master.for_document("DOC-2")
    assert first.secret == again.secret and first.key_id == "k1/DOC-1"
    assert len({first.secret, other.secret, master.secret}) == 3
    assert OfficeKey("k2", bytes(32)).for_document("DOC-1").secret != first.secret
    copy_id = new_copy_id(bytes(range(8)))
    for maker in (make_token, make_visible_code):
        found = find_codes(maker(first, copy_id))[0]
        assert check_code([first], *found).valid
        assert not check_code([master, other], *found).valid
    with pytest.raises(ValueError):
        master.for_document("a/b")
    assert "secret" not in repr(first) and repr(bytes(range(32))) not in repr(first)
