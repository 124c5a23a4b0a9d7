"""Finding an issuer's JWK Set URL in its metadata: OIDC Discovery 1.0 and RFC 8414.

A client made with ``from_issuer`` knows the issuer only; on its first fetch
it reads the issuer's discovery document and takes the ``jwks_uri`` from it,
after the checks that keep another party's keys out:

- the document is looked for at ``<issuer>/.well-known/openid-configuration``
  (OIDC Discovery 1.0 §4), then at the RFC 8414 §3.1 location;
- its ``issuer`` must equal the expected issuer exactly (OIDC Discovery 1.0
  §4.3, RFC 8414 §3.3), or it describes someone else;
- an ``https`` issuer's ``jwks_uri`` is ``https`` too.

:func:`discover` is the exchange as steps, without I/O: each GET is yielded
as a URL and answered by the client's own fetch, so the thread and asyncio
clients share it.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Generator

from ._http import FetchResult, check_url, status_error, url_option
from ._json import loads
from .errors import DecodeError, InvalidOptionError, JWKSFetchError

__all__ = ["check_issuer", "discover", "discovery_urls"]

#: The longest issuer from a discovery document quoted in a message.
_SHOWN_ISSUER_LENGTH = 200


def check_issuer(issuer: object, *, allow_http: bool) -> str:
    """The issuer option of ``from_issuer``, checked.

    Raises:
        InvalidOptionError: Not a string, not a URL keys may come from
            (``check_url``), or with a query or fragment.
    """
    issuer = url_option(issuer, allow_http=allow_http, name="issuer")
    if urllib.parse.urlsplit(issuer)[3:] != ("", ""):
        raise InvalidOptionError("issuer: an issuer identifier has no query or fragment (RFC 8414 §2)")
    return issuer


def discovery_urls(issuer: str) -> tuple[str, ...]:
    """Where an issuer's metadata may be: OIDC Discovery 1.0 §4, then RFC 8414 §3.1.

    Example:
        >>> for url in discovery_urls("https://as.example/tenant1"):
        ...     print(url)
        https://as.example/tenant1/.well-known/openid-configuration
        https://as.example/.well-known/oauth-authorization-server/tenant1
    """
    oidc = issuer.rstrip("/") + "/.well-known/openid-configuration"
    parts = urllib.parse.urlsplit(issuer)
    # RFC 8414 §3.1: the well-known segment goes between host and path, the path's final "/" removed.
    path = "/.well-known/oauth-authorization-server" + parts.path.rstrip("/")
    rfc8414 = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return (oidc, rfc8414)


def discover(issuer: str, *, allow_http: bool) -> Generator[str, FetchResult, str]:
    """The discovery exchange: yields each URL to GET, is sent the answer, returns the ``jwks_uri``.

    Raises:
        JWKSFetchError: No document was found (the last failure's reason),
            or the one found names another issuer (``"issuer_mismatch"``),
            has no ``jwks_uri`` (``"not_jwks"``), or one keys must not come
            from (``"insecure_url"``).
    """
    failure = JWKSFetchError("no discovery document was found", reason="status")
    for url in discovery_urls(issuer):
        status, _, body = yield url
        if status != 200:
            failure = status_error(status)
            continue  # try the RFC 8414 location
        try:
            document = loads(body, "discovery document")
        except DecodeError:
            document = None
        if type(document) is not dict:
            failure = JWKSFetchError("the discovery document is not a JSON object", reason="not_json")
            continue
        # OIDC Discovery 1.0 §4.3, RFC 8414 §3.3: the same issuer, exactly, or
        # the document (and the keys it points to) may be another issuer's.
        named = document.get("issuer")
        if named != issuer:
            raise JWKSFetchError(
                f"the discovery document names {_issuer_named(named)}, not the expected issuer {issuer!r}",
                reason="issuer_mismatch",
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise JWKSFetchError("the discovery document has no 'jwks_uri'", reason="not_jwks")
        # An https issuer's keys come over https too, whatever allow_http
        # says: otherwise its document could send the client, with its
        # custom headers, to plain http (a loopback port, say).
        if _scheme(issuer) == "https" and _scheme(jwks_uri) != "https":
            raise JWKSFetchError(
                "the discovery document of an https issuer names a jwks_uri that is not https",
                reason="insecure_url",
            )
        check_url(jwks_uri, allow_http=allow_http)
        return jwks_uri
    raise failure


def _scheme(url: str) -> str:
    return urllib.parse.urlsplit(url).scheme.lower()


def _issuer_named(value: object) -> str:
    """What a discovery document's ``issuer`` member is, in words safe for a log line.

    The document comes from the network: the value is quoted with :func:`repr`
    (which escapes line breaks and other control characters, so it cannot
    forge a log line) and cut to a sane length.
    """
    if value is None:
        return "no issuer"
    if not isinstance(value, str):
        return f"an issuer that is not a string ({type(value).__name__})"
    if len(value) > _SHOWN_ISSUER_LENGTH:
        return f"the issuer {value[:_SHOWN_ISSUER_LENGTH]!r}... ({len(value)} characters)"
    return f"the issuer {value!r}"
