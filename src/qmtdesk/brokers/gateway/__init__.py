"""Remote MiniQMT gateways over NATS JetStream.

A gateway (``qmtdesk gateway``) runs beside a MiniQMT client, owns that client's xtquant session
through the same broker port the desk uses locally, and connects *out* to the desk's NATS server.
The desk talks to it through :class:`~qmtdesk.brokers.gateway.client.GatewayBroker`, one more
implementation of the broker port: commands go as NATS requests with the order's reference as
idempotency key and a deadline; reports go to a JetStream stream, so none is lost while the desk
restarts or the link is down.
"""
