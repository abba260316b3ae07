"""Property-based tests of what residents type: names, emails, phone numbers, postcodes, text."""

from __future__ import annotations

import string

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from applications.forms import ContactForm, StatusStartForm
from applications.validation import (
    clean_text,
    normalise_uk_phone,
    normalise_uk_postcode,
    postcode_district,
    validate_free_text,
    validate_full_name,
)

# Outward codes in the shapes A9, A99, AA9, AA99, A9A, AA9A; inward 9AA.
letters = "ABCDEFGHJKLMNOPRSTUWYZ"
inward = st.tuples(
    st.sampled_from("0123456789"),
    st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"),
    st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"),
).map("".join)
outward = st.one_of(
    st.tuples(st.sampled_from("ABCDEFGHJKLMNOPRSTUWYZ"), st.integers(1, 99)).map(
        lambda t: f"{t[0]}{t[1]}"
    ),
    st.tuples(
        st.sampled_from("ABCDEFGHKLMNOPRSTUWYZ"),
        st.sampled_from("ABCDEFGHKLMNOPQRSTUVWXY"),
        st.integers(1, 99),
    ).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
)


@given(outward, inward, st.sampled_from(["", " ", "  "]), st.booleans())
def test_valid_postcodes_normalise_to_one_form(out: str, inw: str, gap: str, lower: bool) -> None:
    raw = f"{out}{gap}{inw}"
    result = normalise_uk_postcode(raw.lower() if lower else raw)
    assert result == f"{out} {inw}"
    assert postcode_district(result) == out


@given(st.text(max_size=30))
def test_any_text_as_a_postcode_is_either_normalised_or_refused_with_a_message(raw: str) -> None:
    try:
        result = normalise_uk_postcode(raw)
    except ValidationError as error:
        assert error.messages[0]
    else:
        assert result == result.upper() and " " in result and len(result) <= 8


@given(
    st.sampled_from(["07", "01", "02", "03"]),
    st.text(alphabet=string.digits, min_size=9, max_size=9),
)
def test_uk_numbers_normalise_to_digits(prefix: str, rest: str) -> None:
    number = prefix + rest
    spaced = f"{number[:5]} {number[5:8]} {number[8:]}"
    assert normalise_uk_phone(spaced) == number
    assert normalise_uk_phone("+44 " + number[1:]) == number
    assert normalise_uk_phone("+44 (0)" + number[1:]) == number


@given(st.text(max_size=60))
def test_any_text_as_a_phone_number_is_either_digits_or_refused(raw: str) -> None:
    try:
        result = normalise_uk_phone(raw)
    except ValidationError as error:
        assert error.messages[0]
    else:
        assert result == "" or (
            result.isdigit() and result.startswith("0") and len(result) in (10, 11)
        )


@given(st.text(max_size=400))
def test_names_are_tidy_or_refused(raw: str) -> None:
    try:
        name = validate_full_name(raw)
    except ValidationError as error:
        assert error.messages[0]
    else:
        assert 0 < len(name) <= 150
        assert name == name.strip()
        assert "\n" not in name and "\x00" not in name
        assert any(c.isalpha() for c in name)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000))
def test_free_text_never_keeps_control_characters_or_exceeds_the_limit(raw: str) -> None:
    try:
        text = validate_free_text(raw, max_length=2000, required=False, message="x")
    except ValidationError as error:
        assert "2000" in error.messages[0]
    else:
        assert len(text) <= 2000
        assert not any(ord(c) < 32 and c not in "\n\t" for c in text)


def test_joiners_needed_by_urdu_and_bengali_are_kept() -> None:
    assert "\u200c" in clean_text("می\u200cخواهم")
    assert "\u202e" not in clean_text("abc\u202edef")  # right-to-left override is dropped


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(
    name=st.text(max_size=200),
    email=st.one_of(st.emails(), st.text(max_size=300)),
    phone=st.text(max_size=50),
    postcode=st.text(max_size=20),
    method=st.sampled_from(["email", "phone", "text", "carrier pigeon", ""]),
)
def test_the_contact_form_never_crashes_and_every_error_has_a_message(
    name: str, email: str, phone: str, postcode: str, method: str
) -> None:
    form = ContactForm(
        {
            "full_name": name,
            "email": email,
            "phone": phone,
            "postcode": postcode,
            "contact_method": method,
        }
    )
    if form.is_valid():
        data = form.cleaned_data
        assert data["postcode"] == normalise_uk_postcode(data["postcode"])
        if data["contact_method"] in ("phone", "text"):
            assert data["phone"]
    else:
        for errors in form.errors.values():
            assert all(str(e).strip() for e in errors)


@given(st.text(max_size=50))
def test_the_reference_field_accepts_only_the_reference_shape(raw: str) -> None:
    form = StatusStartForm({"reference": raw})
    if form.is_valid():
        ref = form.cleaned_data["reference"]
        assert len(ref) == 12 and ref.startswith("HC-") and ref[7] == "-"
