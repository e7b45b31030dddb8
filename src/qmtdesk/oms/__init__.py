"""Order management: the order service, the single-consumer engine, the ledger and reconciliation."""
