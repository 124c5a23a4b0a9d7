#!/usr/bin/env python3
"""Mutation testing of minijwt's security-critical core, with mutmut's mutants.

Usage (from the checkout, with ``pip install -e ".[test]" "mutmut>=3,<4"``)::

    python tools/mutation.py                      # every module in [tool.mutmut] only_mutate
    python tools/mutation.py _base64url _json     # some of them
    python tools/mutation.py --survivors          # also print each surviving mutant's change

What it does:

1. Copies the checkout's tracked and new files (``src/``, ``tests/``,
   ``pyproject.toml``) to a temporary directory; the working tree is never
   changed.
2. Lets mutmut write its mutants of each module into the copy (all of a
   module's mutants sit in one file, and a trampoline in front of each
   function picks the one named by ``MUTANT_UNDER_TEST``).
3. Runs the test selection of ``[tool.mutmut]`` once unmutated, recording
   which test reaches which function, and for each mutant runs only the tests
   that reach its function (all of the selection for functions called while
   minijwt is imported), stopping at the first failure.

Two traps of mutmut's own runner are avoided here:

- Import-time tables. mutmut forks each mutant's process from one that has
  already imported minijwt, so a function run at import (``_build()``, which
  makes the ``ALGORITHMS`` table, and the sign and verify closures it makes)
  is never run mutated: its mutants "survive" or have "no tests". Here the
  parent process imports pytest, Hypothesis and cryptography but never
  minijwt, and each mutant runs in a fork of it that imports minijwt afresh,
  with the mutant already chosen.
- Memoised functions. A cache (``header.parse``, ``keys.text`` ...) filled by
  one test hides the function from the next one, so the unmutated recording
  run would not see that the later test reaches it. With ``MINIJWT_MUTATION``
  set, an autouse fixture in ``tests/conftest.py`` empties every cache before
  each test.

A mutant is *killed* when a test fails or the tests cannot even be collected,
*survives* when they pass, and is a *timeout* or *suspicious* when its process
runs too long or ends in another way. Among survivors the table counts those
that change only an error message's text (out of scope: error codes and
classes are what programs see) and those explained in
``tests/mutation_triage.toml`` (equivalent mutants, each with its reason).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import tokenize
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "minijwt"
TRIAGE_FILE = "tests/mutation_triage.toml"

# Calls whose argument at this position only names the input in error
# messages (the ``what`` of "header is not base64url").
MESSAGE_ARGUMENTS = {
    "b64decode": 1,
    "loads_object": 1,
    "loads": 1,
    "dumps": 1,
    "to_seconds": 1,
    "to_timestamp": 1,
    "_strings": 1,
    "_check_resource_url": 1,
    "check_scopes": 1,
    # What the detector found, in words: only ever the text of an error.
    "KeyText": 1,
    # A log record's format string is the text of a message, too.
    "info": 0,
    "warning": 0,
    # The JWKS clients' option checks: the first argument names the option in
    # the error; and where a set's notes are logged, the words naming the set.
    "_seconds": 0,
    "_count": 0,
    "_log_notes": 1,
}
# Test files that hold a module's rules, besides tests/test_<module>.py: run
# first for each of its mutants.
OWN_TESTS = {
    "_header": ["tests/test_jws.py"],
    "_compact": ["tests/test_jws.py"],
    "_claims": ["tests/test_jwt.py"],
    "_keytext": ["tests/test_key_files.py", "tests/test_keyload.py"],
    "_keyload": ["tests/test_key_files.py", "tests/test_keytext.py"],
    "_jwk_members": ["tests/test_jwk.py"],
    "_jwks_state": ["tests/remote/test_jwks_state.py"],
    "_bearer": ["tests/web/test_bearer.py"],
    "_issuers": ["tests/test_issuers.py"],
    "multi_issuer": ["tests/test_issuers.py", "tests/remote/test_multi_issuer.py"],
    "_dpop": ["tests/test_dpop.py"],
    "_mldsa": ["tests/test_mldsa.py"],
    "dpop": ["tests/test_dpop.py"],
}
# Exceptions that do not end in "Error" and whose first argument is a message.
MESSAGE_EXCEPTIONS = {"_Rejected", "MalformedRequest", "MalformedRequestError", "_Revoked"}
# Functions that only build message text.
MESSAGE_FUNCTIONS = {"_when", "_ago", "_short", "_without_article", "_malformed_because"}


@dataclass
class Mutant:
    name: str  # minijwt._module.x_function__mutmut_7
    module: str  # _module
    function: str  # x_function
    removed: list[str]
    added: list[str]
    message_only: bool
    status: str = "not run"
    tests: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The tests in the order they run: the module's own test files first
    #: (one small file to collect, and most mutants die there), then the rest.
    stages: list[list[str]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.module, self.function, " | ".join(self.removed), " | ".join(self.added))


# --- the copy and the mutants ---------------------------------------------------


def configuration() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["tool"]["mutmut"]  # type: ignore[no-any-return]


def copy_checkout(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def _tokens(code: str) -> list[tokenize.TokenInfo]:
    skip = {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    return [token for token in tokenize.generate_tokens(io.StringIO(code).readline) if token.type not in skip]


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _message_positions(tree: ast.AST) -> Iterator[tuple[int, int, int, int]]:
    """Spans of the source whose text can only reach an error message."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            # The first argument of an error's constructor (or of a function that makes one) is its message.
            callee = _callee(node)
            spans: list[ast.expr] = []
            if callee.endswith(("Error", "error")) or callee in MESSAGE_EXCEPTIONS:
                spans = node.args[:1]
            elif callee in MESSAGE_ARGUMENTS:
                spans = node.args[MESSAGE_ARGUMENTS[callee] : MESSAGE_ARGUMENTS[callee] + 1]
                spans += [kw.value for kw in node.keywords if kw.arg in {"what", "name"}]
            for arg in spans:
                yield arg.lineno, arg.col_offset, arg.end_lineno or arg.lineno, arg.end_col_offset or 0
        elif isinstance(node, ast.FunctionDef):
            for arg, default in zip(node.args.args[::-1], node.args.defaults[::-1], strict=False):
                if arg.arg == "what":
                    yield default.lineno, default.col_offset, default.end_lineno or 0, default.end_col_offset or 0


