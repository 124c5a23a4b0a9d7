"""DPoP proofs made by independent implementations verify here: jwcrypto (by hand) and Node's jose (SignJWT).

For ES256, RS256, PS256 and EdDSA. The Node side is ``tests/interop/node``
(jose pinned in its package.json and lock); it is installed with ``npm ci``
into a temporary folder, and the Node cases skip, saying why, where Node or
npm is missing or the install fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

import minijwt
from minijwt._dpop import access_token_hash
from minijwt.dpop import DPoPVerifier

jwcrypto_jwk = pytest.importorskip("jwcrypto.jwk")
jwcrypto_jws = pytest.importorskip("jwcrypto.jws")

NODE_PROJECT = Path(__file__).resolve().parent / "interop" / "node"
ALGORITHMS = ["ES256", "RS256", "PS256", "EdDSA"]
URL = "https://api.example/orders"
TOKEN = "an.access.token"


def check(proof: str, jkt: str, alg: str) -> None:
    result = DPoPVerifier(algorithms=[alg]).verify(proof, method="GET", url=URL, access_token=TOKEN, cnf_jkt=jkt)
    assert result.jkt == jkt
    assert result.header["alg"] == alg


def _jwcrypto_key(alg: str) -> Any:
    if alg == "ES256":
        return jwcrypto_jwk.JWK.generate(kty="EC", crv="P-256")
    if alg == "EdDSA":
        return jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519")
    return jwcrypto_jwk.JWK.generate(kty="RSA", size=2048)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_proof_built_by_hand_with_jwcrypto_verifies(alg: str) -> None:
    key = _jwcrypto_key(alg)
    public = json.loads(key.export_public())
    claims = {
        "jti": str(uuid.uuid4()),
        "htm": "GET",
        "htu": URL,
        "iat": int(time.time()),
        "ath": access_token_hash(TOKEN),
    }
    signer = jwcrypto_jws.JWS(json.dumps(claims).encode())
    signer.add_signature(key, alg=alg, protected=json.dumps({"alg": alg, "typ": "dpop+jwt", "jwk": public}))
    proof = signer.serialize(compact=True)
    check(proof, key.thumbprint(), alg)


@pytest.fixture(scope="module")
def node_jose(tmp_path_factory: pytest.TempPathFactory) -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not installed: the jose interop cases need them")
    folder = tmp_path_factory.mktemp("node-jose")
    for name in ("package.json", "package-lock.json", "dpop_proof.mjs"):
        shutil.copy(NODE_PROJECT / name, folder / name)
    installed = subprocess.run(  # noqa: S603 - npm from PATH, the lock file's packages only
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if installed.returncode != 0:
        pytest.skip(f"npm ci could not install jose (offline?): {installed.stderr.strip()[-200:]}")
    return folder


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_proof_made_by_nodes_jose_verifies(node_jose: Path, alg: str) -> None:
    node = shutil.which("node")
    assert node is not None
    made = subprocess.run(  # noqa: S603 - the interop script, with fixed arguments
        [node, "dpop_proof.mjs", alg, "GET", URL, access_token_hash(TOKEN)],
        cwd=node_jose,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(made.stdout)
    check(answer["proof"], answer["jkt"], alg)
    # And refused for any other request.
    with pytest.raises(minijwt.InvalidDPoPProofError):
        DPoPVerifier(algorithms=[alg]).verify(answer["proof"], method="POST", url=URL)


def test_the_thumbprint_a_proof_is_bound_by_is_rfc_7638s() -> None:
    # RFC 7638 §3.1's example key (RFC 7517 Appendix A.1's RSA key) and its
    # thumbprint: the jkt DPoPVerifier computes for a proof's key.
    from support import load_vectors

    from minijwt._embedded import embedded_thumbprint

    vectors = load_vectors("rfc7517.json")
    rsa = next(key for key in vectors["A.1"]["keys"] if key["kty"] == "RSA")
    expected = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert expected in vectors["A.1_thumbprints_sha256"]
    assert embedded_thumbprint(minijwt.JWK.from_dict(rsa).key) == expected
