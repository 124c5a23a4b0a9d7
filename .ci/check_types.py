"""Type completeness as users' type checkers see it: 100 %, and every public name documented.

    python .ci/check_types.py

Runs ``pyright --verifytypes minijwt --ignoreexternal`` against the
installed package (run it in an environment where minijwt, FastAPI and
Flask are installed) and exits 1, listing the symbols at fault, unless
every exported symbol has a known type and a docstring.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys


def main() -> int:
    pyright = shutil.which("pyright")
    if pyright is None:
        print("pyright is not installed (pip install pyright)")
        return 1
    completed = subprocess.run(  # noqa: S603 - a fixed command line, from PATH
        [pyright, "--verifytypes", "minijwt", "--ignoreexternal", "--outputjson"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)["typeCompleteness"]
    except (ValueError, KeyError):
        print(completed.stdout, completed.stderr, sep="\n")
        return 1
    problems = [
        f"{symbol['name']}: {diagnostic['message']}"
        for symbol in report["symbols"]
        for diagnostic in symbol.get("diagnostics", [])
        if diagnostic.get("severity") == "error"
    ]
    undocumented = {
        kind: report[key]
        for kind, key in (
            ("functions", "missingFunctionDocStringCount"),
            ("classes", "missingClassDocStringCount"),
            ("default values", "missingDefaultParamCount"),
        )
    }
    score = report["completenessScore"]
    print(f"type completeness {score:.1%} of {report['exportedSymbolCounts']}; without docstring: {undocumented}")
    for problem in problems:
        print("  " + problem.replace("\n", " "))
    return 0 if score == 1 and not problems and not any(undocumented.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
