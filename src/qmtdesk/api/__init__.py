"""The HTTP and WebSocket API of API.md (FastAPI)."""
