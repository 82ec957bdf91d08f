"""A loopback fake of HashiCorp Vault's KV version 2 HTTP API, as documented: secrets at
``/v1/<mount>/data/<path>`` (``{"data": {"data": ..., "metadata": ...}}``, a new version per
write), ``X-Vault-Token`` required (403 ``permission denied`` otherwise), 404 with an empty
``errors`` list for a path that holds nothing. Driven by ``hvac`` (and so by Airflow's
``VaultBackend``). Page: https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from werkzeug.wrappers import Request, Response

from tests.fakes.loopback import LoopbackServer, json_response


class VaultKvFake(LoopbackServer):
    def __init__(self, token: str, mount: str = "secret") -> None:
        super().__init__()
        self.token = token
        self.mount = mount
        self.versions: dict[str, list[dict]] = {}

    def _envelope(self, data: dict | None) -> dict:
        return {
            "request_id": str(uuid.uuid4()),
            "lease_id": "",
            "renewable": False,
            "lease_duration": 0,
            "data": data,
            "wrap_info": None,
            "warnings": None,
            "auth": None,
        }

    def handle(self, request: Request) -> Response:
        if request.headers.get("X-Vault-Token") != self.token:
            return json_response(403, {}, {"errors": ["permission denied"]})
        if request.path == "/v1/auth/token/lookup-self":
            return json_response(
                200, {}, self._envelope({"id": self.token, "policies": ["ponton"]})
            )
        prefix = f"/v1/{self.mount}/data/"
        if not request.path.startswith(prefix):
            return json_response(404, {}, {"errors": []})
        path = request.path.removeprefix(prefix)
        if request.method in ("POST", "PUT"):
            body = json.loads(request.get_data() or b"{}")
            history = self.versions.setdefault(path, [])
            metadata = {
                "created_time": datetime.now(UTC).isoformat(),
                "custom_metadata": None,
                "deletion_time": "",
                "destroyed": False,
                "version": len(history) + 1,
            }
            history.append({"data": body.get("data", {}), "metadata": metadata})
            return json_response(200, {}, self._envelope(metadata))
        if request.method == "GET" and path in self.versions:
            wanted = int(request.args.get("version") or len(self.versions[path]))
            return json_response(200, {}, self._envelope(self.versions[path][wanted - 1]))
        return json_response(404, {}, {"errors": []})
