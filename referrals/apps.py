from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from notifications.registry import on_sms_result
        from referrals.services import resident_sms_result_record

        # The resident's record is this app's: a refused number is written on it.
        on_sms_result(resident_sms_result_record)
