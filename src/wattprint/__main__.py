"""``python -m wattprint`` is the ``wattprint`` command."""

from __future__ import annotations

import sys

from wattprint.cli.main import main

sys.exit(main())
