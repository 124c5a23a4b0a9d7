"""Every subcommand through its real entry point (``python -m minijwt``), in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import broken_signature, needs_ml_dsa

import minijwt

OPENSSL = shutil.which("openssl")


def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "minijwt", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Key files as openssl and ssh-keygen write them (or as minijwt keygen does, without openssl)."""
    folder = tmp_path_factory.mktemp("keys")
    if OPENSSL:
        for args in (
            ["genrsa", "-out", "rsa.key", "2048"],
            ["rsa", "-in", "rsa.key", "-pubout", "-out", "rsa.pub"],
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key"],
            ["ec", "-in", "ec.key", "-pubout", "-out", "ec.pub"],
            ["genpkey", "-algorithm", "ed25519", "-out", "ed.key"],
            ["pkey", "-in", "ed.key", "-pubout", "-out", "ed.pub"],
            ["genrsa", "-aes256", "-passout", "pass:correct horse", "-out", "encrypted.key", "2048"],
        ):
            subprocess.run([OPENSSL, *args], cwd=folder, check=True, capture_output=True)  # noqa: S603
    else:
        for alg, name in (("RS256", "rsa"), ("ES256", "ec"), ("EdDSA", "ed")):
            assert (
                run("keygen", "--alg", alg, "--out", f"{name}.key", "--pub", f"{name}.pub", cwd=folder).returncode == 0
            )
    (folder / "password.txt").write_text("correct horse\n")
    assert run("keygen", "--alg", "HS256", "--out", "secret.txt", cwd=folder).returncode == 0
    return folder


def sign(keys: Path, key: str, alg: str, *extra: str) -> str:
    result = run("sign", "--key", str(keys / key), "--alg", alg, *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("private", "public", "alg"),
    [
        ("rsa.key", "rsa.pub", "RS256"),
        ("ec.key", "ec.pub", "ES256"),
        ("ed.key", "ed.pub", "EdDSA"),
        ("secret.txt", "secret.txt", "HS256"),
    ],
)
def test_sign_then_verify_with_key_files(keys: Path, private: str, public: str, alg: str) -> None:
    token = sign(keys, private, alg, "--sub", "alice", "--aud", "api", "--iss", "me", "--expires-in", "1h", "--jti")
    result = run("verify", token, "--key", str(keys / public), "--alg", alg, "--aud", "api", "--iss", "me")
    assert result.returncode == 0, result.stderr
    claims = json.loads(result.stdout)
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 3600
    assert isinstance(claims["jti"], str)


