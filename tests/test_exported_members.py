"""The public surface: exactly the documented names, each in the API reference.

Adding a public name means adding it here, to ``__all__`` and to a page of
``docs/api/`` at once; a name that is exported but undocumented (or the
reverse) fails.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
from pathlib import Path

import pytest

import minijwt

API_DOCS = Path(__file__).resolve().parent.parent / "docs" / "api"

ERRORS = {
    "ClaimError",
    "InvalidDPoPProofError",
    "UseDPoPNonceError",
    "DecodeError",
    "EncodeError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidClaimError",
    "InvalidIssuedAtError",
    "InvalidIssuerError",
    "InvalidKeyError",
    "InvalidOptionError",
    "InvalidSignatureError",
    "InvalidSubjectError",
    "InvalidTokenError",
    "InvalidTokenTypeError",
    "JWKSFetchError",
    "KeyNotFoundError",
    "MiniJWTError",
    "MissingRequiredClaimError",
}
PUBLIC: dict[str, set[str]] = {
    "minijwt": {
        *ERRORS,
        "ALGORITHMS",
        "Algorithm",
        "AsyncJWKSClient",
        "AsyncKeySource",
        "CacheInfo",
        "ECKey",
        "JWK",
        "JWKSet",
        "JWKSClient",
        "JWKSStatus",
        "IssuerConfig",
        "JWTVerifier",
        "Key",
        "KeyInput",
        "KeySource",
        "MultiIssuerVerifier",
        "OKPKey",
        "AKPKey",
        "RSAKey",
        "SUPPORTED_ALGORITHMS",
        "SecretKey",
        "SkippedKey",
        "TokenVerifier",
        "VerifiedJWT",
        "__version__",
        "adecode",
        "cache_info",
        "clear_caches",
        "decode",
        "decode_complete",
        "encode",
        "get_unverified_header",
        "jwk",
        "jws",
        "jwt",
        "load_key",
    },
    "minijwt.jws": {
        "DEFAULT_MAX_SIGNATURES",
        "DEFAULT_MAX_TOKEN_SIZE",
        "EmbeddedJWK",
        "SignatureResult",
        "Signer",
        "VerifiedJWS",
        "get_unverified_header",
        "sign",
        "sign_json",
        "verify",
        "verify_complete",
        "verify_json",
    },
    "minijwt.jwt": {"JWTVerifier", "TokenVerifier", "VerifiedJWT", "adecode", "decode", "decode_complete", "encode"},
    "minijwt.multi_issuer": {"IssuerConfig", "MultiIssuerVerifier"},
    "minijwt.dpop": {
        "DPoPResult",
        "DPoPVerifier",
        "HMACNonceSource",
        "MemoryReplayStore",
        "NonceSource",
        "ReplayStore",
    },
    "minijwt.testing": {"BAD_TOKEN_KINDS", "DPoPClient", "FakeIssuer", "FrozenClock", "afetch_from", "fetch_from"},
    "minijwt.testing.pytest_plugin": {"fake_issuer", "frozen_clock"},
    "minijwt.jwk": {"JWK", "JWKSet", "SkippedKey"},
    "minijwt.errors": ERRORS,
    "minijwt.jwks_client": {"AsyncFetch", "AsyncJWKSClient", "Fetch", "JWKSClient", "JWKSStatus", "parse_jwks"},
    "minijwt.asgi": {"JWTAuthMiddleware", "ProtectedResource"},
    "minijwt.wsgi": {"JWTAuthMiddleware", "ProtectedResource"},
    "minijwt.fastapi": {"JWTBearer"},
    "minijwt.flask": {"JWTAuth"},
}

_DIRECTIVE = re.compile(
    r"^\.\. (?:auto(?:function|class|data|exception|attribute|module)|py:data|py:function|module|currentmodule)"
    r"::\s*(\S+)",
    re.MULTILINE,
)


def _documented() -> set[str]:
    """Fully qualified names the API pages document (auto* and py: directives)."""
    names: set[str] = set()
    for page in sorted(API_DOCS.glob("*.rst")):
        current = "minijwt"
        for match in _DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            directive = match.group(0)
            target = match.group(1)
            if "currentmodule::" in directive:
                current = target
                continue
            if "automodule::" in directive or directive.startswith(".. module::"):
                names.add(target)
                continue
            names.add(target if target.startswith("minijwt") else f"{current}.{target}")
    return names


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_all_is_exactly_the_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert set(module.__all__) == PUBLIC[module_name]
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name} is in __all__ but missing"


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_every_public_name_is_in_the_api_reference(module_name: str) -> None:
    documented = _documented()
    module = importlib.import_module(module_name)
    missing = []
    for name in module.__all__:
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            if value.__name__ not in documented:
                missing.append(value.__name__)
            continue
        here = f"{module_name}.{name}"
        # A name re-exported by the package may be documented under minijwt.
        top = f"minijwt.{name}"
        if here not in documented and not (top in documented and getattr(minijwt, name, None) is value):
            missing.append(here)
    assert missing == []


def test_the_reference_documents_nothing_that_is_not_public() -> None:
    public = {f"{module}.{name}" for module, names in PUBLIC.items() for name in names} | set(PUBLIC)
    # Methods and attributes are documented through their class.
    extra = sorted(name for name in _documented() if name not in public)
    assert extra == []


def test_no_private_name_leaks_into_a_public_signature() -> None:
    """Rendered signatures and bases name public classes only.

    A class may share code through a private base only if its page does not
    render its bases (``:no-show-inheritance:``).
    """
    pages = "\n".join(page.read_text(encoding="utf-8") for page in API_DOCS.glob("*.rst"))
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type):
                private = [base.__name__ for base in value.__mro__[1:] if base.__name__.startswith("_")]
                if private:
                    hidden = re.search(rf"\.\. autoclass:: {name}\n(?:   :.*\n)*   :no-show-inheritance:", pages)
                    assert hidden, f"{name} derives from private {private} and its page shows its bases"
            if callable(value):
                try:
                    signature = str(inspect.signature(value))
                except (TypeError, ValueError):
                    continue
                assert "minijwt._" not in signature, f"{name}{signature}"
                assert "_ClaimError" not in signature, f"{name}{signature}"


def test_version_is_a_plain_string() -> None:
    assert isinstance(minijwt.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+", minijwt.__version__)


def test_version_matches_the_installed_distribution() -> None:
    import importlib.metadata

    assert importlib.metadata.version("minijwt") == minijwt.__version__


@pytest.mark.skipif(not __import__("os").environ.get("MINIJWT_TEST_INSTALLED"), reason="only when testing a wheel")
def test_the_installed_copy_is_the_one_tested() -> None:
    """When CI tests the built wheel, minijwt must come from site-packages, not from src/."""
    from pathlib import Path

    location = Path(minijwt.__file__).resolve()
    assert "site-packages" in location.parts
    assert (location.parent / "py.typed").exists()
    assert (location.parent / "cli" / "__main__.py").exists() or (location.parent / "__main__.py").exists()


def test_the_classifiers_match_requires_python() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    floor = project["requires-python"].removeprefix(">=")
    versions = [c.rsplit(" :: ", 1)[1] for c in project["classifiers"] if re.fullmatch(r".*Python :: 3\.\d+", c)]
    assert versions
    assert min(versions, key=lambda v: tuple(map(int, v.split(".")))) == floor
    assert {"Documentation", "Changelog", "Issues"} <= set(project["urls"])
