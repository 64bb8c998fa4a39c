"""The apps stand in floors (docs/architecture.md): an app imports only apps below it. This walks
every import under salama/ — module level and inside functions, migrations included — and fails
naming the file when a lower app imports a higher one (which is also how two apps importing each
other shows)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "salama"

# Bottom to top. Modules directly under salama/ (settings, urls, views, api, cli, metrics, …)
# stand above every app.
LAYERS = [
    "lib",
    "worker",
    "accounts",
    "people",
    "safety",
    "messaging",
    "alerts",
    "rollcalls",
    "facilities",
    "evidence",
    "incidents",
    "evacuation",
    "negotiations",
    "reports",
    "webhooks",  # X1: outbound webhooks listen to alerts, rollcalls and safety
    "privacy",
    "bench_floor",
    "demo",
]
TOP = len(LAYERS)


def floor(module: str) -> int:
    parts = module.split(".")
    if parts[0] != "salama" or len(parts) < 2:
        return -1  # not ours
    if (ROOT / parts[1]).is_dir():
        assert parts[1] in LAYERS, f"salama.{parts[1]} has no floor: add it to LAYERS"
        return LAYERS.index(parts[1])
    return TOP


def imported(tree: ast.AST, package: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.add(node.module)
    return found


def upward_imports() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent)
        package = ".".join(relative.with_suffix("").parts[:-1])
        own = floor(".".join(relative.with_suffix("").parts))
        for module in imported(ast.parse(path.read_text(), str(path)), package):
            if floor(module) > own:
                found.add((str(relative), module.split(".")[1]))
    return found


def test_every_app_has_a_floor() -> None:
    apps = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert apps <= set(LAYERS), f"no floor for {sorted(apps - set(LAYERS))}: add to LAYERS"


def test_no_lower_app_imports_a_higher_one() -> None:
    found = sorted(upward_imports())
    assert not found, "a lower app imports a higher one (file, higher app): " + repr(found)


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    tree = ast.parse("def f():\n    from salama.alerts.services import x\n")
    assert imported(tree, "salama.safety") == {"salama.alerts.services"}
    assert floor("salama.alerts.services") > floor("salama.safety.services")
