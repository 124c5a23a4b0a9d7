"""Key files of every type the tests know, loaded or refused alike on every supported cryptography.

The files are in ``vectors/key_files.json`` (made with OpenSSL and OpenSSH;
see its ``source``). Each is loaded with warnings turned into errors: a
dependency's deprecation (DSA, finite-field Diffie-Hellman) must never reach
a user, and each refusal's message is minijwt's own, decided from the input,
so it is the same on the lowest and the newest ``cryptography``.
"""

from __future__ import annotations

import base64
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from minijwt import InvalidKeyError, SecretKey, load_key
from minijwt._keyload import prepare_key

VECTORS = json.loads((Path(__file__).parent / "vectors" / "key_files.json").read_text(encoding="utf-8"))
PASSWORD = VECTORS["password"]
KEYS: list[dict[str, Any]] = VECTORS["keys"]


def _data(entry: dict[str, Any]) -> str | bytes:
    return entry["data"] if entry["form"] == "text" else base64.b64decode(entry["data"])


def _outcome(load: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            key = load()
        except InvalidKeyError as exc:
            return str(exc)
    return f"loads {type(key).__name__}"


@pytest.mark.parametrize("entry", KEYS, ids=[entry["name"] for entry in KEYS])
def test_a_key_file_without_a_password(entry: dict[str, Any]) -> None:
    assert _outcome(lambda: prepare_key(_data(entry))).startswith(entry["without_password"])
    assert _outcome(lambda: load_key(_data(entry))).startswith(entry["without_password"])


@pytest.mark.parametrize("entry", KEYS, ids=[entry["name"] for entry in KEYS])
def test_a_key_file_with_a_password(entry: dict[str, Any]) -> None:
    assert _outcome(lambda: load_key(_data(entry), password=PASSWORD)).startswith(entry["with_password"])


@pytest.mark.parametrize("entry", KEYS, ids=[entry["name"] for entry in KEYS])
def test_a_key_file_is_never_a_secret_in_any_spelling(entry: dict[str, Any]) -> None:
    data = _data(entry)
    raw = data.encode() if isinstance(data, str) else data
    for spelling in (raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"=")):
        outcome = _outcome(lambda spelling=spelling: SecretKey(spelling))
        assert outcome.endswith("it is never used as an HMAC secret"), outcome


def test_the_refusals_name_the_key_type() -> None:
    refused = {entry["name"]: entry["without_password"] for entry in KEYS if "unsupported" in entry["without_password"]}
    assert all("DSA" in message for name, message in refused.items() if name.startswith("dsa"))
    assert refused["dh-private-pem"].startswith("unsupported key type Diffie-Hellman")


def test_an_encrypted_der_key_of_a_deprecated_type_is_refused_without_a_warning() -> None:
    # The DER inside the encrypted DSA PEM: its type shows only once decrypted, so the
    # decryption itself must run with cryptography's deprecation warning silenced.
    entry = next(entry for entry in KEYS if entry["name"] == "dsa-pkcs8-encrypted-pem")
    body = "".join(line for line in entry["data"].splitlines() if line and not line.startswith("-----"))
    der = base64.b64decode(body)
    assert _outcome(lambda: load_key(der, password=PASSWORD)) == _outcome(
        lambda: load_key(entry["data"], password=PASSWORD)
    )
    assert _outcome(lambda: load_key(der, password=PASSWORD)).startswith("unsupported key type DSA")
