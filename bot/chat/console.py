"""The console destination: a readable alert on stdout and one JSON line in alerts.jsonl.

Delivery from the outbox is at least once: a process killed after writing an alert but before
marking its row sent sends it again after the restart (or another worker does). The file is
the record of what was delivered, so an alert whose key is already in it is not written or
printed again; several processes may append to the same file.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.errors import DeliveryError
from bot.render import AlertView, shift_json, shift_text


def alert_key(alert: AlertView) -> str:
    """The shift's identity (`Shift.key`, as stored): stable across restarts, workers and
    databases."""
    if alert.key:
        return alert.key
    return f"{alert.actor_id}|{alert.topic}|{alert.from_stance}>{alert.to_stance}|{alert.item}"


class ConsoleDestination:
    prefix = "console"

    def __init__(self, alerts_file: str | Path, out: TextIO | None = None):
        self.alerts_file = Path(alerts_file)
        self.out = out
        self._written: set[str] = set()
        self._read_upto = 0  # bytes of the file already scanned for keys

    async def send(self, target: str, alert: AlertView) -> None:
        key = alert_key(alert)
        line = json.dumps({**shift_json(alert), "key": key}, ensure_ascii=False) + "\n"
        try:
            self.alerts_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.alerts_file, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if key in self._scan(fd):
                    return
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = "\n" + line  # a hand-edited file without a final newline
                # one write() of the whole line on an O_APPEND descriptor: lines of concurrent
                # writers do not interleave, and a kill cannot leave half a line
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            raise DeliveryError(f"cannot write {self.alerts_file}: {exc}") from None
        self._written.add(key)
        print(shift_text(alert), file=self.out or sys.stdout, flush=True)

    async def notice(self, text: str) -> None:
        """An operational notice (a feed broke or recovered): on stdout, beside the alerts."""
        print(f"[shiftwatch] {text}", file=self.out or sys.stdout, flush=True)

    def _scan(self, fd: int) -> set[str]:
        """The keys in the file, reading only what was appended since the last call."""
        size = os.fstat(fd).st_size
        if size < self._read_upto:  # the file was truncated or replaced
            self._written.clear()
            self._read_upto = 0
        if size > self._read_upto:
            data = os.pread(fd, size - self._read_upto, self._read_upto)
            complete = data[:data.rfind(b"\n") + 1]  # a line still being written waits
            for raw in complete.splitlines():
                try:
                    key = json.loads(raw).get("key")
                except (ValueError, AttributeError):
                    continue  # a line of an older version or a hand edit: not a delivery record
                if isinstance(key, str):
                    self._written.add(key)
            self._read_upto += len(complete)
        return self._written
