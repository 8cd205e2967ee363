"""Alpha RBAC conversion and its verification."""
