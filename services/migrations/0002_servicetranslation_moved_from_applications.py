import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """ServiceTranslation moves from applications to services with its rows: the model enters
    this app's state over the existing table, which is then renamed to this app's name."""

    dependencies = [
        ("services", "0001_initial"),
        ("applications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ServiceTranslation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("language", models.CharField(max_length=10)),
                        ("name", models.CharField(blank=True, max_length=160)),
                        ("summary", models.CharField(blank=True, max_length=300)),
                        ("description", models.TextField(blank=True)),
                        ("questions", models.JSONField(blank=True, default=dict)),
                        ("service", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="translations", to="services.service")),
                    ],
                    options={
                        "db_table": "applications_servicetranslation",
                        "constraints": [models.UniqueConstraint(fields=("service", "language"), name="servicetranslation_unique_language")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="servicetranslation", table=None),
    ]