def is_message_only(function: str, original: str, mutated: str) -> bool:
    """True when the mutant changes nothing but the text of an error message."""
    if function.removeprefix("x_") in MESSAGE_FUNCTIONS:
        return True
    before, after = _tokens(original), _tokens(mutated)
    if len(before) != len(after):
        return False
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a.string != b.string]
    # Some text of a message (a literal, or the name of what is refused) replaced by another string or by None.
    if not changed or any(b.type != tokenize.STRING and b.string != "None" for _, b in changed):
        return False
    try:
        spans = list(_message_positions(ast.parse(original)))
    except SyntaxError:  # not a whole function on its own: say no
        return False

    def inside(token: tokenize.TokenInfo) -> bool:
        return any((l0, c0) <= token.start and token.end <= (l1, c1) for l0, c0, l1, c1 in spans)

    return all(inside(a) for a, _ in changed)


def _dedent_def(lines: list[str], name: str) -> str:
    # Class methods sit indented in the class; parse them on their own, under one name.
    return textwrap.dedent("".join(lines)).replace(f"def {name}(", "def f(", 1)


def make_mutants(copy: Path, paths: list[str]) -> list[Mutant]:
    from mutmut.mutation.file_mutation import mutate_file_contents

    mutants: list[Mutant] = []
    for path in paths:
        target = copy / path
        source = target.read_text(encoding="utf-8")
        mutated = mutate_file_contents(path, source)
        target.write_text(mutated.code, encoding="utf-8")
        lines = mutated.code.splitlines(keepends=True)
        module = Path(path).stem

        def text(function: str, lines: list[str] = lines, spans: Any = mutated.line_span_by_function_name) -> str:
            span = spans[function]
            return _dedent_def(lines[span.start - 1 : span.end], function)

        for name in mutated.mutant_names:
            function = name.partition("__mutmut_")[0]
            original, changed = text(function + "__mutmut_orig"), text(name)
            diff = list(difflib.ndiff(original.splitlines(), changed.splitlines()))
            mutants.append(
                Mutant(
                    name=f"{PACKAGE}.{module}.{name}",
                    module=module,
                    function=function,
                    removed=[line[2:].strip() for line in diff if line.startswith("- ")],
                    added=[line[2:].strip() for line in diff if line.startswith("+ ")],
                    message_only=is_message_only(function, original, changed),
                )
            )
    return mutants


