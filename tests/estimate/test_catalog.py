from __future__ import annotations

import pytest

from wattprint.errors import ConfigError, UnknownHardwareError
from wattprint.estimate._data import defaults, read_table
from wattprint.estimate.catalog import Hardware, HardwareCatalog, Instance, load_hardware
from wattprint.intensity.zones import load_catalog

REQUIRED = ["v100-sxm2", "v100-pcie", "a100-pcie-40gb", "a100-pcie-80gb", "a100-sxm-40gb",
            "a100-sxm-80gb", "h100-pcie", "h100-sxm", "h200-sxm", "b200", "l4", "l40s", "t4",
            "a10g", "rtx-3090", "rtx-4090", "p100-sxm2", "mi250x", "mi300x", "tpu-v3",
            "tpu-v4", "tpu-v5e"]


@pytest.mark.parametrize("table", ["accelerators.csv", "instances.csv", "defaults.csv",
                                   "wue.csv", "water_intensity.csv", "equivalents.csv"])
def test_every_row_names_a_source(table: str) -> None:
    rows = read_table(table)
    assert rows
    for row in rows:
        source = row.get("source") or row.get("power_source")
        assert source and len(source) > 15, row
        if row.get("embodied_kg"):
            assert row["embodied_source"], row


def test_catalog_has_the_devices_and_instances_asked_for() -> None:
    catalog = load_hardware()
    ids = {d.id for d in catalog.devices}
    assert set(REQUIRED) <= ids
    assert {"apple-m2-max", "epyc-9654", "xeon-platinum-8480"} <= ids  # from cpu_tdp.csv
    for name in ["p3.16xlarge", "p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge", "g4dn.xlarge",
                 "g5.xlarge", "g6.xlarge", "a2-highgpu-8g", "a3-highgpu-8g", "g2-standard-4",
                 "Standard_ND96asr_v4", "Standard_ND96isr_H100_v5"]:
        assert catalog.instance(name).device_count >= 1


def test_every_instance_device_has_a_power_and_providers_have_a_pue() -> None:
    from wattprint.intensity.pue import default_pue

    for inst in load_hardware().instances:
        assert inst.device.power_w, inst.id
        assert default_pue(inst.provider)[0] >= 1.0


def test_names_match_loosely() -> None:
    catalog = load_hardware()
    assert catalog.device("NVIDIA Tesla V100").id == "v100-sxm2"
    assert catalog.device("a100_80gb").id == "a100-sxm-80gb"
    assert catalog.device("A100 PCIe 80GB").power_w == 300
    assert catalog.instance("ND96amsr_A100_v4").id == "Standard_ND96amsr_A100_v4"
    assert catalog.device("Google TPU v3").power_w == 450


def test_unknown_device_lists_close_matches() -> None:
    with pytest.raises(UnknownHardwareError) as info:
        load_hardware().device("H1000")
    assert isinstance(info.value, ConfigError)
    assert "h100-sxm" in info.value.matches
    assert "did you mean" in str(info.value)


def test_unknown_instance_lists_close_matches() -> None:
    with pytest.raises(UnknownHardwareError, match="p4d.24xlarge"):
        load_hardware().instance("p4d.24xl")


def test_search_ranks_exact_then_prefix_then_instances() -> None:
    found = load_hardware().search("h100")
    assert found[0].id == "h100-sxm"
    assert "p5.48xlarge" in [e.id for e in found]  # via its device
    assert [e.id for e in load_hardware().search("p5", kind="instance")][:1] == ["p5.48xlarge"]
    assert load_hardware().search("zzzz") == []


def test_catalog_from_values() -> None:
    dev = Hardware("x1", "Acme X1", "gpu", "acme", 100.0, "TDP", "test sheet")
    inst = Instance("box.big", "aws", dev, 4, 16, 64.0, "test")
    catalog = HardwareCatalog([dev], [inst])
    assert catalog.device("acme x-1") is dev
    assert catalog.instance("BOX.BIG").device_count == 4


def test_water_zones_exist_and_defaults_are_sane() -> None:
    zones = load_catalog()
    for row in read_table("water_intensity.csv"):
        assert zones.find(row["zone"]) is not None, row["zone"]
    table = defaults()
    assert table["lifetime_years"].value == 6
    assert 0 < table["lifetime_use_rate"].value <= 1
    assert 0 < table["power_fraction_of_tdp"].value <= 1
