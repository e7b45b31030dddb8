"""The contract a clone carries: README links resolve inside the repository, and docs/API.md
documents every route the server serves."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import DeskClient

ROOT = Path(__file__).resolve().parents[2]


def test_readme_links_stay_inside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme) + re.findall(r"`(\.\./[^`]+)`", readme)
    local = [t for t in targets if not t.startswith(("http://", "https://", "mailto:"))]
    assert "docs/API.md" in local
    for target in local:
        assert not target.startswith("../"), f"README points outside the repository: {target}"
        assert (ROOT / target).exists(), f"README links to a missing file: {target}"


def test_docs_api_describes_every_route_the_server_serves(desk_client: DeskClient) -> None:
    http: TestClient = desk_client.http
    paths = http.get("/openapi.json").json()["paths"]
    doc = re.sub(r"\{[^}]+\}", "{}", (ROOT / "docs" / "API.md").read_text(encoding="utf-8"))
    missing = []
    for path in paths:
        if not path.startswith("/api/v1/"):
            continue
        documented = re.sub(r"\{[^}]+\}", "{}", path.removeprefix("/api/v1"))
        if not re.search(rf"{re.escape(documented)}(?![\w/-])", doc):
            missing.append(path)
    assert missing == [], f"routes missing from docs/API.md: {missing}"
