"""``agentwatch serve``: one HTTP server for every language and every app.

- :mod:`~agentwatch.server.app`: the ASGI app factory (``create_app``), health, OpenAPI, ``/metrics``
- :mod:`~agentwatch.server.api`: ingest (``POST /api/v1/events``) and read API
- :mod:`~agentwatch.server.otlp` and :mod:`~agentwatch.server.otlp_map`: the OTLP/HTTP trace receiver
- :mod:`~agentwatch.server.proxy` and :mod:`~agentwatch.server.proxy_record`: the provider proxy
- :mod:`~agentwatch.server.ingest`: handing finished events to the monitor, replying after the commit
- :mod:`~agentwatch.server.auth`, :mod:`~agentwatch.server.ratelimit`, :mod:`~agentwatch.server.body`:
  API keys and scopes, per-key token buckets, request size limits and gzip
- :mod:`~agentwatch.server.runner`: serving in the foreground or in a thread
- :mod:`~agentwatch.server.settings`: the ``[agentwatch.server]`` settings

Importing this package imports no web framework: :class:`ServerSettings` is part of the settings.
"""

from agentwatch.server.settings import ServerSettings

__all__ = ["ServerSettings"]
