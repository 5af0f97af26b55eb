"""The module a deployed Flower app points at (``[tool.flwr.app.components]`` of :func:`write_flower_app`).

Settings come from the run config, each site's folder from its SuperNode's
node config (``data-dir``, optional ``audit-dir`` and ``site-name``).
"""

from neurosym.federated._client import client_app
from neurosym.federated._server import server_app

serverapp = server_app()
clientapp = client_app()
