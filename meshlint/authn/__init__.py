"""Alpha authentication (Policy, MeshPolicy) → PeerAuthentication, RequestAuthentication, AuthorizationPolicy."""
