"""The layering contract (docs/architecture.md), read from the source: every import of every module
under pestrack/ (also those inside functions, which run later but still make one package depend on
another) is checked against the layers

    records <- analytics <- indicators <- reports <- results <- web / cli

(results: what the results pages and the results API ask, through the indicator engine; it builds on
the annual report of reports for the dashboard, and reports never reads results)

with the capabilities beside the spine (evaluation, matching, lmi, benchlearning, profiling) reading
records and analytics, and synth, which never imports indicators. Nothing imports web or cli but
web and cli. A failure names the module, the line and the rule broken.

Two more checks: no cycle between packages, and no cycle between modules (a module cycle works or
crashes depending on which module a command happens to import first; tests/test_imports.py)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pestrack"

SPINE = ("records", "analytics", "indicators", "reports", "results")
CAPABILITIES = ("evaluation", "matching", "lmi", "benchlearning", "profiling")
# Which packages each package may import (besides itself). A new package must be added here.
ALLOWED: dict[str, set[str]] = {
    "records": set(),
    "analytics": {"records"},
    "indicators": {"records", "analytics"},
    "reports": {"records", "analytics", "indicators"},
    "results": {"records", "analytics", "indicators", "reports"},
    **{c: {"records", "analytics"} for c in CAPABILITIES},
    # benchlearning maps the shared set onto the indicator engine (no second engine) and passes every
    # exported cell through the indicators' disclosure step
    "benchlearning": {"records", "analytics", "indicators"},
    "synth": {"records", "analytics"},  # never indicators: the published figures are its oracle
    "web": {*SPINE, *CAPABILITIES, "synth", "cli"},
    "cli": {*SPINE, *CAPABILITIES, "synth", "web"},
    "locale": set(),
    # The project's own modules: settings, the root URLconf (which includes web's) and wsgi.
    "": {*SPINE, *CAPABILITIES, "synth", "web"},
}
RULES = {
    "records": "records is the bottom layer and imports no other pestrack package",
    "analytics": "analytics imports only records",
    "indicators": "indicators imports only records and analytics",
    "reports": "reports imports only records, analytics and indicators",
    "results": "results imports only records, analytics, indicators and reports",
    "synth": "synth imports only records and analytics (never indicators: the published figures are its oracle)",
    "web": "web imports any layer but not the project modules",
    "cli": "cli imports any layer but not the project modules",
}
for _c in CAPABILITIES:
    RULES[_c] = f"{_c} is a capability beside the spine: it imports only records and analytics"
RULES["benchlearning"] = "benchlearning imports only records, analytics and indicators (the engine and disclosure)"


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


MODULES = _modules()


def _imports(name: str, source: str | None = None) -> list[tuple[str, int]]:
    """(imported pestrack module, line) for every import statement of module ``name``, anywhere in it
    (``source`` instead of the module's file, for the test of this walk)."""
    path, is_package = MODULES[name]
    found = []
    for node in ast.walk(ast.parse(path.read_text() if source is None else source, str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from pestrack.x import y`` imports the module pestrack.x.y when there is one
            found += [
                (f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module, node.lineno) for a in node.names
            ]
    out = []
    for module, line in found:
        while module and module not in MODULES:  # a name inside a module: the module
            module = module.rpartition(".")[0]
        if module.startswith("pestrack.") and module != name:
            out.append((module, line))
    return list(dict.fromkeys(out))


def _package(module: str) -> str:
    """The top-level package under pestrack ("" for the project modules pestrack, pestrack.settings...)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and MODULES[module][1]) else ""


EDGES = {name: _imports(name) for name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_every_package_has_a_place_in_the_layers():
    unknown = sorted({_package(m) for m in MODULES} - set(ALLOWED))
    assert not unknown, (
        f"packages without a layer: {unknown}; add them to ALLOWED in tests/test_layers.py and to docs/architecture.md"
    )


def _against_layers(edges: dict[str, list[tuple[str, int]]]) -> list[str]:
    broken = []
    for name, imports in edges.items():
        here = _package(name)
        for module, line in imports:
            there = _package(module)
            if there != here and there not in ALLOWED.get(here, set()):
                rule = RULES.get(here, f"{here} has no layer")
                if there in ("web", "cli"):
                    rule = "nothing imports web or cli except web and cli themselves"
                broken.append(f"{MODULES[name][0].relative_to(ROOT)}:{line}: {name} imports {module} ({rule})")
    return broken


def test_imports_follow_the_layers():
    broken = _against_layers(EDGES)
    assert not broken, "imports against the layers:\n" + "\n".join(broken)


def test_no_package_cycles():
    graph: dict[str, set[str]] = defaultdict(set)
    for name, imports in EDGES.items():
        for module, _ in imports:
            if _package(module) != _package(name):
                graph[_package(name)].add(_package(module))
    cycles = _cycles(dict(graph))
    assert not cycles, f"package cycles: {cycles}"


def test_no_module_cycles():
    graph = {name: {m for m, _ in imports} for name, imports in EDGES.items()}
    cycles = _cycles(graph)
    where = []
    for cycle in cycles:
        members = set(cycle)
        where += [
            f"  {MODULES[n][0].relative_to(ROOT)}:{line}: {n} imports {m}"
            for n in cycle
            for m, line in EDGES[n]
            if m in members
        ]
    assert not cycles, "module cycles (each breaks a command that imports them in the wrong order):\n" + "\n".join(
        where
    )


def test_the_check_sees_late_relative_and_upward_imports():
    """The walk itself: an import inside a function, a relative import and ``import a.b`` are all
    seen, and each upward one is named with its module, line and rule."""
    source = (
        "from .people import identity\n"
        "def f():\n"
        "    from pestrack.analytics.pseudonym import person_key\n"
        "    import pestrack.web.api\n"
    )
    edges = {"pestrack.records.access": _imports("pestrack.records.access", source)}
    assert edges["pestrack.records.access"] == [
        ("pestrack.records.people.identity", 1),
        ("pestrack.analytics.pseudonym", 3),
        ("pestrack.web.api", 4),
    ]
    broken = _against_layers(edges)
    assert broken == [
        "pestrack/records/access.py:3: pestrack.records.access imports pestrack.analytics.pseudonym "
        "(records is the bottom layer and imports no other pestrack package)",
        "pestrack/records/access.py:4: pestrack.records.access imports pestrack.web.api "
        "(nothing imports web or cli except web and cli themselves)",
    ]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
