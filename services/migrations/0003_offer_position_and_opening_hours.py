# Where an offer meets people (latitude, longitude) and its weekly opening hours.
#
# OpeningHours is created whole, member key and constraints included (not as a table followed by
# AddField steps, as makemigrations writes it): row-level security puts a policy on `member_id`
# after migrate, and reversing this migration must drop the table, not that column first.

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0001_initial'),
        ('services', '0002_servicetranslation_moved_from_applications'),
    ]

    operations = [
        migrations.AddField(
            model_name='offer',
            name='latitude',
            field=models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True),
        ),
        migrations.AddField(
            model_name='offer',
            name='longitude',
            field=models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True),
        ),
        migrations.AddConstraint(
            model_name='offer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('latitude__isnull', True), ('longitude__isnull', True)), models.Q(('latitude__isnull', False), ('longitude__isnull', False)), _connector='OR'), name='offer_position_both_or_neither'),
        ),
        migrations.CreateModel(
            name='OpeningHours',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('member', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.member')),
                ('offer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='opening_hours', to='services.offer')),
                ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')])),
                ('opens_at', models.TimeField()),
                ('closes_at', models.TimeField()),
            ],
            options={
                'verbose_name': 'opening hours',
                'verbose_name_plural': 'opening hours',
                'ordering': ['weekday', 'opens_at'],
                'abstract': False,
                'base_manager_name': 'unscoped_objects',
                'default_manager_name': 'objects',
                'constraints': [
                    models.UniqueConstraint(fields=('member', 'offer', 'weekday', 'opens_at'), name='openinghours_unique'),
                    models.CheckConstraint(condition=models.Q(('closes_at__gt', models.F('opens_at'))), name='openinghours_closes_after_opening'),
                ],
            },
            managers=[
                ('unscoped_objects', django.db.models.manager.Manager()),
                ('objects', django.db.models.manager.Manager()),
            ],
        ),
    ]
