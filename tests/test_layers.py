"""Layers point one way: every module under src/caplab imports only its own layer and the layers
below it (imports inside functions count too), module imports form no cycle, and the simulator
never imports pandas, plotly, networkx or ipywidgets, not even lazily.

Read from the source with :mod:`ast`, so nothing is imported and a lazy import is seen as
clearly as a top-level one. The layers are docs/architecture.md's; STYLE.md: "Dependencies point
one way".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Bottom to top. A module may import modules of its own layer and of the layers below it.
#: ``history`` is plain data (``record``: operations and histories; ``models``, ``porcupine``:
#: sequential models and log parsers) importing only ``errors``, so it sits right above it:
#: ``world`` and the systems record histories, and the checkers read them. The systems layer
#: (``kv`` today; ``txn``, ``bus``, ``services`` to come) may import ``world``, ``net``, ``sim``
#: and ``history``. ``analyses`` (the PBS model) sits above the checkers and below the frames and
#: views that draw it. ``labkit`` grades the course's scenarios and the labs, so it sits above
#: ``course``. The package face (``caplab/__init__.py``) re-exports from any layer; no module
#: imports it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("errors", ("caplab.errors",)),
    ("data", ("caplab.data",)),   # files shipped with caplab (reference histories), no code deps
    ("history", ("caplab.history",)),
    ("sim", ("caplab.sim",)),
    ("net", ("caplab.net",)),
    ("world", ("caplab.world",)),
    ("systems", ("caplab.kv", "caplab.txn", "caplab.bus", "caplab.services",
                 "caplab.resilience", "caplab.events")),
    ("check", ("caplab.check",)),
    ("analyses", ("caplab.analyses",)),
    ("frames", ("caplab.frames",)),
    ("viz", ("caplab.viz",)),
    ("widgets", ("caplab.widgets",)),
    ("course", ("caplab.course",)),
    ("labkit", ("caplab.labkit",)),
    ("face", ("caplab",)),        # caplab/__init__.py only (see layer_of)
]
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}
#: Layers narrower than "everything below": the checkers take histories as data and know no
#: system or simulator (Porcupine's checker knows nothing of any protocol).
ONLY = {"check": {"errors", "history"}}

#: The simulator: these never import a UI or dataframe library, not even inside a function.
SIMULATOR = ("caplab.sim", "caplab.net", "caplab.world", "caplab.kv", "caplab.txn", "caplab.bus",
             "caplab.services", "caplab.resilience", "caplab.events", "caplab.history.record")
FORBIDDEN_IN_SIMULATOR = ("pandas", "plotly", "networkx", "ipywidgets")

#: Known violations, each (importer, imported) with a comment saying why and who removes it.
#: Empty: the last two (history.record and kv.cluster lazily importing caplab.frames, and the
#: record <-> frames cycle) went with the world rewrite (issue 11: the store hands out records,
#: caplab.frames builds the DataFrames). The test fails on an entry that no longer occurs, so
#: this list can only shrink; add to it only with a comment and an issue.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()
#: Known import cycles (sets of modules), same rule.
KNOWN_CYCLES: list[set[str]] = []


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str     # a caplab module, or a top-level third-party name
    line: int
    lazy: bool        # inside a function (or class body), not at module level

    def where(self) -> str:
        lazily = ", inside a function or class" if self.lazy else ""
        return f"{self.importer} (line {self.line}{lazily})"


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (path, is a package ``__init__``)."""
    out = {}
    for path in sorted((SRC / "caplab").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


MODULES = _modules()


def _targets(module: str, is_package: bool, node: ast.AST) -> list[str]:
    """What an import statement imports: caplab modules (a ``from pkg import sub`` names the
    submodule ``pkg.sub`` when it is one), or third-party top-level names."""
    if isinstance(node, ast.Import):
        return [a.name if a.name.startswith("caplab") else a.name.split(".")[0]
                for a in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if not base.startswith("caplab"):
        return [base.split(".")[0]]
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def _inside_defs(tree: ast.Module) -> set[int]:
    """ids of the nodes inside a function or class body (imports there run lazily)."""
    return {id(n) for d in ast.walk(tree)
            if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            for n in ast.walk(d) if n is not d}


def _parse(module: str, is_package: bool, source: str) -> list[Import]:
    tree = ast.parse(source)
    lazy = _inside_defs(tree)
    return [Import(module, target, node.lineno, id(node) in lazy)
            for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
            for target in dict.fromkeys(_targets(module, is_package, node))]


def _imports() -> list[Import]:
    return [imp for module, (path, is_package) in MODULES.items()
            for imp in _parse(module, is_package, path.read_text())]


IMPORTS = _imports()


def layer_of(module: str) -> str | None:
    """The layer of a caplab module: its longest matching package prefix (the face is
    ``caplab`` itself, never a package under it that no layer names)."""
    if module == "caplab":
        return "face"
    best, best_len = None, -1
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if prefix == "caplab":
                continue
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = name, len(prefix)
    return best


def layering_violations(imports=IMPORTS) -> list[tuple[Import, str]]:
    """Imports of a higher layer, with the sentence that explains each."""
    out = []
    for imp in imports:
        if not imp.imported.startswith("caplab"):
            continue
        src, dst = layer_of(imp.importer), layer_of(imp.imported)
        if src is None or dst is None:
            continue   # test_every_module_has_a_layer names it
        if RANK[dst] > RANK[src]:
            out.append((imp, f"{imp.where()} [layer {src}] imports {imp.imported} "
                             f"[layer {dst}, above it]"))
        elif src in ONLY and dst != src and dst not in ONLY[src]:
            out.append((imp, f"{imp.where()} [layer {src}] imports {imp.imported} "
                             f"[layer {dst}]; layer {src} may import only "
                             f"{', '.join(sorted(ONLY[src]))}"))
    return out


def cycles(imports=IMPORTS) -> list[set[str]]:
    """Strongly connected components of more than one caplab module (Tarjan)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in imports:
        if imp.imported in MODULES and imp.imported != imp.importer:
            graph[imp.importer].add(imp.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# -- the tests ----------------------------------------------------------------------------------
def test_every_module_has_a_layer():
    """A new package must be placed in LAYERS before it can be imported by anything."""
    missing = sorted(m for m in MODULES if layer_of(m) is None)
    assert not missing, f"modules in no layer (add them to LAYERS): {missing}"
    assert all(imp.imported in MODULES or imp.imported.rsplit(".", 1)[0] in MODULES
               for imp in IMPORTS if imp.imported.startswith("caplab")), "unresolved import"


def test_layers_point_one_way():
    """No module imports a layer above its own (lazy imports included), except the known
    violations listed, each of which still occurs."""
    found = layering_violations()
    new = [text for imp, text in found if (imp.importer, imp.imported) not in KNOWN_VIOLATIONS]
    assert not new, "imports against the layering:\n  " + "\n  ".join(new)
    seen = {(imp.importer, imp.imported) for imp, _ in found}
    gone = sorted(KNOWN_VIOLATIONS - seen)
    assert not gone, f"KNOWN_VIOLATIONS lists imports that are gone; remove them: {gone}"


def test_no_import_cycles():
    """caplab modules import each other without cycles (imports inside functions count)."""
    found = cycles()
    new = [sorted(c) for c in found if c not in KNOWN_CYCLES]
    assert not new, f"import cycles: {new}"
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in found]
    assert not gone, f"KNOWN_CYCLES lists cycles that are gone; remove them: {gone}"


def test_simulator_never_imports_ui_or_dataframe_libraries():
    """sim, net, world, the systems and history.record import no pandas, plotly, networkx or
    ipywidgets, not even inside a function."""
    bad = [f"{imp.where()} imports {imp.imported}" for imp in IMPORTS
           if imp.imported in FORBIDDEN_IN_SIMULATOR
           and any(imp.importer == p or imp.importer.startswith(p + ".") for p in SIMULATOR)]
    assert not bad, "the simulator imports a UI/dataframe library:\n  " + "\n  ".join(bad)


def test_course_imports_no_labkit():
    """The course's scenarios know nothing of grading: caplab.course never imports labkit."""
    bad = [imp.where() for imp in IMPORTS
           if layer_of(imp.importer) == "course" and imp.imported.startswith("caplab.labkit")]
    assert not bad, f"caplab.course imports caplab.labkit: {bad}"


# -- the checker checks itself: it fails on a violation and names both modules ------------------
@pytest.mark.parametrize("module, source, imported, lazy", [
    ("caplab.sim.kernel", "from ..kv import Cluster\n", "caplab.kv", False),
    ("caplab.kv.cp.node", "def f():\n    from ...viz import timeline\n", "caplab.viz.timeline",
     True),
    ("caplab.check.stale", "import caplab.widgets.replay\n", "caplab.widgets.replay", False),
    ("caplab.course.cap", "def g():\n    from ..labkit import Exercise\n", "caplab.labkit", True),
    ("caplab.check.lost", "from ..kv.cp import ReplicaSet\n", "caplab.kv.cp", False),
])
def test_a_violation_is_found_and_names_both_modules(module, source, imported, lazy):
    """An upward import (top-level or lazy) is reported with the importer and the imported."""
    [(imp, text)] = layering_violations(_parse(module, False, source))
    assert (imp.importer, imp.imported, imp.lazy) == (module, imported, lazy)
    assert module in text and imported in text
    assert ("inside a function" in text) is lazy


def test_a_cycle_is_found():
    """Two modules importing each other (one lazily) form a cycle."""
    imports = [Import("caplab.kv.ap.driver", "caplab.kv.ap.ring", 3, True),
               Import("caplab.kv.ap.ring", "caplab.kv.ap.driver", 9, False)]
    assert cycles(imports) == [{"caplab.kv.ap.driver", "caplab.kv.ap.ring"}]


def test_relative_imports_resolve_to_submodules():
    """``from . import staleness`` in a package names the submodule, not the package."""
    [imp] = [i for i in IMPORTS if i.importer == "caplab.analyses"
             and i.imported.startswith("caplab.analyses.")]
    assert imp.imported == "caplab.analyses.staleness" and not imp.lazy
