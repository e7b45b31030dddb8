"""Python clients of the desk: :class:`Client`, :class:`AsyncClient`, and an xttrader facade.

``from qmtdesk.client import Client`` for the desk's own API; ``qmtdesk.client.xttrader`` for scripts
written for MiniQMT's ``XtQuantTrader``.
"""

from qmtdesk.client.http import AsyncClient, Client, DeskAPIError, new_client_order_id

__all__ = ["AsyncClient", "Client", "DeskAPIError", "new_client_order_id"]
