"""qmtdesk: a self-hosted A-share trading desk for MiniQMT with a rule-faithful paper exchange."""

__version__ = "0.1.0"
