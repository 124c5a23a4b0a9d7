"""``FakeIssuer``: an authorization server for tests, with its keys, its tokens and its faults."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from types import MappingProxyType
from typing import Any, Final, Literal, cast

from cryptography.hazmat.primitives import serialization

import minijwt
from minijwt.errors import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidOptionError,
    InvalidSignatureError,
    InvalidTokenError,
    KeyNotFoundError,
    MissingRequiredClaimError,
)
from minijwt.jwks_client import AsyncFetch, Fetch, JWKSClient

from ._dpop_client import DPoPClient
from ._keys import KeyMaker, signing_algorithm

__all__ = ["BAD_TOKEN_KINDS", "FakeIssuer", "afetch_from", "fetch_from"]

#: Each kind of :meth:`FakeIssuer.bad_token`, with the error class it raises
#: when verified by :meth:`FakeIssuer.verifier` and the HTTP status a
#: middleware built on that verifier answers.
BAD_TOKEN_KINDS: Final[Mapping[str, tuple[type[InvalidTokenError], int]]] = MappingProxyType(
    {
        "expired": (ExpiredSignatureError, 401),
        "not_yet_valid": (ImmatureSignatureError, 401),
        "wrong_audience": (InvalidAudienceError, 401),
        "wrong_issuer": (InvalidIssuerError, 401),
        "other_key_same_kid": (InvalidSignatureError, 401),
        "unknown_kid": (KeyNotFoundError, 401),
        "alg_none": (InvalidAlgorithmError, 401),
        "hs256_with_public_key": (InvalidAlgorithmError, 401),
        "tampered": (InvalidSignatureError, 401),
        "missing_exp": (MissingRequiredClaimError, 401),
    }
)

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
JWKS_SUFFIX = "/.well-known/jwks.json"
_JSON = "application/json"
# What `minijwt serve-jwks` sends: a verifier may keep the documents 5 minutes.
_CACHE_CONTROL = "public, max-age=300"

#: A response: status, headers, body.
Response = tuple[int, dict[str, str], bytes]


class _Default:
    """The default of an argument that takes its value from the issuer."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return self._text


_AUDIENCE: Any = _Default("<the issuer's audience>")


@dataclass(frozen=True, slots=True)
class _Fault:
    """The failure injected for the next requests: what happens, and how many more times (None: until healed)."""

    kind: Literal["fail", "delay", "malformed", "redirect"]
    remaining: int | None
    status: int = 503
    seconds: float = 0.0
    location: str = ""


