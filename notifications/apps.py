from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app may register email context builders in its own emails.py, and text builders
        # in its texts.py.
        autodiscover_modules("emails")
        autodiscover_modules("texts")
