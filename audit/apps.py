from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from audit.services import audit_consortium_scope
        from members.scoping import on_consortium_scope_entered

        # Every consortium scope is written to the audit log (the scope fails closed without).
        on_consortium_scope_entered(audit_consortium_scope)
