"""Market data: the instrument universe, quote snapshots and their providers (simulated or xtdata)."""
