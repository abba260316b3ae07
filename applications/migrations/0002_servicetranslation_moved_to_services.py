from django.db import migrations


class Migration(migrations.Migration):
    """ServiceTranslation now belongs to services (services 0002 took over its table)."""

    dependencies = [
        ("applications", "0001_initial"),
        ("services", "0002_servicetranslation_moved_from_applications"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ServiceTranslation")],
            database_operations=[],
        ),
    ]
