"""Persistence: SQLAlchemy 2 models, repositories and Alembic migrations (SQLite WAL or PostgreSQL)."""
