"""``sign``, ``verify`` and ``inspect``: the everyday chores around tokens."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import sys
import time
from typing import Any

import minijwt

from ._common import (
    EXIT_OK,
    EXIT_REJECTED,
    Rejected,
    algorithms,
    duration,
    emit,
    fail,
    load_key_file,
    print_json,
    printable,
    read_file,
    read_token,
    signing_jwk,
)

SIGN_HELP = """\
Sign a JWT and print it. `iat` is set to now unless the claims hold one;
--expires-in sets `exp` from it and --not-before sets `nbf` from now. Claims
given explicitly (--claims, --claim) are never overwritten: an `exp` in the
past is signed as given. --claim values are JSON when they parse as JSON,
strings otherwise. The header carries the kid: --kid, or the key's RFC 7638
thumbprint, the kid `minijwt jwks` publishes for the same key; and its typ:
JWT, or --typ (at+jwt for an RFC 9068 access token, which also needs iss,
aud, sub, exp, jti and client_id).

example:
  minijwt sign --key private.key --alg RS256 --sub alice --aud orders-api --expires-in 1h
  minijwt sign --key secret.txt --alg HS256 --claim role=admin --claim 'scope="a b"'
  minijwt sign --key private.key --alg RS256 --typ at+jwt --iss https://login.example \\
      --aud orders-api --sub alice --claim client_id=app --jti --expires-in 5m
"""
VERIFY_HELP = """\
Verify a token and print its claims. The key comes from a key file, a JWK Set
(URL or file), or the issuer's OpenID configuration (--issuer, which also
checks `iss`). A rejected token prints its error code and message and exits 1
(with --json, a JSON object with `code` and `message` on stdout).

example:
  minijwt verify "$TOKEN" --key public.key --alg RS256 --aud orders-api
  minijwt verify - --jwks http://127.0.0.1:4000/jwks.json --alg RS256 --iss http://127.0.0.1:4000 < token.txt
"""
INSPECT_HELP = """\
Show a token's header and claims WITHOUT verifying anything: for debugging
only. Times are shown as UTC dates and relative to now.

example:
  minijwt inspect "$TOKEN"
"""


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``sign``, ``verify`` and ``inspect``."""
    raw = argparse.RawDescriptionHelpFormatter
    sign = commands.add_parser("sign", help="sign a JWT", description=SIGN_HELP, formatter_class=raw)
    sign.add_argument("--key", metavar="FILE", required=True, help="the private key or HMAC secret file")
    sign.add_argument("--alg", required=True, help="the algorithm, e.g. RS256")
    sign.add_argument("--claims", metavar="JSON", help="the claims as a JSON object, or @file.json")
    sign.add_argument("--claim", metavar="K=V", action="append", default=[], help="one claim (repeatable)")
    sign.add_argument("--expires-in", metavar="DURATION", type=duration, help="lifetime: 3600, 90s, 30m, 1h, 7d")
    sign.add_argument("--not-before", metavar="DURATION", type=duration, help="valid from now + this")
    sign.add_argument("--kid", help="the key ID in the header (default: the key's thumbprint)")
    sign.add_argument("--typ", help="the typ header (default: JWT), e.g. at+jwt for an access token")
    sign.add_argument("--iss", help="the issuer claim")
    sign.add_argument("--sub", help="the subject claim")
    sign.add_argument("--aud", action="append", help="an audience (repeatable)")
    sign.add_argument("--jti", action="store_true", help="add a random token ID")
    sign.add_argument("--password-file", metavar="FILE", help="the password of an encrypted private key")
    sign.set_defaults(run=sign_command)

    verify = commands.add_parser("verify", help="verify a token", description=VERIFY_HELP, formatter_class=raw)
    verify.add_argument("token", nargs="?", help="the token, or - (the default) to read it from stdin")
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--key", metavar="FILE", help="a key file (public key, certificate, secret, JWK)")
    source.add_argument("--jwks", metavar="URL_OR_FILE", help="a JWK Set, by URL or file")
    source.add_argument("--issuer", metavar="URL", help="find the keys by OpenID discovery, and check iss")
    verify.add_argument("--alg", action="append", help="an accepted algorithm (repeat, or comma-separated)")
    verify.add_argument("--aud", action="append", help="an accepted audience (repeatable)")
    verify.add_argument("--iss", action="append", help="an accepted issuer (repeatable)")
    verify.add_argument("--leeway", type=float, default=0, help="allowed clock skew, in seconds")
    verify.add_argument("--typ", help="the expected typ header, e.g. at+jwt")
    verify.add_argument("--json", action="store_true", help="print the result (or the error) as JSON on stdout")
    verify.add_argument("--password-file", metavar="FILE", help="the password of an encrypted key file")
    verify.set_defaults(run=verify_command)

    inspect = commands.add_parser(
        "inspect", help="show a token without verifying it", description=INSPECT_HELP, formatter_class=raw
    )
    inspect.add_argument("token", nargs="?", help="the token, or - (the default) to read it from stdin")
    inspect.set_defaults(run=inspect_command)


