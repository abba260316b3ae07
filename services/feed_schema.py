"""The feed's own OpenAPI document, served at /openreferral/openapi.json.

It is the UK profile's `openapi.json` (same paths, same parameters, the same response schemas by
their published URLs) made exact about this feed: each parameter's type and bounds as the feed
reads them, the 400 a value it cannot answer gets, the 404 of an unknown id, and the extras (the
old `text` alias, `postcode` on /services). Adapted from the Open Referral UK profile, so under
its licence (CC BY-SA 4.0). Tests check it against the profile's own document both ways
(tests/services/test_openreferral_conformance.py) and run schemathesis over it
(tests/api/test_schemathesis.py).
"""

from __future__ import annotations

from typing import Any

PROFILE_SCHEMAS = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
MAX_PER_PAGE = 100
MAX_SEARCH_LENGTH = 100
_TIME_PATTERN = (
    r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?$"
)
_TIME_NOTE = (
    " HH:MM or HH:MM:SS in UK local time (Europe/London), or with Z or an offset from UTC, "
    "converted to UK local time as of today."
)

PARAMETERS: dict[str, dict[str, Any]] = {
    "search": {
        "description": "Full text search: every word (up to 8) appears, ignoring case, in the "
        "service's name, summary, description or kind, or their translations.",
        "schema": {"type": "string", "maxLength": MAX_SEARCH_LENGTH},
    },
    "text": {
        "description": "The feed's former name for `search`, kept for older clients.",
        "deprecated": True,
        "schema": {"type": "string", "maxLength": MAX_SEARCH_LENGTH},
    },
    "page": {
        "description": "Page number of paginated result, from 1. A page after the last is empty.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 999999999},
    },
    "per_page": {
        "description": f"Number of results requested in a single page (default 50). More than "
        f"{MAX_PER_PAGE} are served {MAX_PER_PAGE} a page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 999999999},
    },
    "taxonomy_term_id": {
        "description": "Search for services with particular taxonomy_term.",
        "schema": {"type": "string", "format": "uuid"},
    },
    "taxonomy_id": {
        "description": "Search for services which contain any term with this taxonomy.",
        "schema": {"type": "string", "format": "uuid"},
    },
    "minimum_age": {
        "description": "Return services with a minimum age of at least the specified value "
        "(a service stating no minimum age is not returned).",
        "schema": {"type": "number", "minimum": 0, "maximum": 150},
    },
    "maximum_age": {
        "description": "Return services with a maximum age equal to or below the specified "
        "value (a service stating no maximum age is not returned).",
        "schema": {"type": "number", "minimum": 0, "maximum": 150},
    },
    "start_time": {
        "description": "Return services with a weekly session opening at or after this time "
        "(on `day` when given)." + _TIME_NOTE,
        "schema": {"type": "string", "pattern": _TIME_PATTERN},
    },
    "end_time": {
        "description": "Return services with a weekly session closing at or before this time "
        "(on `day` when given; the same session as `start_time`)." + _TIME_NOTE,
        "schema": {"type": "string", "pattern": _TIME_PATTERN},
    },
    "day": {
        "description": "Return services with a weekly session on this day: an iCalendar day "
        "code (MO to SU, as in a schedule's `byday`) or the day's English name.",
        "schema": {"type": "string", "enum": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]},
    },
    "postcode": {
        "description": "A UK postcode (or its district, like E1): only services whose service "
        "area covers its postcode district, or that state no service area (they serve "
        "anywhere).",
        "schema": {"type": "string"},
    },
    "proximity": {
        "description": "Not supported: this feed holds no positions of postcodes, so any "
        "value is answered 400. (The profile: services within this many metres of the "
        "postcode's centroid.)",
        "schema": {"type": "string"},
    },
}

# The parameters that narrow a list, each read by services/feeds.py `_filters`.
FILTER_PARAMETERS = (
    "search", "text", "taxonomy_term_id", "taxonomy_id", "minimum_age", "maximum_age",
    "start_time", "end_time", "day", "postcode", "proximity",
)  # fmt: skip
PAGING_PARAMETERS = ("page", "per_page")

_ERROR = {"$ref": "#/components/schemas/Error"}