def _times(times: object) -> int | None:
    if times is None:
        return None
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise InvalidOptionError("times must be a positive number of requests, or None for every request until heal()")
    return times


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_segment(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


class FakeIssuer:
    """An authorization server for tests: fresh keys, tokens on demand, its JWKS and discovery, and faults.

    Nothing in it bypasses verification: its tokens are real JWTs, its keys
    reach a verifier the way a real issuer's do (discovery, then the JWK Set)
    through :attr:`fetch` or over HTTP (:meth:`serving`), and every check of
    the verifier and the middleware runs on them.

    Args:
        issuer: The issuer identifier: the tokens' ``iss`` and where its
            documents are (``<issuer>/.well-known/openid-configuration`` and
            ``<issuer>/.well-known/jwks.json``).
        alg: The signing algorithm, one with a key pair (``ES256``,
            ``RS256``, ``PS256``, ``EdDSA`` ...).
        audience: The ``aud`` of its tokens and of its :meth:`verifier`.
        kid: The first key's ``kid``; by default ``test-`` and eight hex
            digits (random, or derived from ``seed``).
        seed: Makes every key (each one :meth:`rotate` adds too) and kid the
            same on every run: an int, a str or bytes. By default each
            instance makes fresh keys, so two issuers never share one. A
            seeded RSA key takes about a second to make.
        clock: The time its tokens are issued at, in seconds since the epoch
            (a :class:`FrozenClock`, say); its :meth:`verifier` reads it too.
            The system clock by default.

    Raises:
        InvalidOptionError: An argument is invalid.

    Example:
        >>> from minijwt.testing import FakeIssuer
        >>> fake = FakeIssuer()
        >>> verifier = fake.verifier()
        >>> verifier.decode(fake.token("alice", scope=["orders:read", "orders:write"]))["scope"]
        'orders:read orders:write'
        >>> dict(fake.fetches) == {fake.discovery_url: 1, fake.jwks_uri: 1}
        True
    """

    def __init__(
        self,
        issuer: str = "https://issuer.test",
        alg: str = "ES256",
        *,
        audience: str = "api",
        kid: str | None = None,
        seed: int | str | bytes | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Make the first key; nothing is served or sent yet."""
        parts = urllib.parse.urlsplit(issuer) if isinstance(issuer, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise InvalidOptionError("issuer must be an http(s) URL without query or fragment")
        if not isinstance(audience, str) or not audience:
            raise InvalidOptionError("audience must be a non-empty string")
        if kid is not None and (not isinstance(kid, str) or not kid):
            raise InvalidOptionError("kid must be a non-empty string")
        if clock is not None and not callable(clock):
            raise InvalidOptionError("clock must be a function returning seconds since the epoch")
        self._algorithm = signing_algorithm(alg, "a fake issuer")
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self._base = issuer.rstrip("/")
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._path = parts.path.rstrip("/")
        self._maker = KeyMaker(self._algorithm, seed)
        first = self._maker.key(kid if kid is not None else self._maker.kid())
        self._lock = threading.Lock()
        self._keys: dict[str, minijwt.JWK] = {first.kid or "": first}
        self._signing = first
        self._fault: _Fault | None = None
        self._fetches: Counter[str] = Counter()
        self._published: tuple[bytes, str] = self._publish()

    # --- what it is ------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        """The issuer identifier, its tokens' ``iss``."""
        return self._issuer

    @property
    def audience(self) -> str:
        """The ``aud`` its tokens carry by default."""
        return self._audience

    @property
    def alg(self) -> str:
        """The algorithm it signs with."""
        return self._algorithm.name

    @property
    def kid(self) -> str:
        """The ``kid`` of the key it signs with now."""
        return self._signing.kid or ""

    @property
    def jwks_uri(self) -> str:
        """The URL of its JWK Set, ``<issuer>/.well-known/jwks.json``."""
        return self._base + JWKS_SUFFIX

    @property
    def discovery_url(self) -> str:
        """The URL of its metadata, ``<issuer>/.well-known/openid-configuration`` (OIDC Discovery 1.0 §4)."""
        return self._base + DISCOVERY_SUFFIX

    @property
    def fetches(self) -> Mapping[str, int]:
        """Requests received per URL, by every route (failed and injected ones too); 0 for a URL never asked for."""
        return MappingProxyType(self._fetches)

    def jwks(self) -> dict[str, Any]:
        """The JWK Set it publishes: the public members of every key it has not retired."""
        with self._lock:
            keys = list(self._keys.values())
        return {"keys": [key.public().to_dict() for key in keys]}

    def discovery(self) -> dict[str, Any]:
        """Its OpenID Provider metadata: ``issuer``, ``jwks_uri``, ``id_token_signing_alg_values_supported``."""
        return {"issuer": self._issuer, "jwks_uri": self.jwks_uri, "id_token_signing_alg_values_supported": [self.alg]}

    def __repr__(self) -> str:
        """``FakeIssuer('<issuer>', '<alg>')``."""
        return f"FakeIssuer({self._issuer!r}, {self.alg!r})"

    # --- tokens ----------------------------------------------------------------------------

    def now(self) -> int:
        """The time its tokens are issued at: its clock's, in whole seconds."""
        return int(self._clock() if self._clock is not None else time.time())

    def token(
        self,
        sub: str = "user",
        *,
        aud: str | Collection[str] | None = _AUDIENCE,
        expires_in: int | None = 300,
        scope: str | Iterable[str] | None = None,
        typ: str | None = None,
        headers: Mapping[str, Any] | None = None,
        dpop_key: DPoPClient | None = None,
        **claims: Any,
    ) -> str:
        """A token signed with the current key: ``iss``, ``sub``, ``aud``, ``iat``, ``exp`` and ``jti`` filled in.

        Args:
            sub: The subject.
            aud: The audience (a string or several); ``None`` leaves ``aud`` out.
            expires_in: Seconds from ``iat`` to ``exp``; ``None`` leaves ``exp`` out.
            scope: Scopes, a string or a list (written space-separated, RFC 8693 §4.2).
            typ: The ``typ`` header; ``"at+jwt"`` with ``client_id=`` makes an
                RFC 9068 access token.
            headers: More header members (``kid`` among them, to name another key).
            dpop_key: A :class:`DPoPClient`: the token is bound to its key (``cnf.jkt``, RFC 9449 §6.1).
            **claims: More claims; they override the ones filled in.

        Returns:
            The compact JWT.

        Raises:
            InvalidOptionError: ``typ="at+jwt"`` without ``client_id``
                (RFC 9068 §2.2 requires it).
        """
        body = self._body(sub, aud=aud, expires_in=expires_in, scope=scope, dpop_key=dpop_key, claims=claims)
        if typ is not None and typ.lower().removeprefix("application/") == "at+jwt" and "client_id" not in body:
            raise InvalidOptionError("an RFC 9068 access token (typ at+jwt) needs client_id= (section 2.2)")
        header: dict[str, Any] = {"kid": self.kid}
        if typ is not None:
            header["typ"] = typ
        header.update(headers or {})
        return minijwt.encode(body, self._signing, self.alg, headers=header)

    def bad_token(self, kind: str, **claims: Any) -> str:
        """A token that :meth:`verifier` must refuse, for the negative cases; :data:`BAD_TOKEN_KINDS` lists them.

        Args:
            kind: ``expired``, ``not_yet_valid``, ``wrong_audience``,
                ``wrong_issuer``, ``other_key_same_kid`` (signed by another key
                under the current ``kid``), ``unknown_kid``, ``alg_none``,
                ``hs256_with_public_key`` (HMAC keyed with the public key's
                PEM: the algorithm-confusion attack), ``tampered`` (a payload
                byte changed after signing) or ``missing_exp``.
            **claims: Claims of the token, as for :meth:`token`.

        Returns:
            The compact JWT.

        Raises:
            InvalidOptionError: ``kind`` is not one of these.
        """
        now = self.now()
        if kind == "expired":
            return self.token(iat=now - 600, exp=now - 300, **claims)
        if kind == "not_yet_valid":
            return self.token(nbf=now + 300, **claims)
        if kind == "wrong_audience":
            return self.token(aud="another-" + self._audience, **claims)
        if kind == "wrong_issuer":
            return self.token(iss=self._base + "/another-issuer", **claims)
        if kind == "missing_exp":
            return self.token(expires_in=None, **claims)
        if kind in ("other_key_same_kid", "unknown_kid"):
            stranger = KeyMaker(self._algorithm, None)
            kid = self.kid if kind == "other_key_same_kid" else "unknown-" + stranger.kid()
            key = stranger.key(kid)
            return self._sign_with(key, kid, claims)
        if kind == "alg_none":
            return self._signing_input("none", self.kid, claims) + "."
        if kind == "hs256_with_public_key":
            pem = cast(Any, self._signing.public().key).public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            signing_input = self._signing_input("HS256", self.kid, claims)
            return signing_input + "." + _b64(hmac.digest(pem, signing_input.encode(), "sha256"))
        if kind == "tampered":
            header, payload, signature = self.token(**claims).split(".")
            body = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            if b'"jti":"' not in body:
                raise InvalidOptionError("a tampered token changes a byte of its jti: leave jti a non-empty string")
            jti = body.index(b'"jti":"') + len(b'"jti":"')  # a hex digit: flip it to another hex digit
            body = body[:jti] + (b"0" if body[jti : jti + 1] != b"0" else b"1") + body[jti + 1 :]
            return f"{header}.{_b64(body)}.{signature}"
        raise InvalidOptionError(f"unknown bad token kind; the kinds are {', '.join(BAD_TOKEN_KINDS)}")

    def _body(
        self,
        sub: str = "user",
        *,
        aud: str | Collection[str] | None = _AUDIENCE,
        expires_in: int | None = 300,
        scope: str | Iterable[str] | None = None,
        dpop_key: DPoPClient | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A token's claims: the registered ones filled in, then ``claims`` over them (as :meth:`token` documents)."""
        now = self.now()
        body: dict[str, Any] = {"iss": self._issuer, "sub": sub}
        if aud is _AUDIENCE:
            body["aud"] = self._audience
        elif aud is not None:
            body["aud"] = aud if isinstance(aud, str) else list(aud)
        body["iat"] = now
        if expires_in is not None:
            body["exp"] = now + expires_in
        body["jti"] = secrets.token_hex(16)
        if scope is not None:
            body["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        if dpop_key is not None:
            body["cnf"] = {"jkt": dpop_key.jkt}
        body.update(claims or {})
        return body

    def _signing_input(self, alg: str, kid: str, claims: Mapping[str, Any]) -> str:
        return _json_segment({"alg": alg, "kid": kid}) + "." + _json_segment(self._body(claims=claims))

    def _sign_with(self, key: minijwt.JWK, kid: str, claims: Mapping[str, Any]) -> str:
        return minijwt.encode(self._body(claims=claims), key, self.alg, headers={"kid": kid})

    def verifier(self, **options: Any) -> minijwt.JWTVerifier:
        """A verifier configured for this issuer, the way an application configures one.

        Its keys come from this issuer by discovery, through :attr:`fetch`
        (no socket); it expects this ``issuer`` and ``audience``, accepts
        :attr:`alg`, requires ``exp``, and reads this issuer's clock.

        Args:
            **options: :class:`~minijwt.JWTVerifier` options, overriding these.

        Returns:
            A new :class:`~minijwt.JWTVerifier`, with its own JWKS client.
        """
        client = JWKSClient.from_issuer(
            self._issuer, fetch=self.fetch, allow_http=self._origin.startswith("http:"), clock=self._clock
        )
        settings: dict[str, Any] = {
            "algorithms": [self.alg],
            "issuer": self._issuer,
            "audience": self._audience,
            "require": ["exp"],
            "clock": self._clock,
            **options,
        }
        return minijwt.JWTVerifier(client, **settings)

    # --- keys over time --------------------------------------------------------------------

    def rotate(self) -> str:
        """Make a new key and sign with it from now on; the old ones stay published. Returns its ``kid``."""
        key = self._maker.key(self._maker.kid())
        with self._lock:
            self._keys[key.kid or ""] = key
            self._signing = key
            self._published = self._publish()
        return key.kid or ""

    def retire(self, kid: str) -> None:
        """Stop publishing the key ``kid`` (tokens it signed stop verifying once verifiers look again).

        Raises:
            InvalidOptionError: No published key has this ``kid``.
        """
        with self._lock:
            if kid not in self._keys:
                raise InvalidOptionError("no published key has this kid")
            del self._keys[kid]
            self._published = self._publish()

    def _publish(self) -> tuple[bytes, str]:
        body = json.dumps({"keys": [key.public().to_dict() for key in self._keys.values()]}).encode()
        return body, '"' + _b64(hashlib.sha256(body).digest()[:16]) + '"'

    # --- faults ----------------------------------------------------------------------------

    def fail(self, status: int = 503, times: int | None = 1) -> None:
        """Answer the next ``times`` requests (``None``: all, until :meth:`heal`) with ``status`` and no document."""
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise InvalidOptionError("status must be an HTTP error status, 400 to 599")
        self._inject(_Fault("fail", _times(times), status=status))

    def delay(self, seconds: float, times: int | None = 1) -> None:
        """Answer the next ``times`` requests after ``seconds`` (a real sleep).

        Through :attr:`fetch` and :attr:`afetch`, a delay as long as the
        client's ``timeout`` or longer is that timeout: ``TimeoutError``
        after ``timeout`` seconds, which the client reports as a
        ``timeout`` failure.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < 3600:
            raise InvalidOptionError("seconds must be a number from 0 to 3600")
        self._inject(_Fault("delay", _times(times), seconds=float(seconds)))

    def serve_malformed(self, times: int | None = 1) -> None:
        """Answer the next ``times`` requests with ``200`` and a body that is not JSON."""
        self._inject(_Fault("malformed", _times(times)))

    def redirect_to(self, url: str, times: int | None = 1) -> None:
        """Answer the next ``times`` requests with ``302`` to ``url`` (a JWKS client follows no redirect)."""
        if not isinstance(url, str) or not url:
            raise InvalidOptionError("url must be a non-empty string")
        self._inject(_Fault("redirect", _times(times), location=url))

    def heal(self) -> None:
        """End every injected failure."""
        with self._lock:
            self._fault = None

    def _inject(self, fault: _Fault) -> None:
        with self._lock:
            self._fault = fault  # a new injection replaces the one in force

    def _received(self, url: str) -> _Fault | None:
        """Count a request, and take one use of the fault in force."""
        with self._lock:
            self._fetches[url] += 1
            fault = self._fault
            if fault is not None and fault.remaining is not None:
                self._fault = None if fault.remaining <= 1 else replace(fault, remaining=fault.remaining - 1)
            return fault

    # --- answering -------------------------------------------------------------------------

    def _answer(self, method: str, path: str, headers: Mapping[str, str], fault: _Fault | None) -> Response:
        """The answer to a request for ``path`` on this issuer's host, once any delay is over."""
        if fault is not None and fault.kind == "fail":
            return fault.status, {"Content-Type": _JSON}, b'{"error":"injected failure"}'
        if fault is not None and fault.kind == "malformed":
            return 200, {"Content-Type": _JSON, "Cache-Control": _CACHE_CONTROL}, b"{this is not JSON"
        if fault is not None and fault.kind == "redirect":
            return 302, {"Location": fault.location}, b""
        if method not in ("GET", "HEAD"):
            return 405, {"Allow": "GET, HEAD", "Content-Type": _JSON}, b'{"error":"method not allowed"}'
        if path == self._path + JWKS_SUFFIX:
            body, etag = self._published
            cache = {"ETag": etag, "Cache-Control": _CACHE_CONTROL}
            wanted = next((value for name, value in headers.items() if name.lower() == "if-none-match"), "")
            if etag in (tag.strip() for tag in wanted.split(",")):
                return 304, cache, b""
            return 200, {"Content-Type": _JSON, **cache}, body
        if path == self._path + DISCOVERY_SUFFIX:
            return 200, {"Content-Type": _JSON, "Cache-Control": _CACHE_CONTROL}, json.dumps(self.discovery()).encode()
        return 404, {"Content-Type": _JSON}, b'{"error":"not found"}'

    def _route(self, url: str) -> str | None:
        """The path of ``url`` when it is on this issuer's origin."""
        parts = urllib.parse.urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self._origin:
            return None
        return parts.path

    def fetch(self, url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Response:
        """A ``fetch=`` for :class:`~minijwt.JWKSClient` and :class:`~minijwt.MultiIssuerVerifier`: no socket."""
        fault = self._received(url)
        if fault is not None and fault.kind == "delay":
            if fault.seconds >= timeout:
                time.sleep(timeout)
                raise TimeoutError("the fake issuer's injected delay outlasted the timeout")
            time.sleep(fault.seconds)
            fault = None
        path = self._route(url)
        if path is None:
            return 404, {"Content-Type": _JSON}, b'{"error":"not this issuer"}'
        return self._answer("GET", path, headers, fault)

    async def afetch(self, url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Response:
        """The coroutine form of :meth:`fetch`, for :class:`~minijwt.AsyncJWKSClient`."""
        fault = self._received(url)
        if fault is not None and fault.kind == "delay":
            if fault.seconds >= timeout:
                await asyncio.sleep(timeout)
                raise TimeoutError("the fake issuer's injected delay outlasted the timeout")
            await asyncio.sleep(fault.seconds)
            fault = None
        path = self._route(url)
        if path is None:
            return 404, {"Content-Type": _JSON}, b'{"error":"not this issuer"}'
        return self._answer("GET", path, headers, fault)

    # --- real HTTP -------------------------------------------------------------------------

    async def asgi_app(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        """This issuer as an ASGI application: its discovery document and JWK Set, with its faults."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", [])}
        host = headers.get("host") or self._origin.partition("://")[2]
        # A server may or may not repeat root_path in path (ASGI servers differ): the full path either way.
        root, path = scope.get("root_path", ""), scope["path"]
        path = path if path.startswith(root) else root + path
        fault = self._received(f"{scope.get('scheme', 'http')}://{host}{path}")
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
            fault = None
        status, answer, body = self._answer(scope["method"], path, headers, fault)
        if scope["method"] == "HEAD":
            body = b""
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer.items()]
        raw.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """This issuer as a WSGI application: its discovery document and JWK Set, with its faults."""
        headers = {
            name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")
        }
        host = headers.get("host") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        fault = self._received(f"{environ.get('wsgi.url_scheme', 'http')}://{host}{path}")
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
            fault = None
        status, answer, body = self._answer(environ.get("REQUEST_METHOD", "GET"), path, headers, fault)
        if environ.get("REQUEST_METHOD") == "HEAD":
            body = b""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:  # a status fail() may inject that has no registered name, 499 say
            phrase = "Error"
        start_response(f"{status} {phrase}", [*answer.items(), ("Content-Length", str(len(body)))])
        return [body]

    @classmethod
    @contextlib.contextmanager
    def serving(
        cls,
        alg: str = "ES256",
        *,
        audience: str = "api",
        kid: str | None = None,
        seed: int | str | bytes | None = None,
        clock: Callable[[], float] | None = None,
    ) -> Iterator[FakeIssuer]:
        """A fake issuer served over HTTP on a free loopback port, its identifier its own URL.

        ``JWKSClient.from_issuer(fake.issuer)`` then works over real HTTP
        (plain ``http`` is accepted for loopback). The server stops when the
        ``with`` block ends.

        Args:
            alg: As for :class:`FakeIssuer`; so are the others.
            audience: The audience.
            kid: The first key's ``kid``.
            seed: Keys the same on every run.
            clock: The clock of its tokens.

        Yields:
            The issuer, ``http://127.0.0.1:<port>``.

        Example:
            >>> from minijwt import JWKSClient
            >>> from minijwt.testing import FakeIssuer
            >>> with FakeIssuer.serving() as fake:
            ...     client = JWKSClient.from_issuer(fake.issuer)
            ...     client.get_signing_key(fake.kid).kid == fake.kid
            True
        """
        from ._server import serve  # the sockets are here only, for the tests that want them

        with serve() as (origin, mount):
            fake = cls(origin, alg, audience=audience, kid=kid, seed=seed, clock=clock)
            mount(fake.wsgi_app)
            yield fake


def _owner(issuers: tuple[FakeIssuer, ...], url: str) -> FakeIssuer | None:
    """The issuer whose documents ``url`` names: same origin, the longest issuer path that is a prefix of it."""
    path = urllib.parse.urlsplit(url).path
    found = [fake for fake in issuers if fake._route(url) is not None and (path + "/").startswith(fake._path + "/")]
    return max(found, key=lambda fake: len(fake._path), default=None)


def fetch_from(*issuers: FakeIssuer) -> Fetch:
    """One ``fetch=`` for several fake issuers, each request routed to its issuer by URL.

    A URL of none of them is answered 404. Each issuer counts its own
    requests in :attr:`FakeIssuer.fetches`.

    Example:
        >>> import minijwt
        >>> from minijwt.testing import FakeIssuer, fetch_from
        >>> a, b = FakeIssuer("https://a.test"), FakeIssuer("https://b.test")
        >>> verifier = minijwt.MultiIssuerVerifier(
        ...     {a.issuer: minijwt.IssuerConfig(audience="api"), b.issuer: minijwt.IssuerConfig(audience="api")},
        ...     algorithms=["ES256"], fetch=fetch_from(a, b),
        ... )
        >>> verifier.decode(b.token("bob"))["iss"]
        'https://b.test'
    """
    if not all(isinstance(fake, FakeIssuer) for fake in issuers):
        raise InvalidOptionError("fetch_from takes FakeIssuer instances")

    def fetch(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Response:
        owner = _owner(issuers, url)
        if owner is None:
            return 404, {"Content-Type": _JSON}, b'{"error":"no fake issuer here"}'
        return owner.fetch(url, headers=headers, timeout=timeout, max_bytes=max_bytes)

    return fetch


def afetch_from(*issuers: FakeIssuer) -> AsyncFetch:
    """The coroutine form of :func:`fetch_from`, for the asynchronous clients."""
    if not all(isinstance(fake, FakeIssuer) for fake in issuers):
        raise InvalidOptionError("afetch_from takes FakeIssuer instances")

    async def afetch(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Response:
        owner = _owner(issuers, url)
        if owner is None:
            return 404, {"Content-Type": _JSON}, b'{"error":"no fake issuer here"}'
        return await owner.afetch(url, headers=headers, timeout=timeout, max_bytes=max_bytes)

    return afetch
