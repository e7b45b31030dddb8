"""Signals, sizing and the strategies that produce them: everything that turns an idea into an order."""