@needs_ml_dsa
@pytest.mark.parametrize("alg", ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"])
def test_ml_dsa_keys_through_keygen_sign_verify_jwks_and_thumbprint(tmp_path: Path, alg: str) -> None:
    made = run("keygen", "--alg", alg, "--out", "pq.key", "--pub", "pq.pub", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "pq.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    token = sign(tmp_path, "pq.key", alg, "--sub", "alice", "--aud", "api")
    assert minijwt.get_unverified_header(token)["alg"] == alg
    result = run("verify", token, "--key", str(tmp_path / "pq.pub"), "--alg", alg, "--aud", "api")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sub"] == "alice"
    published = json.loads(run("jwks", "--key", str(tmp_path / "pq.key")).stdout)["keys"]
    assert [(key["kty"], key["alg"], "priv" in key) for key in published] == [("AKP", alg, False)]
    kid = minijwt.get_unverified_header(token)["kid"]
    assert published[0]["kid"] == kid == run("thumbprint", "--key", str(tmp_path / "pq.pub")).stdout.strip()
    # A key of one parameter set never verifies another's algorithm: a usage error, exit 2.
    other = "ML-DSA-65" if alg != "ML-DSA-65" else "ML-DSA-44"
    refused = run("verify", token, "--key", str(tmp_path / "pq.pub"), "--alg", other)
    assert refused.returncode == 2
    assert "no key fits" in one_line(refused.stderr)
    with_jwk = run("keygen", "--alg", alg, "--jwk", cwd=tmp_path)
    assert json.loads(with_jwk.stdout)["kty"] == "AKP"


def test_the_kid_is_the_thumbprint_both_halves_agree(keys: Path) -> None:
    token = sign(keys, "rsa.key", "RS256")
    kid = minijwt.get_unverified_header(token)["kid"]
    assert run("thumbprint", "--key", str(keys / "rsa.pub")).stdout.strip() == kid
    assert run("thumbprint", "--key", str(keys / "rsa.key")).stdout.strip() == kid
    published = json.loads(run("jwks", "--key", str(keys / "rsa.pub"), "--key", str(keys / "ec.key")).stdout)
    assert published["keys"][0]["kid"] == kid
    assert all("d" not in key for key in published["keys"])  # public members only, whatever the file
    assert sign(keys, "rsa.key", "RS256", "--kid", "mine").count(".") == 2
    assert minijwt.get_unverified_header(sign(keys, "rsa.key", "RS256", "--kid", "mine"))["kid"] == "mine"


def test_claims_are_signed_as_given(keys: Path) -> None:
    token = sign(
        keys,
        "secret.txt",
        "HS256",
        "--claims",
        '{"exp": 1, "role": "x"}',
        "--claim",
        "n=5",
        "--claim",
        "tags=[1,2]",
        "--claim",
        "name=bob",
        "--expires-in",
        "30m",
    )
    payload = json.loads(run("inspect", token).stdout.split("claims:\n", 1)[1].split("\n\n", 1)[0])
    assert payload["exp"] == 1  # an explicit exp in the past is signed as given
    assert payload["n"] == 5
    assert payload["tags"] == [1, 2]
    assert payload["name"] == "bob"
    assert payload["role"] == "x"
    claims_file = keys / "claims.json"
    claims_file.write_text('{"sub": "from-file"}')
    assert "from-file" in run("inspect", sign(keys, "secret.txt", "HS256", "--claims", f"@{claims_file}")).stdout


def test_typ_makes_the_rfc_9068_access_token_the_profile_verifier_accepts(keys: Path) -> None:
    profile = ("--iss", "https://login.example", "--aud", "orders-api", "--sub", "alice", "--jti", "--expires-in", "5m")
    token = sign(keys, "ec.key", "ES256", "--typ", "at+jwt", "--claim", "client_id=app", *profile)
    header = minijwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt"
    assert header["kid"] == run("thumbprint", "--key", str(keys / "ec.pub")).stdout.strip()
    verifier = minijwt.JWTVerifier.access_token(
        minijwt.load_key((keys / "ec.pub").read_bytes()),
        issuer="https://login.example",
        audience="orders-api",
        algorithms=["ES256"],
    )
    claims = verifier.decode(token)
    assert (claims["sub"], claims["client_id"]) == ("alice", "app")
    with pytest.raises(minijwt.InvalidTokenTypeError):
        verifier.decode(sign(keys, "ec.key", "ES256", "--claim", "client_id=app", *profile))  # typ JWT
    checked = run(
        "verify", token, "--key", str(keys / "ec.pub"), "--alg", "ES256", "--typ", "at+jwt", "--aud", "orders-api"
    )
    assert checked.returncode == 0, checked.stderr
    empty = run("sign", "--key", str(keys / "ec.key"), "--alg", "ES256", "--typ", " ")
    assert empty.returncode == 2
    assert "--typ" in one_line(empty.stderr)


def test_verify_reads_the_token_from_stdin(keys: Path) -> None:
    token = sign(keys, "ec.key", "ES256", "--sub", "s")
    result = run("verify", "-", "--key", str(keys / "ec.pub"), "--alg", "ES256", stdin=token + "\n")
    assert result.returncode == 0
    assert "neither aud nor iss was checked" in one_line(result.stderr)


def test_encrypted_keys_take_a_password_file(keys: Path) -> None:
    if not (keys / "encrypted.key").exists():
        pytest.skip("openssl is not installed")
    token = sign(keys, "encrypted.key", "RS256", "--password-file", str(keys / "password.txt"))
    assert token.count(".") == 2
    result = run("sign", "--key", str(keys / "encrypted.key"), "--alg", "RS256", stdin="")
    assert result.returncode == 2
    assert "--password-file" in one_line(result.stderr)


def test_ssh_keygen_keys_work(keys: Path, tmp_path: Path) -> None:
    ssh_keygen = shutil.which("ssh-keygen")
    if ssh_keygen is None:
        pytest.skip("ssh-keygen is not installed")
    subprocess.run([ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "id")], check=True)  # noqa: S603
    token = sign(tmp_path, "id", "EdDSA", "--sub", "x")
    result = run("verify", token, "--key", str(tmp_path / "id.pub"), "--alg", "EdDSA")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda keys: broken_signature(sign(keys, "rsa.key", "RS256", "--aud", "api")), "invalid_signature"),
        (lambda keys: "not.a-token", "malformed_token"),
        (lambda keys: sign(keys, "rsa.key", "RS256", "--aud", "api", "--claim", "exp=1"), "token_expired"),
        (lambda keys: sign(keys, "rsa.key", "RS256", "--aud", "other"), "invalid_audience"),
        (lambda keys: sign(keys, "secret.txt", "HS256", "--aud", "api"), "key_not_found"),
    ],
)
def test_every_rejected_token_exits_1_with_one_line(keys: Path, make: object, code: str) -> None:
    token = make(keys)  # type: ignore[operator]
    result = run("verify", token, "--key", str(keys / "rsa.pub"), "--alg", "RS256,HS256", "--aud", "api")
    assert result.returncode == 1
    assert one_line(result.stderr).startswith(f"rejected: {code}: ")
    as_json = run("verify", token, "--key", str(keys / "rsa.pub"), "--alg", "RS256,HS256", "--aud", "api", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["code"] == code


@pytest.mark.parametrize(
    "args",
    [
        ["sign", "--key", "missing.key", "--alg", "RS256"],
        ["sign", "--key", "{keys}/rsa.pub", "--alg", "RS256"],
        ["sign", "--key", "{keys}/ec.key", "--alg", "RS256"],
        ["sign", "--key", "{keys}/rsa.key", "--alg", "RS999"],
        ["sign", "--key", "{keys}/rsa.key", "--alg", "RS256", "--expires-in", "soon"],
        ["sign", "--key", "{keys}/rsa.key", "--alg", "RS256", "--claims", "{not json"],
        ["sign", "--key", "{keys}/rsa.key", "--alg", "RS256", "--claims", "[1]"],
        ["sign", "--key", "{keys}/rsa.key", "--alg", "RS256", "--claim", "novalue"],
        ["verify", "x.y.z", "--key", "{keys}/rsa.pub"],
        ["verify", "x.y.z", "--key", "{keys}/rsa.pub", "--alg", "none"],
        ["verify", "x.y.z", "--key", "{keys}/ec.pub", "--alg", "RS256"],
        ["verify", "x.y.z", "--jwks", "missing.json", "--alg", "RS256"],
        ["keygen", "--alg", "XX256"],
        ["keygen", "--alg", "ES256", "--bits", "4096"],
        ["keygen", "--alg", "HS256", "--pub", "x"],
        ["jwks", "--key", "{keys}/secret.txt"],
        ["thumbprint", "--key", "missing.key"],
        ["inspect", "only.two"],
        [],
        ["no-such-command"],
    ],
)
def test_usage_file_key_and_option_errors_exit_2(keys: Path, args: list[str]) -> None:
    result = run(*(arg.replace("{keys}", str(keys)) for arg in args), stdin="")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    if args and args[0] != "no-such-command":
        assert one_line(result.stderr)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["verify", "{token}", "--issuer", "http://example.com"], "issuer: refusing to fetch keys over plain http"),
        (["verify", "{token}", "--issuer", "https://user:pw@example.com"], "issuer: the URL must not contain user"),
        (["verify", "{token}", "--issuer", "https://example.com/?q=1"], "issuer: an issuer identifier has no query"),
        (["verify", "{token}", "--issuer", ""], "issuer: "),
        (["verify", "{token}", "--key", ""], "--key is empty"),
        (["serve-jwks", "--key", "{keys}/ec.pub", "--port", "70000"], "argument --port: "),
        (["serve-jwks", "--key", "{keys}/ec.pub", "--port", "-1"], "argument --port: "),
        (["serve-jwks", "--key", "{keys}/ec.pub", "--port", "0", "--max-age", "-1"], "argument --max-age: "),
    ],
)
def test_a_refused_option_is_one_line_and_exit_2(keys: Path, args: list[str], said: str) -> None:
    # Exit 1 says the token was rejected; an option the library or the command
    # refuses says nothing of the token. (A refusal the server never reached
    # would listen forever: the timeout ends it.)
    token = sign(keys, "ec.key", "ES256", "--aud", "api")
    given = [arg.replace("{keys}", str(keys)).replace("{token}", token) for arg in args]
    extra = ["--alg", "ES256", "--aud", "api"] if args[0] == "verify" else []
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "minijwt", *given, *extra],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 2, result.stderr
    line = one_line(result.stderr)
    assert line.startswith(f"minijwt {args[0]}: ")
    assert said in line
    assert token not in result.stderr


