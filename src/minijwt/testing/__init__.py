"""Test your own application's token checks for real: a fake issuer, bad tokens on demand, a frozen clock.

Nothing here bypasses verification. A :class:`FakeIssuer` signs real tokens
with keys it made for itself (two issuers never share one), publishes them
the way an identity provider does (discovery, then a JWK Set), and reaches
your verifier through the same ``fetch=`` seam the JWKS clients use in
production, or over real HTTP on a loopback port. Your verifier, your
middleware and your configuration run unchanged.

- :class:`FakeIssuer`: keys, tokens, :meth:`~FakeIssuer.bad_token` for every
  refusal in :data:`BAD_TOKEN_KINDS`, rotation, injected failures, ``fetch``
  and ``afetch``, ASGI and WSGI applications, :meth:`~FakeIssuer.serving`;
- :func:`fetch_from` / :func:`afetch_from`: one fetch for several issuers;
- :class:`DPoPClient`: a DPoP key pair and its proofs (RFC 9449);
- :class:`FrozenClock`: time that moves when a test says so;
- ``minijwt.testing.pytest_plugin``: the ``fake_issuer`` and ``frozen_clock``
  fixtures, opt-in.

``import minijwt`` does not import this package, and it needs no more than
minijwt does (pytest only for its plugin).

Example:
    >>> import minijwt
    >>> from minijwt.testing import BAD_TOKEN_KINDS, FakeIssuer
    >>> fake = FakeIssuer()
    >>> verifier = fake.verifier()
    >>> verifier.decode(fake.token("alice"))["sub"]
    'alice'
    >>> error, status = BAD_TOKEN_KINDS["expired"]
    >>> try:
    ...     verifier.decode(fake.bad_token("expired"))
    ... except error as refused:
    ...     print(refused.code, status)
    token_expired 401
"""

from __future__ import annotations

from ._clock import FrozenClock
from ._dpop_client import DPoPClient
from ._issuer import BAD_TOKEN_KINDS, FakeIssuer, afetch_from, fetch_from

__all__ = ["BAD_TOKEN_KINDS", "DPoPClient", "FakeIssuer", "FrozenClock", "afetch_from", "fetch_from"]
