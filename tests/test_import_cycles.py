"""No import cycle in the product code (tools/, agent/, ui/, server/): every `import` and `from … import` of every
module counts, those inside functions and under `if TYPE_CHECKING:` too. A package's own submodules
importing each other through the package's __init__ are counted only when named explicitly."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tools", "agent", "ui", "server")


def modules() -> dict[str, Path]:
    """{"agent.parse.zh": Path("agent/parse/zh.py"), "agent.parse": Path("agent/parse/__init__.py"), ...}"""
    found = {}
    for path in sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of `known` that module `name` (file `path`) imports anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {t for t in targets if t in known and t != name}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One closed path per group of modules that import each other: ["a", "b", "a"] for a → b → a."""
    found: list[list[str]] = []
    for start in sorted(graph):
        loop = None if any(start in path for path in found) else _loop(graph, start)
        if loop:
            found.append(loop)
    return found


def _loop(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """The shortest import path start → … → start, or None (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for nxt in sorted(graph[module]):
                if nxt == start:
                    chain = [module]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return chain[::-1] + [start]
                if nxt not in previous:
                    previous[nxt] = module
                    following.append(nxt)
        frontier = following
    return None


def described(found: list[list[str]]) -> str:
    return "\n".join(" -> ".join(path) for path in found) or "none"


def test_the_cycle_finder_sees_a_cycle_hidden_in_a_function_body(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    source = tmp_path / "m.py"
    source.write_text("def late():\n    from pkg.other import thing\n", encoding="utf-8")
    assert imported("pkg.m", source, {"pkg.other": source, "pkg.m": source}) == {"pkg.other"}


def test_the_parser_package_has_no_import_cycle():
    found = [path for path in cycles(import_graph()) if any(m.startswith("agent.parse") for m in path)]
    assert not found, f"import cycles through the parser:\n{described(found)}"


def test_no_import_cycle_in_tools_agent_ui():
    found = cycles(import_graph())
    print(f"import cycles:\n{described(found)}")
    assert not found, f"import cycles:\n{described(found)}"
