"""The layers import one way: views and jobs stand on services and queries, never the reverse."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
# The layers below the web and the workers, and what they must never reach, at any depth.
LOWER_LAYERS = (
    "app.services",
    "app.queries",
    "app.domain",
    "app.models",
    "app.uow",
    "app.mail",
)
UPPER_LAYERS = ("app.jobs", "app.views")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in APP.rglob("*.py")}


def imported(path: Path, known: set[str], *, module_level_only: bool = False) -> set[str]:
    """Return the project's modules ``path`` imports, at module level or inside a function."""
    found: set[str] = set()
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    for node in tree.body if module_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            # "from app.x import y" reaches app.x, and app.x.y when y is a module.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def reachable(start: str, graph: dict[str, set[str]]) -> dict[str, list[str]]:
    """Return every module ``start`` reaches, each with one chain of imports that gets there."""
    chains = {start: [start]}
    stack = [start]
    while stack:
        current = stack.pop()
        for target in graph[current]:
            if target not in chains:
                chains[target] = [*chains[current], target]
                stack.append(target)
    return chains


def in_layer(name: str, layers: tuple[str, ...]) -> bool:
    return any(name == layer or name.startswith(f"{layer}.") for layer in layers)


def test_nothing_below_the_views_and_jobs_imports_them_at_any_depth():
    found = modules()
    known = set(found)
    graph = {name: imported(path, known) for name, path in found.items()}
    # The factory wires every layer inside create_app; importing the package runs none of that.
    graph["app"] = imported(found["app"], known, module_level_only=True)
    # A package's __init__ runs on importing any of its modules.
    for name in list(graph):
        parent = name.rpartition(".")[0]
        while parent:
            if parent in graph:
                graph[name].add(parent)
            parent = parent.rpartition(".")[0]
    crossings = []
    for name in sorted(known):
        if not in_layer(name, LOWER_LAYERS):
            continue
        for target, chain in reachable(name, graph).items():
            if in_layer(target, UPPER_LAYERS):
                crossings.append(" → ".join(chain))
    assert crossings == []


def test_the_checker_sees_an_import_inside_a_function(tmp_path):
    source = tmp_path / "app" / "services" / "sample.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    from app.jobs.dispatch import dispatch\n")
    known = {"app.jobs.dispatch", "app.jobs", "app"}
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert imported(source, known) == {"app.jobs.dispatch"}
    finally:
        ROOT = saved
