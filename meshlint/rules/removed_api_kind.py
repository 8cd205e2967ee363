"""ML100: kinds that no modern control plane serves, each with its replacement.

Mixer's ``config.istio.io`` kinds have their own rule (ML600), which tells add-on
defaults from user configuration. On a resource that a conversion rule converts, the conversion
finding says what replaces the kind, so this rule says nothing there (``YIELDS_TO``): one finding
per problem, and "N can be fixed" counts what convert fixes.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Violation

CODE = "ML100"
KINDS = ("authentication.istio.io/*", "rbac.istio.io/*", "config.istio.io/RouteRule", "config.istio.io/DestinationPolicy", "config.istio.io/EgressRule")
READS = ()
YIELDS_TO = ("ML300", "ML400", "ML401", "ML402")

_AUTHZ = "AuthorizationPolicy (security.istio.io/v1)"
REPLACEMENTS = {
    "authentication.istio.io/Policy": ("1.6", "PeerAuthentication (mTLS) and RequestAuthentication (JWT) in security.istio.io/v1, plus a DENY AuthorizationPolicy where a JWT was required"),
    "authentication.istio.io/MeshPolicy": ("1.6", "a PeerAuthentication named default in the root namespace (security.istio.io/v1)"),
    "rbac.istio.io/ServiceRole": ("1.6", f"the `to` operations of an {_AUTHZ}"),
    "rbac.istio.io/ServiceRoleBinding": ("1.6", f"the `from` sources of an {_AUTHZ}"),
    "rbac.istio.io/ClusterRbacConfig": ("1.6", f"{_AUTHZ} objects: an allow-nothing policy for each namespace or workload that was enforced"),
    "rbac.istio.io/RbacConfig": ("1.6", f"{_AUTHZ} objects: an allow-nothing policy for each namespace or workload that was enforced"),
    "rbac.istio.io/AuthorizationPolicy": ("1.4", "AuthorizationPolicy in security.istio.io/v1"),
    "config.istio.io/RouteRule": ("1.0", "a VirtualService (networking.istio.io/v1)"),
    "config.istio.io/DestinationPolicy": ("1.0", "a DestinationRule (networking.istio.io/v1)"),
    "config.istio.io/EgressRule": ("1.0", "a ServiceEntry (networking.istio.io/v1)"),
}
_GROUP_DEFAULT = {
    "authentication.istio.io": ("1.6", "PeerAuthentication / RequestAuthentication (security.istio.io/v1)"),
    "rbac.istio.io": ("1.6", _AUTHZ),
}


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    removed_in, replacement = REPLACEMENTS.get(res.type_key) or _GROUP_DEFAULT.get(res.group, ("1.0", "its networking.istio.io equivalent"))
    yield Violation("/kind", {"kind": res.kind, "apiVersion": res.api_version, "removed_in": removed_in, "replacement": replacement})
