from django.apps import AppConfig


class DevdataConfig(AppConfig):
    name = "devdata"
    verbose_name = "Development data (demo and scale)"
