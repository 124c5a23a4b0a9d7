"""Which issuer a token belongs to, read before any I/O: the routing rules of the multi-issuer verifier.

Pure functions of the unverified claims and the configuration: the ``iss``
text, tenant templates (``{tenantid}``, the token's ``tid``), the issuer
identifiers a token's author may choose (and so may not point anywhere), and
the ``issuer`` member some identity providers write into their JWKs.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Callable, Collection, Mapping
from typing import Any

from .errors import InvalidIssuerError, InvalidOptionError, MissingRequiredClaimError

__all__ = [
    "MAX_ISSUER_LENGTH",
    "TENANT",
    "check_dynamic_issuer",
    "check_template",
    "fetched_url_problem",
    "issuer_member_matches",
    "match_template",
    "tenant_rule",
    "token_issuer",
]

#: The longest ``iss`` a token may carry to be routed.
MAX_ISSUER_LENGTH = 2048
#: The placeholder of a tenant template, as Microsoft Entra writes it.
TENANT = "{tenantid}"

# C0 controls, DEL and the C1 controls: never part of an issuer identifier.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A tenant id is a GUID in lower case (RFC 9562 §4 text form); "common",
# "organizations" and "consumers" are not tenants and never match.
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def token_issuer(claims: Mapping[str, Any]) -> str:
    """The token's ``iss``, checked as routing text (not yet trusted: the signature is checked later).

    Raises:
        MissingRequiredClaimError: The token has no ``iss``.
        InvalidIssuerError: ``iss`` is not a non-empty string of at most
            :data:`MAX_ISSUER_LENGTH` characters without control characters.

    Example:
        >>> token_issuer({"iss": "https://login.example"})
        'https://login.example'
    """
    iss = claims.get("iss")
    if iss is None:
        raise MissingRequiredClaimError("the token has no 'iss': its issuer cannot be known", claim="iss")
    if type(iss) is not str or not iss or len(iss) > MAX_ISSUER_LENGTH or _CONTROL.search(iss):
        raise InvalidIssuerError(
            f"'iss' must be a non-empty string of at most {MAX_ISSUER_LENGTH} characters without control characters",
            claim="iss",
        )
    return iss


def match_template(iss: str, claims: Mapping[str, Any], templates: Mapping[str, Any]) -> tuple[str, str] | None:
    """The template ``iss`` is an instance of, with the tenant: ``(template, tid)``, or ``None``.

    The tenant is the token's ``tid`` (a lower-case GUID); the issuer must be
    the template with ``tid`` in place of ``{tenantid}``, exactly. One
    dictionary lookup, however many templates there are.

    Example:
        >>> tid = "9188040d-6c67-4c5b-b112-36a304b66dad"
        >>> template = "https://login.example/{tenantid}/v2.0"
        >>> match_template(f"https://login.example/{tid}/v2.0", {"tid": tid}, {template: None})
        ('https://login.example/{tenantid}/v2.0', '9188040d-6c67-4c5b-b112-36a304b66dad')
        >>> match_template("https://login.example/common/v2.0", {"tid": "common"}, {template: None}) is None
        True
    """
    tid = claims.get("tid")
    if type(tid) is not str or _GUID.fullmatch(tid) is None or tid not in iss:
        return None
    template = iss.replace(tid, TENANT)
    if template not in templates or template.replace(TENANT, tid) != iss:
        return None
    return template, tid


def tenant_rule(template: str, tenants: object) -> Callable[[str], bool]:
    """A template's ``tenants=``: a collection of tenant ids, or a function ``(tid) -> bool``.

    Raises:
        InvalidOptionError: Missing (accepting any tenant must be written as a
            function that says so), or neither a collection of strings nor a
            function.
    """
    if tenants is None:
        raise InvalidOptionError(
            f"{template}: a tenant template needs tenants= (a collection of tenant ids, or a function (tid) -> bool;"
            " to accept any tenant, write lambda tid: True)"
        )
    if callable(tenants):
        return lambda tid: tenants(tid) is True
    if isinstance(tenants, (str, bytes)) or not isinstance(tenants, Collection):
        raise InvalidOptionError(f"{template}: tenants must be a collection of tenant ids or a function")
    allowed = frozenset(tenants)
    if not all(type(tid) is str for tid in allowed):
        raise InvalidOptionError(f"{template}: tenants must hold tenant ids (strings)")
    return allowed.__contains__


def check_template(template: str, *, allow_private_networks: bool) -> None:
    """Refuse, when the verifier is built, a template that could never be a safe issuer.

    Raises:
        InvalidOptionError: More than one ``{tenantid}``, not an ``https`` URL,
            or a host that is a literal address outside the global internet.
    """
    if template.count(TENANT) != 1:
        raise InvalidOptionError(f"{template}: a tenant template holds {TENANT} exactly once")
    sample = template.replace(TENANT, "00000000-0000-0000-0000-000000000000")
    problem = dynamic_issuer_problem(sample, allow_private_networks=allow_private_networks)
    if problem is not None:
        raise InvalidOptionError(f"{template}: {problem}")
    host = urllib.parse.urlsplit(sample).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: its addresses are checked at each connection
    if not allow_private_networks and not (address.is_global and not address.is_multicast):
        raise InvalidOptionError(f"{template}: the host is not a global address")


def dynamic_issuer_problem(iss: str, *, allow_private_networks: bool) -> str | None:
    """Why an issuer a token chose (by a function or a template) may not be contacted, or ``None``.

    RFC 8414 §2: an issuer identifier is an ``https`` URL without query or
    fragment; no user information either, which could make the URL read as
    another host. With ``allow_private_networks``, ``http`` to a loopback
    host is allowed too (for tests).
    """
    try:
        parts = urllib.parse.urlsplit(iss)
        port = parts.port
    except ValueError:
        return "the issuer is not a URL"
    del port  # read only to refuse a malformed port
    host = parts.hostname
    if not host:
        return "the issuer is not a URL with a host"
    if parts.scheme != "https" and not (allow_private_networks and parts.scheme == "http" and _loopback(host)):
        return "the issuer is not an https URL"
    if "@" in parts.netloc:
        return "the issuer holds user information"
    if parts.query or parts.fragment or "?" in iss or "#" in iss:
        return "an issuer identifier has no query or fragment (RFC 8414 section 2)"
    return None


def fetched_url_problem(url: str) -> str | None:
    """Why a URL fetched for an issuer a token chose may not be, or ``None``: ``https`` only, no user information.

    Example:
        >>> fetched_url_problem("https://user@login.example/jwks")
        'the URL holds user information'
    """
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - read to refuse a malformed port
    except ValueError:
        return "the URL is malformed"
    if parts.scheme != "https" or not parts.hostname:
        return "the URL is not https"
    if "@" in parts.netloc:
        return "the URL holds user information"
    return None


def check_dynamic_issuer(iss: str, *, allow_private_networks: bool) -> None:
    """Refuse an issuer a token chose when it may not be contacted.

    Raises:
        InvalidIssuerError: See :func:`dynamic_issuer_problem`.
    """
    problem = dynamic_issuer_problem(iss, allow_private_networks=allow_private_networks)
    if problem is not None:
        raise InvalidIssuerError(f"the token's issuer is refused: {problem}", claim="iss")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def issuer_member_matches(member: object, iss: str, tid: str | None) -> bool:
    """Whether a JWK's ``issuer`` member lets the key verify a token of ``iss``.

    Microsoft Entra writes the member with a literal ``{tenantid}``: the
    token's ``tid`` takes its place before the exact comparison.

    Example:
        >>> tid = "9188040d-6c67-4c5b-b112-36a304b66dad"
        >>> issuer_member_matches("https://login.example/{tenantid}/v2.0", f"https://login.example/{tid}/v2.0", tid)
        True
        >>> issuer_member_matches("https://login.example/a", "https://login.example/b", None)
        False
    """
    if type(member) is not str:
        return False
    if TENANT in member:
        if tid is None:
            return False
        member = member.replace(TENANT, tid)
    return member == iss
