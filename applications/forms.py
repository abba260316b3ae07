"""The journey's forms: one thing per page. Every message says how to fix the answer."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from applications.models import ETHNICITY_GROUPS, Disability, Ethnicity, Sex
from applications.validation import (
    clean_text,
    contact_problems,
    normalise_uk_phone,
    normalise_uk_postcode,
    validate_free_text,
    validate_full_name,
)
from members.models import Member
from referrals.models import AssistedChannel, ContactMethod
from services.models import QuestionKind, Service
from services.selectors import EMPLOYMENT_STATUSES

NONE_OF_THESE = "none"
YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """A form's choice field, typed, for setting its choices at run time."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - a programming error, not input
    return field


class JourneyForm(forms.Form):
    """A form whose cleaned data can be kept in the session (JSON)."""

    def _choice_field(self, name: str) -> forms.ChoiceField:
        return choice_field(self, name)

    def session_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class LandlordForm(JourneyForm):
    landlord = forms.ChoiceField(
        label=_("Who is your landlord?"),
        help_text=_("The housing association you rent your home from."),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select your landlord"),
            "invalid_choice": _("Select your landlord from the list"),
        },
    )

    def __init__(self, *args: Any, members: list[Member], allow_none: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [(str(m.pk), m.name) for m in members]
        if allow_none:
            choices.append((NONE_OF_THESE, _("None of these")))
        self._choice_field("landlord").choices = choices


class EligibilityForm(JourneyForm):
    age = forms.IntegerField(
        label=_("How old are you?"),
        help_text=_("Your age in years, for example 34."),
        min_value=0,
        max_value=120,
        error_messages={
            "required": _("Enter your age"),
            "invalid": _("Enter your age as a number, like 34"),
            "min_value": _("Age must be 0 or more"),
            "max_value": _("Age must be 120 or less"),
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input--short"}
        ),
    )
    employment_status = forms.ChoiceField(
        label=_("Which of these describes you best?"),
        choices=EMPLOYMENT_STATUSES,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select what describes you best"),
            "invalid_choice": _("Select what describes you best"),
        },
    )

    def __init__(self, *args: Any, asks: dict[str, bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not asks.get("age"):
            del self.fields["age"]
        if not asks.get("employment_status"):
            del self.fields["employment_status"]


class QuestionsForm(JourneyForm):
    """The service's own questions (ServiceQuestion), in the resident's language."""

    def __init__(
        self, *args: Any, service: Service, translations: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.long_text_keys: set[str] = set()
        for question in service.questions.all():
            words = translations.get(question.key) or {}
            label = words.get("text") or question.text
            hint = words.get("hint") or question.hint
            required_message = _("Answer this question: %(question)s") % {"question": label}
            field: forms.Field
            if question.kind == QuestionKind.YES_NO:
                field = forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect)
            elif question.kind == QuestionKind.CHOICE:
                shown = words.get("choices") or []
                choices = [
                    (str(choice), shown[i] if i < len(shown) and shown[i] else choice)
                    for i, choice in enumerate(question.choices)
                ]
                field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
            elif question.kind == QuestionKind.NUMBER:
                field = forms.IntegerField(
                    min_value=0,
                    max_value=1_000_000,
                    widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "input--short"}),
                    error_messages={"invalid": _("Enter a whole number, like 3")},
                )
            elif question.kind == QuestionKind.LONG_TEXT:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), strip=False)
                self.long_text_keys.add(question.key)
            else:
                field = forms.CharField(strip=False, widget=forms.TextInput)
            field.label = label
            field.help_text = hint
            field.required = question.required
            field.error_messages["required"] = required_message
            field.error_messages["invalid_choice"] = required_message
            self.fields[f"q_{question.key}"] = field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in list(data.items()):
            if isinstance(value, str):
                key = name.removeprefix("q_")
                limit = 2000 if key in self.long_text_keys else 300
                try:
                    data[name] = validate_free_text(
                        value,
                        max_length=limit,
                        required=self.fields[name].required,
                        message=str(self.fields[name].error_messages["required"]),
                    )
                except ValidationError as error:
                    self.add_error(name, error)
        return data


