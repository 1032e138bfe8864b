"""nflint: a static linter for Linux netfilter state."""

__version__ = "0.1.0"
