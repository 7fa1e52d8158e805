from __future__ import annotations

import csv
from pathlib import Path

import pytest

from wattprint.measure.sensors import tdp


def test_every_row_has_a_primary_source_and_sane_figures() -> None:
    with tdp.DEFAULT_TABLE.open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    assert 60 <= len(records) <= 200
    for rec in records:
        assert rec["source"].strip(), rec
        assert rec["source"].startswith("https://"), rec
        assert any(host in rec["source"] for host in ("intel.com", "amd.com", "apple.com")), rec
    rows = tdp.load_table()
    assert len({r.pattern for r in rows}) == len(rows), "duplicate patterns"
    for row in rows:
        assert 5 <= row.tdp_w <= 600, row
        assert 1 <= row.cores <= row.threads, row
        assert 2016 <= row.source_year <= 2026, row
        assert row.vendor in {"intel", "amd", "apple"}, row


@pytest.mark.parametrize(
    ("brand", "pattern", "tdp_w"),
    [
        ("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", "xeon platinum 8380", 270),
        ("Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz", "xeon gold 6148", 150),
        ("Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", "xeon gold 6248r", 205),
        ("Intel(R) Xeon(R) Platinum 8480C", "xeon platinum 8480", 350),
        ("Intel(R) Xeon(R) CPU E5-2698 v4 @ 2.20GHz", "xeon e5-2698 v4", 135),
        ("AMD EPYC 7763 64-Core Processor", "epyc 7763", 280),
        ("AMD EPYC 7543P 32-Core Processor", "epyc 7543", 225),
        ("AMD EPYC 9654 96-Core Processor", "epyc 9654", 360),
        ("AMD Ryzen Threadripper PRO 5995WX 64-Cores", "ryzen threadripper pro 5995wx", 280),
        ("12th Gen Intel(R) Core(TM) i7-12700K", "core i7-12700k", 125),
        ("12th Gen Intel(R) Core(TM) i7-12700", "core i7-12700", 65),
        ("Intel(R) Core(TM) Ultra 7 155H", "core ultra 7 155h", 28),
        ("Apple M2", "apple m2", 50),
        ("Apple M2 Max", "apple m2 max", 145),
        ("Apple M1 Ultra", "apple m1 ultra", 215),
    ],
)
def test_lookup_most_specific_row(brand: str, pattern: str, tdp_w: float) -> None:
    row = tdp.match(brand, tdp.load_table())
    assert row is not None
    assert (row.pattern, row.tdp_w) == (pattern, tdp_w)


@pytest.mark.parametrize(
    "brand", ["Intel(R) Xeon(R) Processor", "AMD EPYC 75430", "Neoverse-N1", "", "Apple M10"]
)
def test_unknown_cpus_do_not_match(brand: str) -> None:
    assert tdp.match(brand, tdp.load_table()) is None


def test_normalise_drops_vendor_noise() -> None:
    assert tdp.normalise("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz") == "xeon platinum 8380"
    assert tdp.normalise("AMD EPYC 7763 64-Core Processor") == "epyc 7763"
    assert tdp.normalise("AMD Ryzen 7 7840U w/ Radeon 780M Graphics") == "ryzen 7 7840u"


def test_bad_table_row_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("pattern,tdp_w,cores,threads,vendor,source,source_year\nx,abc,1,1,i,s,2020\n")
    with pytest.raises(ValueError, match=":2:"):
        tdp.load_table(bad)


def test_cpuinfo_brand_and_sockets(tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text(
        "processor\t: 0\nmodel name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: 0\n\n"
        "processor\t: 1\nmodel name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: 1\n"
    )
    info = tdp.detect_cpu(tmp_path)
    assert (info.brand, info.sockets) == ("AMD EPYC 7763 64-Core Processor", 2)
    assert tdp.detect_cpu(tmp_path / "none").brand  # falls back to platform, never empty
