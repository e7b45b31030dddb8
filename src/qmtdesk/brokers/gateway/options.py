"""How the desk and a gateway authenticate to NATS: credentials file, token, TLS, from the settings."""

from __future__ import annotations

import ssl
from typing import Any

from qmtdesk.config import Settings


def nats_options(settings: Settings) -> dict[str, Any]:
    """``nats.connect`` keyword arguments: per-gateway credentials (``QMTDESK_NATS_CREDS``, a
    ``.creds`` file), or a token (``QMTDESK_NATS_TOKEN``), and TLS verified against
    ``QMTDESK_NATS_TLS_CA`` when given (a ``tls://`` URL uses the system's roots)."""
    options: dict[str, Any] = {}
    if settings.nats_creds is not None:
        options["user_credentials"] = str(settings.nats_creds)
    if settings.nats_token is not None:
        options["token"] = settings.nats_token.get_secret_value()
    if settings.nats_tls_ca is not None:
        context = ssl.create_default_context(cafile=str(settings.nats_tls_ca))
        options["tls"] = context
    return options
