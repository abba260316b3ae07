from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from services.models import Service, ServiceStatus


def service_list_open() -> QuerySet[Service]:
    return (
        Service.objects.filter(status=ServiceStatus.OPEN)
        .select_related("kind")
        .annotate(provider_count=Count("offers", filter=Q(offers__is_active=True)))
        .order_by("kind__order", "name")
    )
