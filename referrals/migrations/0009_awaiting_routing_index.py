from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0001_initial'),
        ('referrals', '0008_application_contact_snapshot'),
        ('services', '0002_servicetranslation_moved_from_applications'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='referral',
            index=models.Index(condition=models.Q(('status', 'submitted'), ('unrouted_since__isnull', True)), fields=['member', 'submitted_at'], name='referral_awaiting_routing'),
        ),
    ]
