"""``python -m minijwt``: the same as the ``minijwt`` command."""

from __future__ import annotations

import sys

from minijwt.cli import main

sys.exit(main())
