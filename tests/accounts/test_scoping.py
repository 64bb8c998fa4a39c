import ast
from pathlib import Path

from django.apps import apps

from salama.accounts.models import OrgScoped

ROOT = Path(__file__).resolve().parents[2] / "salama"


def test_every_org_model_uses_the_scoping_manager() -> None:
    for model in apps.get_models():
        if issubclass(model, OrgScoped):
            assert hasattr(model.objects, "for_org"), model


def test_views_api_and_jobs_reach_org_data_only_through_for_org() -> None:
    """In views, API modules and worker jobs, every `<Model>.objects` chain on an organisation
    model starts with `.for_org(...)`."""
    org_models = {m.__name__ for m in apps.get_models() if issubclass(m, OrgScoped)}
    offenders = []
    files = [
        *ROOT.glob("*/views.py"),
        *ROOT.glob("*/views/*.py"),
        *ROOT.glob("*/api.py"),
        *ROOT.glob("*/jobs.py"),
    ]
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "objects"
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id in org_models
                and node.attr != "for_org"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.value.id}")
    assert not offenders, "use Model.objects.for_org(org): " + ", ".join(offenders)
