"""Moving a model between apps keeps its rows: ServiceTranslation left applications for services
(each app owns its models) with the demo's translations in place."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from services.models import ServiceTranslation
from tests.factories import ServiceFactory

BEFORE = [("services", "0001_initial"), ("applications", "0001_initial")]
AFTER = [
    ("services", "0002_servicetranslation_moved_from_applications"),
    ("applications", "0002_servicetranslation_moved_to_services"),
]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh graph, as the next command would load


@pytest.mark.django_db(transaction=True)
def test_service_translations_keep_their_rows_across_the_move() -> None:
    service = ServiceFactory(name="Job search and CV help")
    try:
        old_state = _migrate(BEFORE).loader.project_state(BEFORE)
        OldTranslation = old_state.apps.get_model("applications", "ServiceTranslation")  # noqa: N806
        OldTranslation.objects.create(
            service_id=service.pk, language="so", name="Caawimaad shaqo raadis iyo CV"
        )
    finally:
        # Then every later migration too, so the database is whole again for the next test.
        _migrate(_migrate(AFTER).loader.graph.leaf_nodes())
    moved = ServiceTranslation.objects.get(service=service, language="so")
    assert moved.name == "Caawimaad shaqo raadis iyo CV"
    assert ServiceTranslation._meta.db_table == "services_servicetranslation"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('applications_servicetranslation')")
        assert cursor.fetchone() == (None,)  # renamed, not copied
