"""Project Wycheproof's JOSE vectors (see tests/vectors/wycheproof/README.md)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from support import VECTORS, load_vectors

from minijwt import ALGORITHMS, JWK, JWKSet, MiniJWTError, jws

FILES = {
    "json_web_signature_test.json": "8e687a06fe8359f4ec51480f1a9f73c8faebd6f4c01b818b843b44eee54fd5d9",
    "json_web_key_test.json": "be983255bce26406f97020ec5458b33930a90d5f868e604fcd569c300aba2862",
    "json_web_crypto_test.json": "dcd58ac9548a7d6173437a691e4cc307dcd3cec9fd814a39cd2a94531cf4f8ce",
}

# Mislabelled cases (README.md beside the data says why each is wrong).
KNOWN_DEFECTS = {"json_web_signature_test.json": {346, 347, 350, 351, 367, 370, 372, 373}}


def _cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for name in FILES:
        for group in load_vectors(f"wycheproof/{name}")["testGroups"]:
            if group["comment"].startswith("jwe"):
                continue  # encryption: out of scope
            cases.extend((name, group, test) for test in group["tests"])
    return cases


CASES = _cases()


@pytest.mark.parametrize("name", sorted(FILES))
def test_files_are_the_pinned_ones(name: str) -> None:
    digest = hashlib.sha256((VECTORS / "wycheproof" / name).read_bytes()).hexdigest()
    assert digest == FILES[name]


def _accepts(group: dict[str, Any], token: str) -> bool:
    member = group.get("public") or group["private"]
    try:
        key: JWK | JWKSet = JWKSet.from_dict(member) if "keys" in member else JWK.from_dict(member)
        # A key that names its algorithm is used with that one alone; otherwise any.
        pinned = key.alg if isinstance(key, JWK) else None
        available = [name for name, row in ALGORITHMS.items() if row.available]
        algorithms = [pinned] if pinned is not None and pinned in ALGORITHMS else available
        jws.verify(token, key, algorithms=algorithms)
    except MiniJWTError:
        return False
    return True


@pytest.mark.parametrize(
    ("name", "group", "test"), CASES, ids=[f"{name.split('_test')[0]}-{test['tcId']}" for name, _, test in CASES]
)
def test_vector(name: str, group: dict[str, Any], test: dict[str, Any]) -> None:
    expected = test["result"] == "valid"
    if test["tcId"] in KNOWN_DEFECTS.get(name, set()):
        expected = not expected
    assert _accepts(group, test["jws"]) == expected, test["comment"]


def test_every_jws_case_ran() -> None:
    assert len(CASES) == 401 + 26 + 49