# --- running pytest in forks --------------------------------------------------------


def preload() -> None:
    """Import what every run needs, except minijwt itself (imported afresh per mutant)."""
    import cryptography.hazmat.primitives.asymmetric.ec
    import cryptography.hazmat.primitives.asymmetric.ed448
    import cryptography.hazmat.primitives.asymmetric.ed25519
    import cryptography.hazmat.primitives.asymmetric.rsa
    import cryptography.hazmat.primitives.serialization
    import cryptography.x509
    import hypothesis
    import jwcrypto.jwk
    import jwt
    import mutmut.mutation.trampoline
    import pytest

    del cryptography, hypothesis, jwcrypto, jwt, mutmut, pytest
    assert PACKAGE not in sys.modules, "minijwt must not be imported before a mutant is chosen"


def pytest_args(copy: Path, *, first_failure: bool) -> list[str]:
    args = [
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "--rootdir",
        str(copy),
        "-c",
        str(copy / "pyproject.toml"),
    ]
    # Hypothesis is imported before pytest starts (see preload), so pytest
    # cannot rewrite its asserts (nor should it); no coverage either.
    args += ["-W", "ignore::pytest.PytestAssertRewriteWarning", "-p", "no:pytest_cov"]
    return [*args, "-x"] if first_failure else args


def fork(copy: Path, mutant: str, tests: list[str], *, quiet: bool, recorder: Path | None = None) -> int:
    """Start pytest in a child process with this mutant active; return its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        os.setpgid(0, 0)
        os.chdir(copy)
        sys.path.insert(0, str(copy / "src"))
        os.environ["MUTANT_UNDER_TEST"] = mutant
        os.environ["MINIJWT_MUTATION"] = "1"
        if quiet:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
        import pytest

        plugins: list[object] = []
        if recorder is not None:
            plugins.append(_Recorder(copy, recorder))
        args = pytest_args(copy, first_failure=recorder is None) + tests
        code = int(pytest.main(args, plugins=plugins))
    except BaseException:  # anything at all: the exit code reports it
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class _Recorder:
    """A pytest plugin for the unmutated run: which test reaches which function, and how long it takes."""

    def __init__(self, copy: Path, output: Path) -> None:
        from mutmut.mutation import trampoline

        self.copy, self.output = copy, output
        self.current = ""  # "" while collecting: minijwt's import
        self.hits: dict[str, set[str]] = {}
        self.durations: dict[str, float] = {}
        self.order: list[str] = []
        trampoline.record_trampoline_hit = self.record  # type: ignore[assignment]

    def record(self, name: str, caller: object = None) -> None:
        self.hits.setdefault(name, set()).add(self.current)

    def pytest_runtest_protocol(self, item: Any) -> Iterator[None]:
        self.current = item.nodeid
        self.order.append(item.nodeid)
        yield
        self.current = "(between tests)"

    pytest_runtest_protocol.hookwrapper = True  # type: ignore[attr-defined]

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session: Any) -> None:
        imported = sys.modules[PACKAGE].__file__ or ""
        result = {
            "imported_from": imported,
            "hits": {name: sorted(callers) for name, callers in self.hits.items()},
            "durations": self.durations,
            "order": self.order,
        }
        self.output.write_text(json.dumps(result), encoding="utf-8")


def wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


# 2: interrupted, e.g. the mutant broke an import; 4: a test module named by a node id could not be
# collected (the unmutated run collected the same ids), e.g. its module-level code failed.
STATUS_BY_CODE = {0: "survived", 1: "killed", 2: "killed", 4: "killed"}


def run_mutants(copy: Path, mutants: list[Mutant], jobs: int, done: Any) -> None:
    queue = [(mutant, 0) for mutant in mutants]
    running: dict[int, tuple[Mutant, int, float]] = {}
    try:
        _schedule(copy, queue, running, jobs, done)
    finally:
        for child in running:
            with_group_cleanup(child)
            os.waitpid(child, 0)


def _schedule(
    copy: Path, queue: list[tuple[Mutant, int]], running: dict[int, tuple[Mutant, int, float]], jobs: int, done: Any
) -> None:
    while queue or running:
        while queue and len(running) < jobs:
            mutant, stage = queue.pop(0)
            running[fork(copy, mutant.name, mutant.stages[stage], quiet=True)] = (mutant, stage, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.01)
            now = time.monotonic()
            for child, (mutant, _, started) in list(running.items()):
                if now - started > 20.0 + 4 * mutant.seconds:
                    os.killpg(child, signal.SIGKILL)
                    os.waitpid(child, 0)
                    del running[child]
                    mutant.status = "timeout"
                    done(mutant)
            continue
        if pid not in running:
            continue
        mutant, stage, _ = running.pop(pid)
        with_group_cleanup(pid)
        code = os.waitstatus_to_exitcode(status)
        if code == 0 and stage + 1 < len(mutant.stages):
            queue.insert(0, (mutant, stage + 1))
            continue
        mutant.status = STATUS_BY_CODE.get(code, f"suspicious (exit code {code})")
        done(mutant)


def with_group_cleanup(pgid: int) -> None:
    """Stop whatever a finished test run left behind in its process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