class ContactForm(JourneyForm):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=1000,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter your full name"),
            "max_length": _("Full name must be 150 characters or fewer"),
        },
    )
    email = forms.EmailField(
        label=_("Email address (optional if you give a phone number or postal address)"),
        help_text=_("We send your reference and a code to check your application here."),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
            "max_length": _("Email address must be 254 characters or fewer"),
        },
    )
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        help_text=_(
            "A UK number, like 07700 900 123. We need it if you want us to phone or text you."
        ),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        error_messages={"max_length": _("Enter a UK phone number, like 07700 900 123")},
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        help_text=_("The postcode of your home, like E1 6AN. We use it to find help near you."),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "class": "input--short"}),
        error_messages={
            "required": _("Enter your postcode"),
            "max_length": _("Enter a full UK postcode, like E1 6AN"),
        },
    )
    address = forms.CharField(
        label=_("Postal address (optional)"),
        help_text=_("We need it if you want us to write to you."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        error_messages={"max_length": _("Postal address must be 500 characters or fewer")},
    )
    contact_method = forms.ChoiceField(
        label=_("How should we contact you?"),
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select how we should contact you"),
            "invalid_choice": _("Select how we should contact you"),
        },
    )

    def clean_full_name(self) -> str:
        return validate_full_name(self.cleaned_data["full_name"])

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean_phone(self) -> str:
        return normalise_uk_phone(self.cleaned_data.get("phone", ""))

    def clean_postcode(self) -> str:
        return normalise_uk_postcode(self.cleaned_data["postcode"])

    def clean_address(self) -> str:
        return clean_text(self.cleaned_data.get("address", ""), multiline=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problems = contact_problems(
            method=data.get("contact_method", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            address=data.get("address", ""),
        )
        for name, message in problems.items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class PreferencesForm(JourneyForm):
    preferred_language = forms.ChoiceField(
        label=_("Which language would you like us to use?"),
        help_text=_("We will try to find staff who speak it, or use an interpreter."),
        choices=[],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select a language"),
            "invalid_choice": _("Select a language from the list"),
        },
    )
    accessibility_needs = forms.CharField(
        label=_("Is there anything we should do to make this service work for you? (optional)"),
        help_text=_(
            "For example step-free access, large print, a British Sign Language interpreter, "
            "or someone to come with you."
        ),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choice_field("preferred_language").choices = [
            (code, settings.LANGUAGE_NATIVE_NAMES.get(code, name))
            for code, name in settings.LANGUAGES
        ]

    def clean_accessibility_needs(self) -> str:
        return validate_free_text(
            self.cleaned_data.get("accessibility_needs", ""),
            max_length=1000,
            required=False,
            message="",
        )


class EqualityForm(JourneyForm):
    ethnicity = forms.ChoiceField(
        label=_("What is your ethnic group?"),
        choices=Ethnicity.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": _("Select an ethnic group from the list, or Prefer not to say")
        },
    )
    disability = forms.ChoiceField(
        label=_("Do you consider yourself to have a disability or long-term health condition?"),
        choices=Disability.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Select Yes, No or Prefer not to say")},
    )
    sex = forms.ChoiceField(
        label=_("What is your sex?"),
        choices=Sex.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Select Female, Male or Prefer not to say")},
    )

    groups = ETHNICITY_GROUPS


class SharingForm(JourneyForm):
    members = forms.MultipleChoiceField(
        label=_("Who may receive your application?"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _(
                "Select at least one housing association that may receive your application"
            ),
            "invalid_choice": _("Select housing associations from the list"),
        },
    )
    consent = forms.BooleanField(
        label=_("I agree to share my application with the housing associations I selected"),
        error_messages={
            "required": _(
                "Tick the box to agree to share your application, or go back to the services list"
            )
        },
    )

    def __init__(
        self, *args: Any, candidates: list[Member], assisted: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        members = self._choice_field("members")
        members.choices = [(str(m.pk), m.name) for m in candidates]
        # Nobody to choose (the landlord may not receive shared data until it signs the data
        # sharing agreement, and no other member serves the area): the application is still
        # taken, kept by the landlord, and waits for the coordinator.
        members.required = bool(candidates)
        if assisted:
            self.fields["members"].label = _("Who may receive the resident's application?")
            self.fields["consent"].label = _(
                "The resident agrees to share their application with the housing associations "
                "selected"
            )

    def session_data(self) -> dict[str, Any]:
        return {"members": [int(x) for x in self.cleaned_data["members"]], "consent": True}


_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class SubmitForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by form-filling bots.
    website = forms.CharField(required=False, max_length=500)

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data["idempotency_key"]
        if not _KEY.match(key):
            raise ValidationError(
                _("Something went wrong with this page. Go back to the start and try again.")
            )
        return key

    def __init__(self, *args: Any, assisted: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if assisted:
            self.fields["notice_read"] = forms.BooleanField(
                label=_("I have read this notice to the resident and they agreed to it"),
                error_messages={
                    "required": _(
                        "Read the notice to the resident and tick the box to say they agreed"
                    )
                },
            )

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class AssistedStartForm(forms.Form):
    """A caseworker starts an application with a resident: which service, and how."""

    service = forms.ChoiceField(
        label=_("Which service is the resident applying for?"),
        error_messages={
            "required": _("Select a service"),
            "invalid_choice": _("Select a service from the list"),
        },
    )
    channel = forms.ChoiceField(
        label=_("How are you talking with the resident?"),
        choices=AssistedChannel.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select how you are talking with the resident"),
            "invalid_choice": _("Select how you are talking with the resident"),
        },
    )
    language = forms.ChoiceField(
        label=_("Which language are you speaking with the resident?"),
        help_text=_("The data-sharing notice is shown in it for you to read to the resident."),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select a language"),
            "invalid_choice": _("Select a language from the list"),
        },
    )
    interpreter_used = forms.BooleanField(label=_("An interpreter is helping"), required=False)

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "service").choices = [("", _("Choose a service"))] + [
            (s.slug, s.name) for s in services
        ]
        choice_field(self, "language").choices = [
            (code, settings.LANGUAGE_NATIVE_NAMES.get(code, name))
            for code, name in settings.LANGUAGES
        ]


class StatusStartForm(forms.Form):
    reference = forms.CharField(
        label=_("Your application reference"),
        help_text=_("It looks like HC-7KQ4-M2XD. You will find it in the email we sent you."),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
        error_messages={"required": _("Enter your application reference")},
    )
    website = forms.CharField(required=False, max_length=500)

    def clean_reference(self) -> str:
        raw = re.sub(r"[\s-]", "", str(self.cleaned_data["reference"])).upper()
        if raw.startswith("HC"):
            raw = raw[2:]
        if not re.fullmatch(r"[0-9A-Z]{8}", raw):
            raise ValidationError(_("Enter the reference in the correct format, like HC-7KQ4-M2XD"))
        return f"HC-{raw[:4]}-{raw[4:]}"


class StatusCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the email"),
        help_text=_("The 6-digit code we sent to the email address on your application."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "input--short"}
        ),
        error_messages={"required": _("Enter the code from the email")},
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s", "", str(self.cleaned_data["code"]))
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(_("Enter the 6-digit code from the email, like 123456"))
        return code
