import secrets

from salama.settings import DEMO_SECRET_FILE


def ensure_demo_secrets() -> bool:
    """Generate the demo's Django secret under var/demo/ once. Returns whether it was created."""
    if DEMO_SECRET_FILE.exists():
        return False
    DEMO_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    DEMO_SECRET_FILE.write_text("demo-" + secrets.token_urlsafe(48))
    DEMO_SECRET_FILE.chmod(0o600)
    return True
