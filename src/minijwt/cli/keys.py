"""``keygen``, ``jwks`` and ``thumbprint``: make keys and publish their public halves."""

from __future__ import annotations

import argparse
import sys

import minijwt

from ._common import EXIT_OK, emit, fail, load_key_file, print_json, write_private, write_public

KEYGEN_HELP = """\
Make a key for an algorithm: RSA (2048 bits unless --bits), EC on the
algorithm's curve, Ed25519 (EdDSA, Ed25519) or Ed448, ML-DSA of the named
parameter set (ML-DSA-44, ML-DSA-65, ML-DSA-87; cryptography 48 or newer), or
a random HMAC secret as long as the hash. PEM by default (an HMAC secret as base64url text), a JWK
with --jwk. Private files are created with mode 0600 and never overwritten
without --force. The kid is the key's RFC 7638 thumbprint unless --kid.

example:
  minijwt keygen --alg RS256 --out private.key --pub public.key
  minijwt keygen --alg ES256 --jwk --kid 2026-12
"""
JWKS_HELP = """\
Print the public JWK Set of one or more keys (only public members, whatever
the files hold). Each key's kid is its RFC 7638 thumbprint, the kid that
`minijwt sign --key` puts in its tokens.

example:
  minijwt jwks --key public.key --key next-public.key > jwks.json
"""
THUMBPRINT_HELP = """\
Print a key's RFC 7638 thumbprint (SHA-256, base64url): the default kid.

example:
  minijwt thumbprint --key private.key
"""


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``keygen``, ``jwks`` and ``thumbprint``."""
    raw = argparse.RawDescriptionHelpFormatter
    keygen = commands.add_parser("keygen", help="make a key", description=KEYGEN_HELP, formatter_class=raw)
    keygen.add_argument(
        "--alg", required=True, help="the algorithm the key is for, e.g. RS256, ES256, EdDSA, ML-DSA-65, HS256"
    )
    keygen.add_argument("--out", metavar="FILE", help="write the private key (or secret) here; stdout if omitted")
    keygen.add_argument("--pub", metavar="FILE", help="also write the public key here")
    keygen.add_argument("--jwk", action="store_true", help="write JWK JSON instead of PEM")
    keygen.add_argument("--bits", type=int, help="RSA modulus size (2048 to 16384; default 2048)")
    keygen.add_argument("--kid", help="the key ID (default: the RFC 7638 thumbprint)")
    keygen.add_argument("--force", action="store_true", help="overwrite existing files")
    keygen.set_defaults(run=keygen_command)

    jwks = commands.add_parser(
        "jwks", help="print the public JWK Set of keys", description=JWKS_HELP, formatter_class=raw
    )
    jwks.add_argument("--key", metavar="FILE", action="append", required=True, help="a key file (repeat for several)")
    jwks.add_argument("--password-file", metavar="FILE", help="the password of encrypted private keys")
    jwks.set_defaults(run=jwks_command)

    thumb = commands.add_parser(
        "thumbprint", help="print a key's RFC 7638 thumbprint", description=THUMBPRINT_HELP, formatter_class=raw
    )
    thumb.add_argument("--key", metavar="FILE", required=True, help="the key file")
    thumb.add_argument("--password-file", metavar="FILE", help="the password of an encrypted private key")
    thumb.set_defaults(run=thumbprint_command)


def _generate(alg: str, bits: int | None) -> minijwt.JWK:
    if alg not in minijwt.ALGORITHMS:
        fail(f"unknown algorithm {alg!r}; choose from {', '.join(minijwt.ALGORITHMS)}")
    row = minijwt.ALGORITHMS[alg]
    if bits is not None and row.kty != "RSA":
        fail("--bits is for RSA keys only")
    if bits is None or bits == 2048:
        return minijwt.JWK.generate(alg)
    if not 2048 <= bits <= 16384:
        fail("--bits must be between 2048 and 16384")
    from cryptography.hazmat.primitives.asymmetric import rsa

    return minijwt.JWK.from_key(rsa.generate_private_key(public_exponent=65537, key_size=bits), alg=alg)


def keygen_command(args: argparse.Namespace) -> int:
    """``minijwt keygen``."""
    jwk = _generate(args.alg, args.bits)
    symmetric = isinstance(jwk.key, minijwt.SecretKey)
    if symmetric and not args.jwk:
        # The file holds base64url text, and that text is the secret as read
        # back (as a jsonwebtoken secret string is): made from as many random
        # bytes as the hash is long, so its thumbprint and kid are the text's.
        text = jwk.to_dict(private=True)["k"].encode()
        jwk = minijwt.JWK.from_key(minijwt.SecretKey(text), alg=args.alg)
    if args.kid:
        jwk = minijwt.JWK(key=jwk.key, kid=args.kid, alg=jwk.alg)
    if symmetric and args.pub:
        fail("an HMAC secret has no public half: there is no --pub for HS* algorithms")
    if args.jwk:
        private = (jwk.to_json(private=True) + "\n").encode()
        public = None if symmetric else (jwk.public().to_json() + "\n").encode()
    elif symmetric:
        assert isinstance(jwk.key, minijwt.SecretKey)
        private = jwk.key.secret + b"\n"
        public = None
    else:
        private, public = jwk.to_pem(private=True), jwk.to_pem()
    if args.out:
        write_private(args.out, private, force=args.force)
        emit(f"wrote {args.out} (kid {jwk.kid})\n", sys.stderr)
    else:
        emit(private.decode())
    if args.pub and public is not None:
        write_public(args.pub, public, force=args.force)
        emit(f"wrote {args.pub}\n", sys.stderr)
    return EXIT_OK


def public_jwks(paths: list[str], password_file: str | None, *, interactive: bool = True) -> dict[str, object]:
    """The public JWK Set of key files, each key's kid its thumbprint (a password asked only if ``interactive``)."""
    keys = []
    for path in paths:
        jwk = load_key_file(path, password_file=password_file, interactive=interactive)
        if isinstance(jwk.key, minijwt.SecretKey):
            fail(f"{path} is an HMAC secret: a shared secret is never published in a JWK Set")
        public = jwk.public()
        keys.append(minijwt.JWK(key=public.key, kid=jwk.kid or public.thumbprint(), alg=jwk.alg, use="sig"))
    return minijwt.JWKSet(keys).to_dict()


def jwks_command(args: argparse.Namespace) -> int:
    """``minijwt jwks``."""
    print_json(public_jwks(args.key, args.password_file))
    return EXIT_OK


def thumbprint_command(args: argparse.Namespace) -> int:
    """``minijwt thumbprint``."""
    emit(load_key_file(args.key, password_file=args.password_file).thumbprint() + "\n")
    return EXIT_OK
