"""`python -m bot` is the `shiftwatch` command."""

from bot.cli import main

raise SystemExit(main())
