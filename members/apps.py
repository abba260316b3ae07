from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members and tenancy"

    def ready(self) -> None:
        from members import checks  # noqa: F401  (registers system checks)
        from members.rls import on_post_migrate

        post_migrate.connect(on_post_migrate, dispatch_uid="members.rls")