def _parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, **PARAMETERS[name]}


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list(
    operation_id: str,
    summary: str,
    item_schema: str,
    parameters: tuple[str, ...],
    detail_operation_id: str,
) -> dict[str, Any]:
    page = {
        "allOf": [{"$ref": "#/components/schemas/Page"}],
        "properties": {
            "contents": {"type": "array", "items": {"$ref": PROFILE_SCHEMAS + item_schema}}
        },
    }
    listing = _json_response(summary, page)
    # Where a client (or schemathesis) finds real ids for the detail operation.
    listing["links"] = {
        "first": {
            "operationId": detail_operation_id,
            "parameters": {"id": "$response.body#/contents/0/id"},
        }
    }
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [_parameter(name) for name in parameters],
            "responses": {
                "200": listing,
                "400": _json_response("A parameter the feed cannot answer.", _ERROR),
            },
        }
    }


def _detail(operation_id: str, summary: str, schema: str) -> dict[str, Any]:
    return {
        "parameters": [
            {"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}
        ],
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "responses": {
                "200": _json_response(summary, {"$ref": PROFILE_SCHEMAS + schema}),
                "404": _json_response("No such id in this feed.", _ERROR),
            },
        },
    }


def feed_openapi(*, server_url: str) -> dict[str, Any]:
    filters = FILTER_PARAMETERS + PAGING_PARAMETERS
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Open Referral UK feed of the consortium's shared services",
            "version": "3.0",
            "description": "The Open Referral UK profile's API (HSDS 3.0), as this feed answers "
            "it. Adapted from the profile's openapi.json "
            "(https://github.com/openreferral/uk-profile).",
            "license": {
                "name": "Creative Commons Attribution Share-Alike 4.0",
                "url": "https://creativecommons.org/licenses/by-sa/4.0/",
            },
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "getAPIMetaInformation",
                    "summary": "Information about this API and its relationship with HSDS.",
                    "responses": {
                        "200": _json_response(
                            "The HSDS version, profile and this document's address.",
                            {
                                "type": "object",
                                "required": ["version", "profile", "openapi_url"],
                                "properties": {
                                    "version": {"type": "string"},
                                    "profile": {"type": "string", "format": "uri"},
                                    "openapi_url": {"type": "string", "format": "uri"},
                                },
                            },
                        )
                    },
                }
            },
            "/services": _list(
                "getPaginatedListOfServices",
                "Paginated listing of services with their one-to-one fields.",
                "compiled/service_list.json",
                filters,
                "getFullyNestedServiceById",
            ),
            "/services/{id}": _detail(
                "getFullyNestedServiceById",
                "A fully nested service with all related data.",
                "compiled/service.json",
            ),
            "/taxonomies": _list(
                "getPaginatedListOfTaxonomies",
                "Paginated listing of taxonomies.",
                "taxonomy.json",
                PAGING_PARAMETERS,
                "getTaxonomyById",
            ),
            "/taxonomies/{id}": _detail(
                "getTaxonomyById", "Full information on a taxonomy.", "taxonomy.json"
            ),
            # The profile's operationIds of the two taxonomy_terms operations are each other's;
            # here each is named for what it does.
            "/taxonomy_terms": _list(
                "getPaginatedListOfTaxonomyTerms",
                "Paginated listing of taxonomy terms.",
                "taxonomy_term.json",
                PAGING_PARAMETERS,
                "getTaxonomyTermById",
            ),
            "/taxonomy_terms/{id}": _detail(
                "getTaxonomyTermById",
                "Full information on a taxonomy term.",
                "taxonomy_term.json",
            ),
            "/service_at_locations": _list(
                "getPaginatedListOfServiceAtLocation",
                "Paginated listing of services at locations with their one-to-one fields.",
                "compiled/service_at_location_list.json",
                filters,
                "getServiceAtLocationWithNestedDataById",
            ),
            # The profile names compiled/service.json here, though its description (and this
            # feed) answer a fully nested service_at_location.
            "/service_at_locations/{id}": _detail(
                "getServiceAtLocationWithNestedDataById",
                "A fully nested service_at_location with all related data.",
                "compiled/service_at_location.json",
            ),
        },
        "components": {
            "schemas": {
                "Page": {
                    "type": "object",
                    "required": [
                        "total_items",
                        "total_pages",
                        "page_number",
                        "size",
                        "first_page",
                        "last_page",
                        "empty",
                        "contents",
                    ],  # fmt: skip
                    "properties": {
                        "total_items": {"type": "integer"},
                        "total_pages": {"type": "integer"},
                        "page_number": {"type": "integer"},
                        "size": {"type": "integer"},
                        "first_page": {"type": "boolean"},
                        "last_page": {"type": "boolean"},
                        "empty": {"type": "boolean"},
                        "contents": {"type": "array"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {"detail": {"type": "string"}, "parameter": {"type": "string"}},
                },
            }
        },
    }
