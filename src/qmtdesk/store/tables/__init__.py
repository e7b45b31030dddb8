"""ORM tables, one module per domain; importing this package registers them all on ``Base.metadata``."""
