from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('outbox', '0001_initial'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='outboxmessage',
            name='outbox_pending',
        ),
        migrations.AddField(
            model_name='outboxmessage',
            name='consumed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        # What a consumer already marked processed is consumed; anything relayed and never
        # marked is sent once more (consumers are idempotent), which is the point of the change.
        migrations.RunSQL(
            sql="""
                UPDATE outbox_outboxmessage AS m SET consumed_at = p.processed_at
                FROM outbox_processedmessage AS p WHERE p.message_id = m.id
            """,
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='outboxmessage',
            index=models.Index(condition=models.Q(('consumed_at__isnull', True)), fields=['available_at'], name='outbox_unconsumed'),
        ),
    ]