def test_keygen_files_are_private_and_never_overwritten(tmp_path: Path) -> None:
    assert run("keygen", "--alg", "ES384", "--out", "k.pem", "--pub", "k.pub", cwd=tmp_path).returncode == 0
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    before = (tmp_path / "k.pem").read_bytes()
    refused = run("keygen", "--alg", "ES384", "--out", "k.pem", cwd=tmp_path)
    assert refused.returncode == 2
    assert "--force" in one_line(refused.stderr)
    assert (tmp_path / "k.pem").read_bytes() == before
    (tmp_path / "k.pem").chmod(0o644)
    assert run("keygen", "--alg", "ES384", "--out", "k.pem", "--force", cwd=tmp_path).returncode == 0
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    assert (tmp_path / "k.pem").read_bytes() != before
    jwk = run("keygen", "--alg", "RS256", "--jwk", "--kid", "k1", "--bits", "3072", cwd=tmp_path)
    key = minijwt.JWK.from_json(jwk.stdout)
    assert key.kid == "k1"
    assert key.key.size == 3072
    for alg in ("HS512", "Ed448", "ES512"):
        assert run("keygen", "--alg", alg, cwd=tmp_path).returncode == 0


def test_inspect_banner_times_and_key(keys: Path) -> None:
    token = sign(keys, "ec.key", "ES256", "--expires-in", "42m", "--kid", "k-9")
    out = run("inspect", token).stdout
    assert out.startswith("NOT VERIFIED")
    assert "expires in 42 min" in out
    assert "UTC" in out
    assert "kid 'k-9'" in out
    expired = sign(keys, "ec.key", "ES256", "--claim", f"exp={int(time.time()) - 3 * 3600}")
    assert "expired 3 h ago" in run("inspect", expired).stdout


