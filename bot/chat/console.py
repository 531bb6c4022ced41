"""The console destination: a readable alert on stdout and one JSON line in alerts.jsonl."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from bot.errors import DeliveryError
from bot.render import AlertView, shift_json, shift_text


class ConsoleDestination:
    prefix = "console"

    def __init__(self, alerts_file: str | Path, out: TextIO | None = None):
        self.alerts_file = Path(alerts_file)
        self.out = out

    async def send(self, target: str, alert: AlertView) -> None:
        out = self.out or sys.stdout
        try:
            self.alerts_file.parent.mkdir(parents=True, exist_ok=True)
            with self.alerts_file.open("a", encoding="utf-8") as f:
                f.write(json.dumps(shift_json(alert), ensure_ascii=False) + "\n")
        except OSError as exc:
            raise DeliveryError(f"cannot write {self.alerts_file}: {exc}") from None
        print(shift_text(alert), file=out, flush=True)
