"""Response models: what the API answers, for ``/openapi.json`` and the UI's generated TypeScript types.

The routes build their answers as plain dicts (the hot path never pays for a model); these models
describe them and are declared on the routes with :func:`~qmtdesk.api.schemas.common.answers`.
``tests/api/test_openapi*.py`` check real answers against them with unknown fields forbidden, so the
description cannot drift. Money, prices and rates are decimal strings, as everywhere in the API.
One module per domain; class names are unique across modules (they name the OpenAPI components).
"""
