"""A drop-in for CodeCarbon: change the import line, keep the script.

::

    # from codecarbon import EmissionsTracker
    from wattprint.compat.codecarbon import EmissionsTracker

    tracker = EmissionsTracker(project_name="bert", country_iso_code="FRA")
    tracker.start()
    train()
    emissions_kg = tracker.stop()

wattprint measures and accounts the run, records it in the wattprint ledger
(tag ``compat:codecarbon``) and writes ``emissions.csv`` with CodeCarbon
3.3.2's columns, in its order and units, so existing parsers keep working.
Differences from CodeCarbon, by design:

* No network: without ``country_iso_code`` or cloud arguments, wattprint's
  own zone resolution applies and says what it assumed.
* ``tracking_mode`` defaults to wattprint's scope setting (``"process"``)
  rather than ``"machine"``; the CSV's ``tracking_mode`` says which was used.
* ``pue`` defaults to wattprint's choice (the provider's published PUE for a
  cloud zone, 1.0 on premise) rather than always 1.0; the CSV's ``pue`` says
  which was used.
* ``codecarbon_version`` holds ``"3.3.2+wattprint.<version>"``.
* Arguments wattprint cannot honour (CodeCarbon API, Prometheus, forced
  power, ...) are accepted and named in a one-time logged warning.
* ``EmissionsTracker`` also accepts the offline tracker's location arguments.
"""

from __future__ import annotations

from wattprint.compat.codecarbon.emissions_data import COLUMNS, EmissionsData
from wattprint.compat.codecarbon.tracker import (
    EmissionsTracker,
    OfflineEmissionsTracker,
    track_emissions,
)

__all__ = [
    "COLUMNS",
    "EmissionsData",
    "EmissionsTracker",
    "OfflineEmissionsTracker",
    "track_emissions",
]
