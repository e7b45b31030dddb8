"""Pure domain model: instruments, dated exchange rules, fees, orders, portfolio, validation.

Nothing here imports the web framework, the database or xtquant.
"""
