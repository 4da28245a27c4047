"""Shared test helpers have one home each, so a test module never imports another one."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
            modules.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
    return modules


def test_no_test_module_imports_from_another_test_module():
    offending = [
        f"{path.relative_to(TESTS)}: {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in _imported_modules(path)
        if module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith("test_")
    ]
    assert offending == []


def _waits_on_expressions(path: Path) -> list[str]:
    """wait_for_function calls whose first argument is a string that is not a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "wait_for_function"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            continue
        if "=>" not in node.args[0].value and not node.args[0].value.startswith("function"):
            found.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    return found


def test_browser_waits_poll_functions_the_pages_policy_lets_run():
    """Playwright re-reads a bare expression with eval() on every poll after the first,
    which the pages' script policy refuses: the wait then fails whenever the first poll
    was not already true. A function is compiled once, outside the page's policy."""
    offending = [hit for path in sorted(TESTS.rglob("*.py")) for hit in _waits_on_expressions(path)]
    assert offending == []
