"""Smoke test: the benchmark runs and reports. (Timings are never asserted here.)"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_benchmark_runs_and_writes_its_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _load("run")
    out = tmp_path / "figures.json"
    status = run.main(
        ["--quick", "--rounds", "1", "--only", "HS256 (key object)", "--memory-tokens", "300", "--json", str(out)]
    )
    assert status == 0
    report = json.loads(out.read_text())
    row = report["results_us"]["decode HS256 (key object)"]
    assert {"minijwt", "minijwt-verifier", "floor", "pyjwt"} <= set(row)
    assert all(value > 0 for value in row.values())
    assert report["memory"]["tokens"] == 300
    assert any(t["target"].startswith("HS256 decode (key object)") for t in report["targets"])
    printed = capsys.readouterr().out
    assert "minijwt/floor" in printed
    assert "cryptography" in printed


def test_floor_and_minijwt_agree() -> None:
    """The floor does the same work: it accepts minijwt's tokens and minijwt accepts its tokens."""
    import time

    import minijwt

    floor = _load("floor")
    run = _load("run")
    claims = run.claims_of_size(100)
    for alg in ("HS256", "RS256", "PS256", "ES256", "EdDSA"):
        material = run.make_material(alg)
        token = minijwt.encode(claims, material.private, alg)
        assert floor.make_decoder(alg, run.AUDIENCE, run.ISSUER)(token, material.public) == claims
        theirs = floor.make_encoder(alg)(claims, material.private)
        assert minijwt.decode(theirs, material.public, algorithms=[alg], audience=run.AUDIENCE, issuer=run.ISSUER)
        expired = minijwt.encode({**claims, "exp": int(time.time()) - 1}, material.private, alg)
        with pytest.raises(ValueError, match="expired"):
            floor.make_decoder(alg, run.AUDIENCE, run.ISSUER)(expired, material.public)


@pytest.mark.parametrize("decoder", ["floor", "minijwt-verifier", "minijwt", "pyjwt"])
def test_each_decoder_the_instruction_count_runs_decodes(decoder: str) -> None:
    instructions = _load("instructions")
    run = instructions.decoder(decoder)
    claims = run()
    assert claims["aud"] == "orders-api"
    instructions.child(decoder, 2)


def test_the_benchmark_prints_the_spread_of_its_rounds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Next to each median, the fastest and slowest round, and each ratio's lowest and highest round."""
    run = _load("run")
    out = tmp_path / "figures.json"
    status = run.main(
        ["--quick", "--rounds", "3", "--only", "HS256 (key object)", "--memory-tokens", "0", "--json", str(out)]
    )
    assert status == 0
    report = json.loads(out.read_text())
    medians = report["results_us"]["decode HS256 (key object)"]
    spreads = report["spread_us"]["decode HS256 (key object)"]
    assert set(spreads) == set(medians)
    for lib, (fastest, slowest) in spreads.items():
        assert fastest <= round(medians[lib], 3) + 0.001
        assert medians[lib] <= slowest + 0.001
    printed = capsys.readouterr().out
    _, _, spread_table = printed.partition("spread over the 3 rounds")
    [line] = [line for line in spread_table.splitlines() if line.startswith("decode HS256 (key object)")]
    ranges = re.findall(r"(\d[\d,.]*)-(\d[\d,.]*)(x?)", line)
    assert len(ranges) == len(spreads) + 1 + (len(spreads) - 3)  # each library, minijwt/floor, each peer/minijwt
    for low, high, _ in ranges:
        assert float(low.replace(",", "")) <= float(high.replace(",", ""))


ROOT = BENCHMARKS.parent


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_the_prose_names_every_target_the_published_run_missed() -> None:
    """The README and the performance page agree with the published table: each NOT MET row is named, with its value."""
    published = (ROOT / "docs" / "benchmark-results.txt").read_text(encoding="utf-8")
    missed = re.findall(r"^  (\S+) (encode|decode) \(([^)]*)\) \S+\s+(\d+\.\d+)x\s+\S+ \S+\s+NOT MET$", published, re.M)
    assert len(missed) == published.count("NOT MET")  # every NOT MET row is read
    page = _section((ROOT / "docs" / "performance.rst").read_text(encoding="utf-8"), "In short", "Counted in")
    readme = _section((ROOT / "README.md").read_text(encoding="utf-8"), "## Performance", "## Documentation")
    for alg, operation, form, value in missed:
        assert value in page, (alg, operation, form, value)
        assert value in readme, (alg, operation, form, value)
    if missed:
        assert "NOT MET" in page
        assert "not met" in readme
    # The PEM signing ratio the README gives is the published run's.
    pem = re.search(r"^encode RS256 \(PEM text\).*?(\d+)\.\dx", published, re.M)
    assert pem is not None
    assert f"{pem.group(1)} times faster than PyJWT" in readme


def _mldsa(monkeypatch: pytest.MonkeyPatch) -> Any:
    from minijwt._mldsa import missing

    problem = missing()
    if problem is not None:
        pytest.skip(problem)
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # it imports floor, instructions and run
    return _load("mldsa")


@pytest.mark.parametrize("case", ["floor+verify", "minijwt-verifier", "jwcrypto"])
def test_each_case_of_the_mldsa_instruction_count_decodes(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    mldsa = _mldsa(monkeypatch)
    monkeypatch.setenv(mldsa.ENV, mldsa.material())
    assert mldsa.operation(case)()["aud"] == "orders-api"
    mldsa.child(case, 2)


def test_the_mldsa_table_has_a_row_per_algorithm(monkeypatch: pytest.MonkeyPatch) -> None:
    mldsa = _mldsa(monkeypatch)
    head, *rows = mldsa.table(1, markdown=True)
    assert [row[0] for row in rows] == list(mldsa.TABLE_ALGS)
    assert all(len(row) == len(head) for row in rows)
    signatures = {row[0]: row[4] for row in rows}
    assert signatures["ML-DSA-65"] == "3,309"  # FIPS 204 Table 2
    assert signatures["ES256"] == "64"
