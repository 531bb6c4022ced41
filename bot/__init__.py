"""shiftwatch: watches news feeds for leaders changing their stance."""

__version__ = "0.1.0"
