from __future__ import annotations

import threading

import pytest
from _sensor_fakes import FakeKernel, FakeProcess, FakePsutil, NoSuchProcess

from wattprint.measure.sensors.proctree import ProcessTree


def family() -> tuple[FakeKernel, ProcessTree]:
    k = FakeKernel()
    k.spawn(100)  # root
    k.spawn(101, ppid=100)
    k.spawn(102, ppid=101)  # grandchild
    k.run(100, 5.0)  # before tracking: not counted
    return k, ProcessTree(100, FakePsutil(k), rediscover_s=0.0)


def test_tree_cpu_delta_counts_descendants() -> None:
    k, tree = family()
    k.run(100, 1.0)
    k.run(101, 2.0)
    k.run(102, 0.5)
    assert tree.cpu_seconds_delta() == pytest.approx(3.5)
    assert tree.cpu_seconds_delta() == 0.0


def test_exited_child_keeps_its_time_and_its_tail_via_the_reaper() -> None:
    k, tree = family()
    k.run(101, 2.0)
    assert tree.cpu_seconds_delta() == pytest.approx(2.0)
    k.run(101, 0.5)  # after the last read ...
    k.exit(101)  # ... then exits; 100 reaps it (its 2.5 s land in children_user)
    k.run(102, 1.0)  # orphaned grandchild keeps running
    assert tree.cpu_seconds_delta() == pytest.approx(1.5)
    k.run(102, 1.0)
    assert tree.cpu_seconds_delta() == pytest.approx(1.0)


def test_child_born_and_reaped_between_reads_is_counted() -> None:
    k, tree = family()
    k.spawn(103, ppid=100)
    k.run(103, 0.7)
    k.exit(103)
    assert tree.cpu_seconds_delta() == pytest.approx(0.7)


def test_new_child_seen_alive_is_counted_in_full() -> None:
    k, tree = family()
    k.spawn(104, ppid=102)
    k.run(104, 0.4)
    tree.rescan()
    assert tree.cpu_seconds_delta() == pytest.approx(0.4)


def test_unreaped_exit_keeps_the_last_seen_time() -> None:
    k, tree = family()
    k.run(101, 1.0)
    assert tree.cpu_seconds_delta() == pytest.approx(1.0)
    k.run(101, 0.3)
    k.exit(101, reaped=False)  # parent ignores SIGCHLD: only the tail is lost
    assert tree.cpu_seconds_delta() == pytest.approx(0.0)


def test_rss_sums_live_processes() -> None:
    k, tree = family()
    assert tree.rss_bytes() == 3 * 100 * 2**20
    k.exit(102)
    assert tree.rss_bytes() == 2 * 100 * 2**20


def test_missing_root_raises_no_such_process() -> None:
    with pytest.raises(NoSuchProcess):
        ProcessTree(999, FakePsutil(FakeKernel()))


def test_reap_racing_with_the_read_does_not_double_count() -> None:
    k, tree = family()
    k.run(101, 2.0)
    assert tree.cpu_seconds_delta() == pytest.approx(2.0)
    k.run(101, 0.5)
    k.exit_when_read = 101  # parent 100 is read first, then 101 vanishes and is reaped
    first = tree.cpu_seconds_delta()
    second = tree.cpu_seconds_delta()  # now 100's children_user shows 101's 2.5 s
    assert first + second == pytest.approx(0.5)


def test_new_children_are_found_at_the_next_scan_with_all_their_time() -> None:
    k = FakeKernel()
    k.spawn(100)
    now = [0.0]
    tree = ProcessTree(100, FakePsutil(k), rediscover_s=5.0, monotonic=lambda: now[0])
    k.spawn(101, ppid=100)
    k.run(101, 0.8)
    now[0] = 1.0
    tree.rescan()  # too soon: no /proc walk
    assert tree.cpu_seconds_delta() == 0.0
    k.run(101, 0.2)
    now[0] = 5.0
    tree.rescan()
    assert tree.cpu_seconds_delta() == pytest.approx(1.0)  # found, counted in full


def test_reads_after_the_scan_count_only_the_new_time() -> None:
    k, tree = family()
    k.spawn(104, ppid=100)
    k.run(104, 0.4)
    tree.rescan()  # finds 104 with 0.4 s ...
    k.run(104, 0.1)  # ... which runs on before the read takes it up
    tree.rescan()  # a second scan does not count it again
    assert tree.cpu_seconds_delta() == pytest.approx(0.5)
    k.run(104, 0.2)
    assert tree.cpu_seconds_delta() == pytest.approx(0.2)


class _HeldProcess(FakeProcess):
    """A process whose ``children()`` (the /proc walk) waits while its psutil holds scans."""

    def __init__(self, kernel: FakeKernel, pid: int, psutil: _HeldScanPsutil) -> None:
        super().__init__(kernel, pid)
        self._psutil = psutil

    def children(self, recursive: bool = False) -> list[FakeProcess]:
        if self._psutil.hold:
            self._psutil.scanning.set()
            assert self._psutil.release.wait(30), "the test never released the scan"
        return super().children(recursive)


class _HeldScanPsutil(FakePsutil):
    """psutil whose process-tree walks wait, once ``hold`` is set, for ``release``."""

    def __init__(self, kernel: FakeKernel) -> None:
        super().__init__(kernel)
        self.hold = False
        self.scanning = threading.Event()
        self.release = threading.Event()

    def Process(self, pid: int) -> FakeProcess:  # noqa: N802
        return _HeldProcess(self.kernel, pid, self)


def test_reads_go_on_while_a_rescan_walks_proc() -> None:
    k = FakeKernel()
    k.spawn(100)
    ps = _HeldScanPsutil(k)
    tree = ProcessTree(100, ps, rediscover_s=0.0)
    k.spawn(101, ppid=100)
    k.run(101, 0.3)
    ps.hold = True
    scan = threading.Thread(target=tree.rescan)
    scan.start()
    try:
        assert ps.scanning.wait(30)
        k.run(100, 1.0)
        assert tree.cpu_seconds_delta() == pytest.approx(1.0)  # the scan holds nothing
        tree.rescan()  # another scan is under way: returns at once
    finally:
        ps.release.set()
        scan.join()
    assert tree.cpu_seconds_delta() == pytest.approx(0.3)  # what the scan found
