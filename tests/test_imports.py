"""The package's layout is its data flow: no sub-package imports one downstream of it.

Parsed from the source (no imports run), so the test also covers imports
made inside functions.
"""

import ast
from pathlib import Path

import ann_keras

PACKAGE = Path(ann_keras.__file__).parent

# The flow, upstream first. The shared helpers and the results contract sit below everything; the
# reporting half (reports/) reads the contract and nothing of the training half.
SHARED = {"errors", "names", "files", "results", "backend", "__init__", "__version__"}   # backend: which Keras backend
FLOW = ["specs", "data", "models", "training", "search", "deploy"]   # deploy: predict, export, TensorBoard
TOP = {"experiments", "commands", "cli", "__main__", "api"}   # api: the commands as Python functions


def part(module: str) -> str:
    """Return the part of the package a dotted module name (relative to ann_keras) belongs to."""
    return module.split(".")[0] if module else "__init__"


def imports(path: Path) -> set[str]:
    """Return the ann_keras modules `path` imports, relative to the package (e.g. 'search.tuning')."""
    here = path.relative_to(PACKAGE).with_suffix("").parts
    package = list(here[:-1]) if here[-1] != "__init__" else list(here[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("ann_keras"):
                target = node.module.removeprefix("ann_keras").lstrip(".")
            else:
                continue
            names = [alias.name for alias in node.names]
            found |= {f"{target}.{name}".lstrip(".") if not node.module else target for name in names}
        elif isinstance(node, ast.Import):
            found |= {alias.name.removeprefix("ann_keras").lstrip(".") for alias in node.names
                      if alias.name.startswith("ann_keras")}
    return found


def allowed(source: str, target: str) -> bool:
    if source == target or target in SHARED:
        return True
    if (source, target) == ("__init__", "api"):
        return True                       # `ann_keras.tune` etc.: re-exported on first use (module __getattr__)
    if source in SHARED:
        return False                      # the shared helpers and the contract depend on nothing above them
    if source in TOP:
        return True
    if source == "reports" or target == "reports":
        return False                      # the reporting half and the training half never meet
    if target in TOP:
        return False
    return FLOW.index(target) <= FLOW.index(source)


def test_no_module_imports_downstream_of_itself():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = part(".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        for module in imports(path):
            if not allowed(source, part(module)):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_the_rule_is_not_vacuous():
    """The parser sees the imports that exist: search imports specs, models import specs, cli imports commands."""
    assert "specs" in {part(m) for m in imports(PACKAGE / "search" / "run.py")}
    assert "specs.fields" in imports(PACKAGE / "models" / "cnn.py")
    assert "commands" in imports(PACKAGE / "cli.py")
    assert not allowed("specs", "models") and not allowed("reports", "search") and not allowed("data", "models")
    assert not allowed("training", "search") and allowed("search", "training")
