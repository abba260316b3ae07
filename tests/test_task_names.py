"""Meta-test: a Celery task's name is written once, in its app's task_names.py.

Registering a task, queueing it through the outbox, scheduling it on beat and asserting on it in a
test all use the constant, so a renamed task cannot leave a caller queueing a name no worker
knows. This test fails for a portal task not declared in its app's task_names.py, for a task
name spelled out as a string anywhere else in the code (the runtime, devdata, bench, tests), and
for a beat entry that names no registered task.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from consortium.celery import app

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_PARTS = {".venv", "migrations", "var", "node_modules"}


def registered_task_names() -> set[str]:
    app.loader.import_default_modules()  # what a worker imports: every app's tasks.py
    return {name for name in app.tasks if not name.startswith(("celery.", "tests."))}


def declared_task_names() -> dict[str, str]:
    """Each declared name -> the task_names module that declares it."""
    declared: dict[str, str] = {}
    for path in sorted(ROOT.glob("*/task_names.py")):
        module = importlib.import_module(f"{path.parent.name}.task_names")
        for constant, value in vars(module).items():
            if constant.startswith("TASK_"):
                declared[value] = module.__name__
    return declared


def python_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED_PARTS & set(path.relative_to(ROOT).parts) and path.name != "task_names.py"
    ]


def test_every_task_is_declared_in_its_apps_task_names() -> None:
    declared = declared_task_names()
    missing = sorted(name for name in registered_task_names() if name not in declared)
    assert missing == [], f"declare these in <app>/task_names.py as TASK_...: {missing}"
    misplaced = sorted(
        name for name, module in declared.items() if module != f"{name.split('.', 1)[0]}.task_names"
    )
    assert misplaced == [], f"a task's name belongs in its own app's task_names.py: {misplaced}"
    unused = sorted(set(declared) - registered_task_names())
    assert unused == [], f"declared but no task has the name: {unused}"


def test_no_task_name_is_spelled_out_as_a_string() -> None:
    declared = declared_task_names()
    found = []
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in declared:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert found == [], (
        "use the TASK_... constant from <app>/task_names.py instead of the string:\n  "
        + "\n  ".join(found)
    )


def test_every_beat_entry_runs_a_registered_task() -> None:
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled, "the beat schedule is empty"
    assert scheduled <= registered_task_names()
