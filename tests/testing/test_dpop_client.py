"""DPoPClient: proofs any RFC 9449 verifier accepts, for tokens a FakeIssuer binds to its key."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI

import minijwt
from minijwt.dpop import DPoPVerifier
from minijwt.fastapi import JWTBearer
from minijwt.testing import DPoPClient, FakeIssuer, FrozenClock

URL = "https://api.test/orders"


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256", "EdDSA"])
def test_a_proof_verifies_for_its_method_and_url(alg: str) -> None:
    client = DPoPClient(alg)
    proof = client.proof("POST", URL + "?page=2#top")
    header = json.loads(base64.urlsafe_b64decode(proof.split(".")[0] + "=="))
    assert header["typ"] == "dpop+jwt"
    assert header["alg"] == alg
    assert header["jwk"] == client.public_jwk
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(header["jwk"])  # RFC 9449 §4.2: no private member
    result = DPoPVerifier(algorithms=[alg]).verify(proof, method="POST", url=URL)
    assert result.jkt == client.jkt
    assert result.claims["htu"] == URL  # without query and fragment
    with pytest.raises(minijwt.InvalidDPoPProofError):
        DPoPVerifier(algorithms=[alg]).verify(proof, method="GET", url=URL)


def test_a_proof_carries_ath_nonce_iat_and_jti_as_given() -> None:
    client = DPoPClient(clock=FrozenClock())
    proof = client.proof("GET", URL, access_token="tok", nonce="n-1", iat=1_700_000_005, jti="j-1")
    claims = json.loads(base64.urlsafe_b64decode(proof.split(".")[1] + "=="))
    ath = base64.urlsafe_b64encode(hashlib.sha256(b"tok").digest()).rstrip(b"=").decode()
    assert claims == {"jti": "j-1", "htm": "GET", "htu": URL, "iat": 1_700_000_005, "ath": ath, "nonce": "n-1"}
    assert json.loads(base64.urlsafe_b64decode(client.proof("GET", URL).split(".")[1] + "=="))["iat"] == 1_700_000_000
    assert repr(client) == f"DPoPClient('ES256', jkt={client.jkt!r})"
    with pytest.raises(minijwt.InvalidOptionError):
        DPoPClient("HS256")


def test_a_bound_token_and_its_proofs_pass_the_real_middleware() -> None:
    fake, client = FakeIssuer(), DPoPClient()
    app = FastAPI()
    auth = JWTBearer(fake.verifier(), dpop=DPoPVerifier(algorithms=["ES256"]))

    @app.get("/orders")
    def orders(claims: dict[str, Any] = Depends(auth)) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims["sub"]}

    token = fake.token("alice", dpop_key=client)

    async def get(headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://api.test") as http:
            return await http.get("/orders", headers=headers)

    def bound(proof: str) -> dict[str, str]:
        return {"authorization": f"DPoP {token}", "dpop": proof}

    assert asyncio.run(get(bound(client.proof("GET", URL, access_token=token)))).json() == {"sub": "alice"}
    assert asyncio.run(get({"authorization": f"Bearer {token}"})).status_code == 401  # RFC 9449 §7.2
    thief = DPoPClient()
    assert asyncio.run(get(bound(thief.proof("GET", URL, access_token=token)))).status_code == 401
