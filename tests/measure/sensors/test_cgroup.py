from __future__ import annotations

from pathlib import Path

import pytest

from wattprint.measure.sensors import cgroup


@pytest.mark.parametrize(
    ("text", "cpus"),
    [
        ("max 100000\n", None),
        ("200000 100000\n", 2.0),
        ("50000 100000", 0.5),
        ("150000", 1.5),
        ("", None),
        ("garbage here", None),
        ("-1 100000", None),
    ],
)
def test_parse_cpu_max(text: str, cpus: float | None) -> None:
    assert cgroup.parse_cpu_max(text) == cpus


def test_cgroup_path_takes_the_v2_line() -> None:
    text = "12:cpu,cpuacct:/docker/abc\n0::/system.slice/docker-abc.scope\n"
    assert cgroup.cgroup_path(text) == "/system.slice/docker-abc.scope"
    assert cgroup.cgroup_path("4:memory:/x\n") is None
    assert cgroup.cgroup_path("0::/\n") == "/"


def test_tightest_quota_over_ancestors_and_usage(tmp_path: Path) -> None:
    proc, root = tmp_path / "proc", tmp_path / "cg"
    (proc / "42").mkdir(parents=True)
    (proc / "42" / "cgroup").write_text("0::/kubepods/pod1/ctr\n")
    (root / "kubepods" / "pod1" / "ctr").mkdir(parents=True)
    (root / "kubepods" / "cpu.max").write_text("max 100000\n")
    (root / "kubepods" / "pod1" / "cpu.max").write_text("200000 100000\n")
    (root / "kubepods" / "pod1" / "ctr" / "cpu.max").write_text("400000 100000\n")
    (root / "kubepods" / "pod1" / "ctr" / "cpu.stat").write_text(
        "usage_usec 12500000\nuser_usec 10000000\n"
    )
    limit = cgroup.cpu_limit(42, proc, root)
    assert limit.cpus == 2.0
    assert limit.directory == root / "kubepods" / "pod1" / "ctr"
    assert cgroup.usage_s(limit.directory) == pytest.approx(12.5)


def test_no_cgroup_information_means_no_limit(tmp_path: Path) -> None:
    assert cgroup.cpu_limit(None, tmp_path, tmp_path).cpus is None
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "cgroup").write_text("0::/\n")
    assert cgroup.cpu_limit(None, tmp_path, tmp_path / "cg").cpus is None
    assert cgroup.usage_s(tmp_path) is None
