"""The resident's journey: what is stored apart from the application itself.

- EqualityMonitoring: special category data (UK GDPR Art. 9), asked optionally, stored in its own
  table, read only by aggregate reports (applications/selectors.py: equality_aggregate) and by the
  resident themselves after proving who they are.
- StatusCheckCode: a one-time code emailed to the address on an application, so a resident can
  check its status without an account. Only a hash is stored.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import MemberOwnedModel
from referrals.models import Application


class Ethnicity(models.TextChoices):
    """GSS harmonised standard (England, 2021 census), with "Prefer not to say"."""

    ASIAN_INDIAN = "asian_indian", _("Indian")
    ASIAN_PAKISTANI = "asian_pakistani", _("Pakistani")
    ASIAN_BANGLADESHI = "asian_bangladeshi", _("Bangladeshi")
    ASIAN_CHINESE = "asian_chinese", _("Chinese")
    ASIAN_OTHER = "asian_other", _("Any other Asian background")
    BLACK_CARIBBEAN = "black_caribbean", _("Caribbean")
    BLACK_AFRICAN = "black_african", _("African")
    BLACK_OTHER = "black_other", _("Any other Black, Black British or Caribbean background")
    MIXED_WHITE_BLACK_CARIBBEAN = "mixed_white_black_caribbean", _("White and Black Caribbean")
    MIXED_WHITE_BLACK_AFRICAN = "mixed_white_black_african", _("White and Black African")
    MIXED_WHITE_ASIAN = "mixed_white_asian", _("White and Asian")
    MIXED_OTHER = "mixed_other", _("Any other Mixed or multiple ethnic background")
    WHITE_BRITISH = "white_british", _("English, Welsh, Scottish, Northern Irish or British")
    WHITE_IRISH = "white_irish", _("Irish")
    WHITE_GYPSY_TRAVELLER = "white_gypsy_traveller", _("Gypsy or Irish Traveller")
    WHITE_ROMA = "white_roma", _("Roma")
    WHITE_OTHER = "white_other", _("Any other White background")
    OTHER_ARAB = "other_arab", _("Arab")
    OTHER_ANY = "other_any", _("Any other ethnic group")
    PREFER_NOT = "prefer_not", _("Prefer not to say")


# The groups the GSS standard shows the categories under, in its order.
ETHNICITY_GROUPS: list[tuple[Any, list[str]]] = [
    (
        _("Asian or Asian British"),
        ["asian_indian", "asian_pakistani", "asian_bangladeshi", "asian_chinese", "asian_other"],
    ),
    (
        _("Black, Black British, Caribbean or African"),
        ["black_caribbean", "black_african", "black_other"],
    ),
    (
        _("Mixed or multiple ethnic groups"),
        [
            "mixed_white_black_caribbean",
            "mixed_white_black_african",
            "mixed_white_asian",
            "mixed_other",
        ],
    ),
    (
        _("White"),
        ["white_british", "white_irish", "white_gypsy_traveller", "white_roma", "white_other"],
    ),
    (_("Other ethnic group"), ["other_arab", "other_any"]),
    (_("Prefer not to say"), ["prefer_not"]),
]


class Disability(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    PREFER_NOT = "prefer_not", _("Prefer not to say")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    PREFER_NOT = "prefer_not", _("Prefer not to say")


class EqualityMonitoring(MemberOwnedModel):
    """Optional equality answers, apart from the case data. Never shown to caseworkers."""

    # One-way link: the application does not point here, so nothing that loads an application
    # loads this by accident.
    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="+")
    ethnicity = models.CharField(max_length=40, choices=Ethnicity.choices, blank=True)
    disability = models.CharField(max_length=12, choices=Disability.choices, blank=True)
    sex = models.CharField(max_length=12, choices=Sex.choices, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta(MemberOwnedModel.Meta):
        indexes = [models.Index(fields=["member", "recorded_at"], name="equality_member_date")]

    def __str__(self) -> str:
        return f"Equality answers {self.pk}"


class StatusCheckCode(MemberOwnedModel):
    """A one-time code for checking an application's status. The code itself is never stored."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    MAX_ATTEMPTS: ClassVar[int] = 5

    class Meta(MemberOwnedModel.Meta):
        indexes = [
            models.Index(fields=["member", "application", "-created_at"], name="statuscode_app")
        ]

    def __str__(self) -> str:
        return f"Status code {self.pk}"

    @property
    def is_usable(self) -> bool:
        return (
            self.used_at is None
            and self.attempts < self.MAX_ATTEMPTS
            and self.expires_at > timezone.now()
        )