# --- triage and the report -----------------------------------------------------------


def load_triage() -> dict[tuple[str, str, str, str], str]:
    path = ROOT / TRIAGE_FILE
    if not path.exists():
        return {}
    with path.open("rb") as file:
        entries = tomllib.load(file).get("mutant", [])
    return {
        (entry["module"], entry["function"], entry["original"], entry["mutant"]): entry["reason"] for entry in entries
    }


def table(mutants: list[Mutant], modules: list[str]) -> str:
    header = ("module", "mutants", "killed", "survived", "message", "triaged", "left", "timeout/susp.")
    rows = [header]
    totals = [0] * 7
    for module in modules:
        mine = [m for m in mutants if m.module == module]
        survived = [m for m in mine if m.status in {"survived", "no tests"}]
        row = [
            len(mine),
            sum(m.status == "killed" for m in mine),
            len(survived),
            sum(m.message_only for m in survived),
            sum(m.status == "triaged" for m in mine),
            sum(not m.message_only for m in survived),
            sum(m.status == "timeout" or m.status.startswith("suspicious") for m in mine),
        ]
        # "triaged" mutants survived too: count them in "survived".
        row[2] += row[4]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        rows.append((f"{module}.py", *map(str, row)))
    rows.append(("total", *map(str, totals)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def describe(mutant: Mutant) -> str:
    lines = [f"{mutant.name}  [{mutant.status}]"]
    lines += [f"    - {line}" for line in mutant.removed]
    lines += [f"    + {line}" for line in mutant.added]
    return "\n".join(lines)


def triage_entry(mutant: Mutant) -> str:
    module, function, original, changed = mutant.key
    return (
        "[[mutant]]\n"
        f"module = {json.dumps(module)}\nfunction = {json.dumps(function)}\n"
        f"original = {json.dumps(original, ensure_ascii=False)}\nmutant = {json.dumps(changed, ensure_ascii=False)}\n"
        'reason = ""\n'
    )


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def earlier_survivors(output: Path) -> set[str]:
    """The mutants an earlier run's --survivors output lists (all but the killed ones)."""
    names = set()
    for line in output.read_text(encoding="utf-8").splitlines():
        name, _, status = line.removeprefix("(message) ").partition("  [")
        if status.endswith("]") and name.startswith(f"{PACKAGE}."):
            names.add(name)
    return names


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module names, e.g. _base64url (default: every configured one)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--survivors", action="store_true", help="print every surviving mutant's change")
    parser.add_argument(
        "--triage-stubs", action="store_true", help="print a triage entry for each unexplained survivor"
    )
    parser.add_argument("--mutant", help="run one mutant by name, showing pytest's output")
    parser.add_argument("--keep", action="store_true", help="keep the mutated copy")
    parser.add_argument(
        "--again",
        metavar="OUTPUT",
        help="the saved output of an earlier run with --survivors, of the same sources: run only the mutants it lists "
        "(the others were killed, and added tests cannot bring them back)",
    )
    parser.add_argument("--verbose", action="store_true", help="show the output of the unmutated run")
    options = parser.parse_args(argv)

    config = configuration()
    paths: list[str] = config["only_mutate"]
    by_module = {Path(path).stem: path for path in paths}
    modules = options.modules or list(by_module)
    unknown = [module for module in modules if module not in by_module]
    if unknown:
        parser.error(f"not configured in [tool.mutmut] only_mutate: {', '.join(unknown)}")
    selection: list[str] = config["pytest_add_cli_args_test_selection"]

    started = time.monotonic()
    copy = Path(tempfile.mkdtemp(prefix="minijwt-mutation-"))
    try:
        copy_checkout(copy)
        mutants = make_mutants(copy, [by_module[module] for module in modules])
        preload()
        if options.mutant:
            chosen = next((m for m in mutants if m.name == options.mutant), None)
            if chosen is None:
                parser.error(f"no mutant {options.mutant}")
            print(describe(chosen))
            return wait(fork(copy, chosen.name, selection, quiet=False))

        print(f"{len(mutants)} mutants of {len(modules)} modules; recording which tests reach which function ...")
        record = copy / "recorded.json"
        code = wait(fork(copy, "stats", selection, quiet=not options.verbose, recorder=record))
        if code != 0 or not record.exists():
            print(f"the unmutated tests do not pass (pytest exit code {code})", file=sys.stderr)
            return 2
        recorded = json.loads(record.read_text(encoding="utf-8"))
        if not recorded["imported_from"].startswith(str(copy)):
            print(f"minijwt was imported from {recorded['imported_from']}, not the copy", file=sys.stderr)
            return 2
        durations: dict[str, float] = recorded["durations"]
        order: list[str] = recorded["order"]
        everything = sum(durations.values())
        for mutant in mutants:
            callers = set(recorded["hits"].get(f"{PACKAGE}.{mutant.module}.{mutant.function}", ()))
            if "" in callers or "(between tests)" in callers:
                # Run while minijwt is imported (a table built at import): any test may depend on it.
                mutant.tests, mutant.seconds = order, everything
            else:
                mutant.tests = [test for test in order if test in callers]
                mutant.seconds = sum(durations[test] for test in mutant.tests)
            own = (*OWN_TESTS.get(mutant.module, ()), f"tests/test_{mutant.module.lstrip('_')}.py")
            first = [test for test in mutant.tests if test.startswith(own)]
            rest = [test for test in mutant.tests if not test.startswith(own)]
            # Quick tests first: a mutant most often dies in the first test that reaches it.
            mutant.stages = [sorted(stage, key=durations.__getitem__) for stage in (first, rest) if stage]
            if not mutant.tests:
                mutant.status = "no tests"
        print(f"unmutated run: {len(order)} tests in {everything:.0f} s; running mutants on {options.jobs} cores")

        triage = load_triage()
        if options.again:
            # Survivors that change only a message, or that are triaged as equivalent, survive again.
            listed = earlier_survivors(Path(options.again))
            for mutant in mutants:
                if mutant.status == "not run" and mutant.name not in listed:
                    mutant.status = "killed"
                elif mutant.status == "not run" and (mutant.message_only or mutant.key in triage):
                    mutant.status = "survived"
        to_run = [m for m in mutants if m.status == "not run"]
        count = [0]

        def done(mutant: Mutant) -> None:
            count[0] += 1
            if options.survivors and mutant.status != "killed":
                print("... " + describe(mutant).replace("\n", "\n... "), flush=True)
            if count[0] % 25 == 0 or count[0] == len(to_run):
                print(f"  {count[0]}/{len(to_run)} ({time.monotonic() - started:.0f} s)", flush=True)

        run_mutants(copy, sorted(to_run, key=lambda m: m.seconds), options.jobs, done)
        for mutant in mutants:
            if mutant.status in {"survived", "no tests"} and not mutant.message_only and mutant.key in triage:
                mutant.status = "triaged"
        elapsed = time.monotonic() - started
        print()
        print(table(mutants, modules))
        print(f"\n{len(mutants)} mutants in {elapsed / 60:.1f} min on {options.jobs} cores")
        left = [m for m in mutants if m.status not in {"killed", "triaged"} and not m.message_only]
        if options.survivors:
            for mutant in (m for m in mutants if m.status != "killed"):
                print(("(message) " if mutant.message_only else "") + describe(mutant))
        if options.triage_stubs:
            for mutant in left:
                print(triage_entry(mutant))
        return 1 if left else 0
    finally:
        if options.keep:
            print(f"mutated copy kept in {copy}")
        else:
            shutil.rmtree(copy, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
