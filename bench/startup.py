"""Start-up cost of one-shot commands: an empty `poll --once` (CPU) and `positions FR` (wall).

Each run is a fresh `python -m bot ...` process in a temporary folder (a feeds file with no
feed, a SQLite database the first poll creates, Telegram and Slack configured as in production
but pointing at a closed local port), so what it measures is what a user waits for:
interpreter start, imports, reading the rules, opening the store. Prints the median of
`--runs` runs of each, the targets, and the modules a command imported that it should not need.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLL_CPU_TARGET = 0.4      # seconds of CPU, an empty `poll --once`
POSITIONS_WALL_TARGET = 0.5  # seconds of wall time, `positions FR`
# Modules only a command that sends a chat message, fetches an article page or runs on a
# schedule needs.
HEAVY = ("telegram", "slack_sdk", "slack_bolt", "trafilatura", "apscheduler", "aiohttp",
         "prometheus_client")
PROBE = ("import runpy, sys; sys.argv = ['shiftwatch', *sys.argv[1:]]\n"
         "try:\n    runpy.run_module('bot', run_name='__main__')\nexcept SystemExit:\n    pass\n"
         "print('\\n'.join(sorted(m for m in sys.modules if '.' not in m)), file=sys.stderr)")


def run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall s, CPU s) of one command in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def imported(args: list[str], env: dict[str, str], cwd: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, cwd=cwd, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return set(done.stderr.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (median)")
    opts = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="shiftwatch-startup-") as tmp:
        folder = Path(tmp)
        (folder / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SHIFTWATCH_", "TELEGRAM_", "SLACK_"))}
        env.update(SHIFTWATCH_DB_URL=str(folder / "state.db"), SHIFTWATCH_FEEDS="feeds.yaml",
                   SHIFTWATCH_RULES=str(root / "rules"), PYTHONPATH=str(root),
                   # chat configured, as in production, but unreachable: nothing is sent
                   TELEGRAM_BOT_TOKEN="1:startup-bench", TELEGRAM_API_URL="http://127.0.0.1:9",
                   SLACK_BOT_TOKEN="xoxb-startup-bench", SLACK_API_URL="http://127.0.0.1:9/api/",
                   SLACK_SIGNING_SECRET="startup-bench")
        poll, positions = ["poll", "--once"], ["positions", "FR"]
        run(poll, env, folder)  # creates the database; warms the file cache
        polls = [run(poll, env, folder) for _ in range(opts.runs)]
        shown = [run(positions, env, folder) for _ in range(opts.runs)]
        poll_cpu = statistics.median(c for _, c in polls)
        poll_wall = statistics.median(w for w, _ in polls)
        pos_wall = statistics.median(w for w, _ in shown)
        pos_cpu = statistics.median(c for _, c in shown)
        heavy_poll = sorted(set(HEAVY) & imported(poll, env, folder))
        heavy_positions = sorted(set(HEAVY) & imported(positions, env, folder))
    print(f"poll --once (no feeds): {poll_cpu:.2f} s CPU, {poll_wall:.2f} s wall "
          f"(median of {opts.runs}; target CPU < {POLL_CPU_TARGET} s) "
          f"{'OK' if poll_cpu < POLL_CPU_TARGET else 'MISSED'}")
    print(f"positions FR:           {pos_wall:.2f} s wall, {pos_cpu:.2f} s CPU "
          f"(median of {opts.runs}; target wall < {POSITIONS_WALL_TARGET} s) "
          f"{'OK' if pos_wall < POSITIONS_WALL_TARGET else 'MISSED'}")
    print(f"heavy modules imported: poll --once {', '.join(heavy_poll) or 'none'}; "
          f"positions {', '.join(heavy_positions) or 'none'}")


if __name__ == "__main__":
    main()