def test_inspect_says_what_a_misshapen_token_looks_like(keys: Path) -> None:
    one = run("inspect", "abc")
    assert one.returncode == 2
    assert one_line(one.stderr) == (
        "minijwt inspect: not a compact JWS: token must have 3 segments separated by '.', but has 1"
    )
    token = sign(keys, "ec.key", "ES256")
    pasted = run("inspect", f"{token}\n{token}")
    assert pasted.returncode == 2
    line = one_line(pasted.stderr)
    assert line.endswith("but has 5 (two tokens pasted together?)")
    assert "JWE" not in line
    assert token not in pasted.stderr  # never a token echoed into a message


@pytest.fixture
def served(keys: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "minijwt",
            "serve-jwks",
            "--key",
            str(keys / "rsa.key"),
            "--port",
            "0",
            "--max-age",
            "60",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    origin = line.split(" at ", 1)[1].rsplit("/jwks.json", 1)[0]
    yield origin, process
    if process.poll() is None:
        process.kill()
        process.wait(10)
    process.stderr.close()


def test_serve_jwks_answers_over_http(served: tuple[str, subprocess.Popen[str]], keys: Path) -> None:
    origin, process = served
    for path in ("/jwks.json", "/.well-known/jwks.json"):
        with urllib.request.urlopen(origin + path, timeout=10) as response:  # noqa: S310 - loopback
            assert response.headers["Content-Type"] == "application/json"
            assert response.headers["Cache-Control"] == "public, max-age=60"
            etag = response.headers["ETag"]
            document = json.loads(response.read())
    assert "d" not in document["keys"][0]  # a private key file, served public
    request = urllib.request.Request(origin + "/jwks.json", headers={"If-None-Match": etag})  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as not_modified:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert not_modified.value.code == 304
    not_modified.value.close()
    token = sign(keys, "rsa.key", "RS256", "--aud", "api")
    result = run("verify", token, "--jwks", origin + "/jwks.json", "--alg", "RS256", "--aud", "api")
    assert result.returncode == 0, result.stderr
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    assert process.stderr is not None
    log = process.stderr.read()
    assert "GET /jwks.json" in log
    assert "stopped" in log


def test_verify_with_issuer_discovery(keys: Path) -> None:
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "minijwt", "serve-jwks", "--key", str(keys / "ec.pub"), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        origin = process.stderr.readline().split(" at ", 1)[1].rsplit("/jwks.json", 1)[0]
    finally:
        process.kill()
        process.wait(10)
        assert process.stderr is not None
        process.stderr.close()
    # Now serve with an issuer equal to the origin on that port.
    port = origin.rsplit(":", 1)[1]
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "minijwt",
            "serve-jwks",
            "--key",
            str(keys / "ec.pub"),
            "--port",
            port,
            "--issuer",
            origin,
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        process.stderr.readline()
        token = sign(keys, "ec.key", "ES256", "--iss", origin, "--aud", "api")
        result = run("verify", token, "--issuer", origin, "--alg", "ES256", "--aud", "api")
        assert result.returncode == 0, result.stderr
        wrong = sign(keys, "ec.key", "ES256", "--iss", "https://elsewhere.example", "--aud", "api")
        rejected = run("verify", wrong, "--issuer", origin, "--alg", "ES256", "--aud", "api")
        assert rejected.returncode == 1
        assert one_line(rejected.stderr).startswith("rejected: invalid_issuer")
    finally:
        process.terminate()
        process.wait(10)
        assert process.stderr is not None
        process.stderr.close()


def test_help_on_every_subcommand_has_an_example() -> None:
    top = run("--help")
    assert top.returncode == 0
    assert "1 token rejected" in top.stdout
    for command in ("keygen", "sign", "verify", "inspect", "jwks", "thumbprint", "serve-jwks", "demo"):
        result = run(command, "--help")
        assert result.returncode == 0
        assert "example:" in result.stdout, command


def test_version_and_console_script() -> None:
    assert run("--version").stdout.strip() == f"minijwt {minijwt.__version__}"
    script = shutil.which("minijwt", path=str(Path(sys.executable).parent))
    if script is not None:
        result = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
        assert result.returncode == 0
