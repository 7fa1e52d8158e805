"""The spool shared by several processes of one host: changes wait for the folder's lock."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from wattprint.collector.spool import Spool

#: Another process (a tracker, ``wattprint collector flush``) holding the spool's lock.
HOLDER = """
import sys
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_discard_waits_while_another_process_holds_the_spool(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    path = spool.put("r1", '{"id": "r1"}')
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(spool.lock_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        done = threading.Event()
        result: list[bool] = []


        def discard() -> None:
            result.append(spool.discard(path, '{"id": "r1"}'))
            done.set()

        worker = threading.Thread(target=discard)
        worker.start()
        assert not done.wait(0.5), "discard went ahead while another process held the spool"
        assert path.exists()
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert done.wait(30)
        worker.join()
    finally:
        holder.communicate(timeout=30)
    assert result == [True] and not path.exists()


def test_a_newer_record_written_by_another_process_is_not_discarded(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    sent = '{"id": "r1", "energy_kwh": 1.0}'
    path = spool.put("r1", sent)
    writer = ("import sys; from pathlib import Path; from wattprint.collector.spool import Spool; "
              "Spool(Path(sys.argv[1])).put('r1', sys.argv[2])")
    newer = '{"id": "r1", "energy_kwh": 2.0}'
    subprocess.run([sys.executable, "-c", writer, str(spool.directory), newer], check=True)
    assert spool.discard(path, sent) is False
    assert path.read_text(encoding="utf-8") == newer and spool.paths() == [path]
