"""Arms the test audit (meshlint_audit.py) in CLI subprocesses started by the tests."""
import meshlint_audit

meshlint_audit.install_from_environment()