def _claims_argument(value: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    text = read_file(value[1:]).decode("utf-8", "replace") if value.startswith("@") else value
    try:
        claims = json.loads(text)
    except ValueError:
        fail("--claims is not valid JSON")
    if not isinstance(claims, dict):
        fail("--claims must be a JSON object")
    return claims


def _claim_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def build_claims(args: argparse.Namespace, now: int) -> dict[str, Any]:
    """The claim set ``sign`` signs: explicit claims first, then the computed ones where absent."""
    claims = _claims_argument(args.claims)
    for item in args.claim:
        name, equals, value = item.partition("=")
        if not equals or not name:
            fail(f"--claim takes NAME=VALUE, not {item!r}")
        claims[name] = _claim_value(value)
    for name, value in (("iss", args.iss), ("sub", args.sub)):
        if value is not None:
            claims[name] = value
    if args.aud:
        claims["aud"] = args.aud[0] if len(args.aud) == 1 else args.aud
    if args.jti:
        claims["jti"] = secrets.token_urlsafe(16)
    claims.setdefault("iat", now)
    if args.expires_in is not None:
        if "exp" in claims:
            emit("note: the claims hold exp; --expires-in is not applied\n", sys.stderr)
        else:
            iat = claims["iat"]
            if type(iat) not in (int, float):
                fail("iat must be a number to compute exp from --expires-in")
            claims["exp"] = iat + args.expires_in
    if args.not_before is not None and "nbf" not in claims:
        claims["nbf"] = now + args.not_before
    return claims


def sign_command(args: argparse.Namespace) -> int:
    """``minijwt sign``."""
    if args.alg not in minijwt.ALGORITHMS:
        fail(f"unknown algorithm {args.alg!r}; choose from {', '.join(minijwt.ALGORITHMS)}")
    jwk = signing_jwk(args.key, args.password_file, args.kid)
    claims = build_claims(args, int(time.time()))
    headers = {"kid": jwk.kid}
    if args.typ is not None:
        if not args.typ.strip():
            fail("--typ names a media type, e.g. at+jwt; it cannot be empty")
        # RFC 7515 §4.1.9: the type of the whole JWS, which a verifier may
        # require (RFC 8725 §3.11), as RFC 9068 §4 does with at+jwt.
        headers["typ"] = args.typ
    try:
        token = minijwt.encode(claims, jwk.key, args.alg, headers=headers)
    except minijwt.MiniJWTError as exc:
        fail(f"cannot sign: {exc.message}")
    emit(token + "\n")
    return EXIT_OK


def _verification_key(args: argparse.Namespace) -> Any:
    # Which source was given is whichever is not None: an empty value is a
    # refused option (exit 2), not a reason to look at the next source.
    if args.key is not None:
        if not args.key:
            fail("--key is empty: give a key file")
        return load_key_file(args.key, password_file=args.password_file)
    if args.issuer is not None:
        # A URL the client refuses is an InvalidOptionError, said in one line
        # with exit status 2 by the command line's entry point.
        return minijwt.JWKSClient.from_issuer(args.issuer)
    if not args.jwks:
        fail("--jwks is empty: give a URL or a file")
    if args.jwks.startswith(("https://", "http://")):
        try:
            return minijwt.JWKSClient(args.jwks)
        except minijwt.MiniJWTError as exc:
            fail(f"--jwks: {exc.message}")
    try:
        return minijwt.JWKSet.from_json(read_file(args.jwks))
    except minijwt.MiniJWTError as exc:
        fail(f"{args.jwks}: {exc.message}")


def verify_command(args: argparse.Namespace) -> int:
    """``minijwt verify``."""
    names = algorithms(args.alg)
    token = read_token(args.token)
    key = _verification_key(args)
    issuers = list(args.iss or [])
    if args.issuer and args.issuer not in issuers:
        issuers.append(args.issuer)
    unchecked = [name for name, given in (("aud", args.aud), ("iss", issuers)) if not given]
    try:
        verifier = minijwt.JWTVerifier(
            key,
            algorithms=names,
            audience=args.aud or None,
            issuer=issuers or None,
            leeway=args.leeway,
            typ=args.typ,
        )
        claims = verifier.decode(token)
    except minijwt.InvalidTokenError as exc:
        if args.json:
            print_json({"valid": False, "code": exc.code, "message": exc.message})
            return EXIT_REJECTED
        raise Rejected(exc) from None
    except minijwt.JWKSFetchError as exc:
        fail(f"the keys could not be fetched ({exc.reason}): {exc.message}")
    except minijwt.MiniJWTError as exc:
        fail(exc.message)
    if len(unchecked) == 2:
        emit("note: neither aud nor iss was checked (give --aud and --iss)\n", sys.stderr)
    elif unchecked:
        emit(f"note: {unchecked[0]} was not checked (give --{unchecked[0]})\n", sys.stderr)
    if args.json:
        print_json({"valid": True, "claims": claims})
    else:
        print_json(claims)
    return EXIT_OK


def _relative(seconds: float) -> str:
    amount = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if amount >= size:
            return f"{amount / size:.0f} {unit}"
    return f"{amount:.0f} s"


def describe_time(name: str, value: object, now: float) -> str:
    """A time claim as a UTC date and relative to now, in words."""
    if type(value) not in (int, float):
        return "not a number"
    try:
        when = dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")  # type: ignore[arg-type]
    except (OverflowError, ValueError, OSError):
        return "out of range"
    delta = float(value) - now  # type: ignore[arg-type]
    if name == "exp":
        relation = f"expires in {_relative(delta)}" if delta > 0 else f"expired {_relative(delta)} ago"
    elif name == "nbf":
        relation = f"valid in {_relative(delta)}" if delta > 0 else f"valid since {_relative(delta)}"
    else:
        relation = f"issued {_relative(delta)} ago" if delta <= 0 else f"issued {_relative(delta)} in the future"
    return f"{when} ({relation})"


def inspect_command(args: argparse.Namespace) -> int:
    """``minijwt inspect``."""
    token = read_token(args.token)
    parts = token.split(".")
    try:
        header = minijwt.get_unverified_header(token)
    except minijwt.MiniJWTError as exc:
        # The library's words for a misshapen token say what it looks like (a
        # JWE, two tokens pasted together ...); otherwise the header is at fault.
        fail(f"not a compact JWS: {exc.message}" if len(parts) != 3 else f"header: {exc.message}")
    payload = _payload(parts[1])
    emit("NOT VERIFIED: this is what the token says, not what is true.\n\nheader:\n")
    print_json(header)
    emit("\nclaims:\n")
    print_json(payload)
    if isinstance(payload, dict):
        now = time.time()
        times = [(name, payload[name]) for name in ("iat", "nbf", "exp") if name in payload]
        if times:
            emit("\n")
            for name, value in times:
                emit(f"{name}: {describe_time(name, value, now)}\n")
    names = {name: header[name] for name in ("kid", "jku", "x5u", "x5t", "x5t#S256") if name in header}
    named = ", ".join(f"{name} {value!r}" for name, value in names.items()) or "not named"
    emit(f"\nkey: {printable(named)}\n")  # repr() escapes most, printable() owns the rule
    return EXIT_OK


def _payload(segment: str) -> Any:
    import base64

    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        fail("the payload is not base64url")
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
