"""meshlint: find and convert Istio 1.4/1.6 configuration that modern or managed Istio rejects or ignores."""

__version__ = "0.1.0"
