"""Pre-trade risk: one rule per module, scoped to the account or a strategy, and the trading state."""
