"""Schemathesis checks of our own for the generated-request test (scripts/api-contract-fuzz).

`refusals_are_documented`: a 4xx answer must be a status the operation documents, and its stable
`error.code` must be one the operation's documentation of that status names (in the description
or an example) — so a schema-valid request is never refused for a reason the document does not
state. Authentication, scope and rate-limit answers (401/403/429) are the shared ones every keyed
operation documents.
"""

import json

import schemathesis

SHARED = {"401", "403", "429"}


def is_negative(case):
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return str(getattr(mode, "value", mode)).lower() == "negative"


@schemathesis.check
def refusals_are_documented(ctx, response, case):
    status = str(response.status_code)
    if not status.startswith("4"):
        return None
    if case.method.upper() != case.operation.method.upper():
        # A method the path does not have: `unsupported_method` checks its 405 and `Allow`.
        return None
    operation = case.operation.definition.raw
    documented = operation.get("responses", {}).get(status)
    if documented is None:
        raise AssertionError(f"{status} is not a documented answer of {case.operation.label}")
    if status in SHARED or is_negative(case):
        # A request that breaks the schema on purpose may be refused for the rule it broke.
        return None
    try:
        code = response.json()["error"]["code"]
    except Exception as error:  # not the envelope: that is a finding of its own
        raise AssertionError(f"{status} without the JSON error envelope: {error}") from error
    if code not in json.dumps(documented, ensure_ascii=False):
        raise AssertionError(
            f"{case.operation.label} answered {status} `{code}`, which its documentation of "
            f"{status} does not name"
        )
    return None
