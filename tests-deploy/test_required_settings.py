"""Every deployable gets the settings it cannot run without, in every overlay.

A setting a service reads only at its first request (the PII key behind
identity digests, notify-svc's public URL and service token) would otherwise
pass every other check and fail in a district's cluster. Settings come from
the container's `env` and the ConfigMaps in its `envFrom`.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

import pytest
from deploy_support import OVERLAYS, by_kind, render

pytestmark = pytest.mark.unit

SERVICES = ("assessment-svc", "profile-svc", "path-svc", "notify-svc")
EVERYWHERE = {"KAFKA_BOOTSTRAP_SERVERS", "SERVICE_NAME"}
# The four services seal, open or digest personal data and keep a database.
SERVICE_NEEDS = {"DATABASE_URL", "PATHWISE_PII_KEY"}
NEEDS: dict[str, set[str]] = {
    "notify-svc": {
        "PROFILE_URL",
        "PATH_URL",
        "SMTP_HOST",
        "NOTIFY_PUBLIC_URL",
        "NOTIFY_FAMILY_URL",
    },
    "portal": {"ASSESSMENT_URL", "PROFILE_URL", "PATH_URL"},
}
# Without the development secret nothing is minted or trusted by default.
PRODUCTION_NEEDS: dict[str, set[str]] = {
    "notify-svc": {"NOTIFY_SERVICE_TOKEN"},
    # The OIDC redirect is built from the public URL, not from the request.
    "portal": {
        "PATHWISE_PORTAL_PUBLIC_URL",
        "PATHWISE_PORTAL_OIDC_ISSUER",
        "PATHWISE_PORTAL_OIDC_CLIENT_ID",
    },
}
PRODUCTION_EVERYWHERE = {"PATHWISE_AUTH_JWKS_URL", "PATHWISE_AUTH_ISSUER"}


def settings_of(docs: tuple[dict[str, Any], ...], name: str) -> dict[str, Any]:
    """The container's settings: ConfigMap values, and each env entry as written."""
    [container] = by_kind(docs, "Deployment")[name]["spec"]["template"]["spec"]["containers"]
    maps = by_kind(docs, "ConfigMap")
    found: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        ref = source["configMapRef"]["name"]
        data = next(m.get("data", {}) for n, m in maps.items() if n == ref or n.startswith(ref))
        found.update(data)
    found.update({e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])})
    return found


def missing(overlay: str, docs: tuple[dict[str, Any], ...], name: str) -> set[str]:
    wanted = EVERYWHERE | NEEDS.get(name, set())
    if name in SERVICES:
        wanted |= SERVICE_NEEDS
    if overlay == "production":
        wanted |= PRODUCTION_EVERYWHERE | PRODUCTION_NEEDS.get(name, set())
    have = settings_of(docs, name)
    return {s for s in wanted if have.get(s) in (None, "")}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployable_has_every_setting_it_needs(overlay: str) -> None:
    docs = render(f"overlays/{overlay}")
    gaps = {name: missing(overlay, docs, name) for name in (*SERVICES, "portal")}
    assert all(not gap for gap in gaps.values()), gaps


def test_the_check_notices_a_setting_gone() -> None:
    docs = copy.deepcopy(render("overlays/production"))  # render's result is shared
    config = next(m for n, m in by_kind(docs, "ConfigMap").items() if n.startswith("notify-svc"))
    del config["data"]["NOTIFY_PUBLIC_URL"]
    assert missing("production", docs, "notify-svc") == {"NOTIFY_PUBLIC_URL"}


def test_production_families_and_providers_reach_notify_svc_where_its_links_point() -> None:
    docs = render("overlays/production")
    have = settings_of(docs, "notify-svc")
    public = urlsplit(have["NOTIFY_PUBLIC_URL"])
    assert public.scheme == "https" and "NOTIFY_CALLBACK_URL" not in have
    ingress = by_kind(docs, "Ingress")["notify-svc"]["spec"]
    [rule] = ingress["rules"]
    assert rule["host"] == public.hostname
    assert public.hostname in {h for tls in ingress["tls"] for h in tls["hosts"]}
    # Only what families and providers call; the delivery log and exports stay inside.
    paths = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    assert paths == {"/v1/unsubscribe": "notify-svc", "/v1/sms": "notify-svc"}
    token = have["NOTIFY_SERVICE_TOKEN"]["secretKeyRef"]
    assert token["name"] == "pathwise-notify" and token.get("optional") is False
