#!/usr/bin/env python3
"""The REST API's contract with its clients, checked from the document the server serves.

    api-contract.py CURRENT COMMITTED

1. CURRENT (what `arbor openapi` prints) passes a standard OpenAPI 3.1 validator
   (openapi-spec-validator, from PyPI).
2. Against COMMITTED (sdk/openapi.json, what the generated SDKs were built from): a removed
   operation, a removed or retyped field, or a new required field (request or response side) is a
   breaking change, listed one per line.
3. Any other difference means the committed copy and the SDKs are stale.

Exit 0 when CURRENT validates and equals COMMITTED. Otherwise the breaking changes (if any) and
the fix are printed and the exit status is 1: run `scripts/sdk` to accept the new contract, which
rewrites sdk/openapi.json and the generated clients in the same change — a reviewer sees the
break in the diff.
"""

import json
import sys

from openapi_spec_validator import validate

METHODS = ("get", "put", "post", "delete", "patch")


def resolve(doc, schema, seen=()):
    """The schema with a top-level `$ref` followed (cycles stop)."""
    while isinstance(schema, dict) and "$ref" in schema and schema["$ref"] not in seen:
        seen = seen + (schema["$ref"],)
        target = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {})
        schema = target
    return schema if isinstance(schema, dict) else {}


def type_of(doc, schema):
    schema = resolve(doc, schema)
    if "type" in schema:
        kind = schema["type"]
        return tuple(sorted(kind)) if isinstance(kind, list) else (kind,)
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in schema:
            return (combinator,)
    return ()


def fields(doc, schema, at, out, depth=0):
    """(path → (type, required)) of every property reachable from `schema`."""
    schema = resolve(doc, schema)
    if depth > 8:
        return
    for part in schema.get("allOf", []):
        fields(doc, part, at, out, depth + 1)
    required = set(schema.get("required", []))
    for name, child in schema.get("properties", {}).items():
        here = f"{at}.{name}"
        out[here] = (type_of(doc, child), name in required)
        fields(doc, child, here, out, depth + 1)
    if "items" in schema:
        fields(doc, schema["items"], f"{at}[]", out, depth + 1)


def operations(doc):
    ops = {}
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                ops[f"{method.upper()} {path}"] = item[method]
    return ops


def shape(doc, operation):
    """Request fields and, per status, response fields of one operation."""
    request, responses = {}, {}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        fields(doc, body.get("schema", {}), "body", request)
    for parameter in operation.get("parameters", []):
        parameter = resolve(doc, parameter)
        request[f"{parameter.get('in')}:{parameter.get('name')}"] = (
            type_of(doc, parameter.get("schema", {})),
            bool(parameter.get("required")),
        )
    for status, response in operation.get("responses", {}).items():
        media = resolve(doc, response).get("content", {}).get("application/json")
        found = {}
        if media:
            fields(doc, media.get("schema", {}), "body", found)
        responses[status] = found
    return request, responses


def breaking_changes(old, new):
    problems = []
    old_ops, new_ops = operations(old), operations(new)
    for name in sorted(old_ops.keys() - new_ops.keys()):
        problems.append(f"{name}: operation removed")
    for name in sorted(old_ops.keys() & new_ops.keys()):
        old_req, old_res = shape(old, old_ops[name])
        new_req, new_res = shape(new, new_ops[name])
        for field, (kind, required) in sorted(new_req.items()):
            if field not in old_req and required:
                problems.append(f"{name}: new required request field {field}")
            elif field in old_req:
                if old_req[field][0] != kind:
                    problems.append(f"{name}: request field {field} retyped {old_req[field][0]} → {kind}")
                if required and not old_req[field][1]:
                    problems.append(f"{name}: request field {field} became required")
        for field in sorted(old_req.keys() - new_req.keys()):
            problems.append(f"{name}: request field {field} removed")
        for status, old_fields in sorted(old_res.items()):
            if status not in new_res:
                problems.append(f"{name}: response {status} removed")
                continue
            for field, (kind, required) in sorted(old_fields.items()):
                if field not in new_res[status]:
                    problems.append(f"{name}: response {status} field {field} removed")
                elif new_res[status][field][0] != kind:
                    problems.append(
                        f"{name}: response {status} field {field} retyped {kind} → {new_res[status][field][0]}"
                    )
                elif required and not new_res[status][field][1]:
                    problems.append(f"{name}: response {status} field {field} is no longer always present")
    return problems


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        current = json.load(f)
    with open(sys.argv[2]) as f:
        committed = json.load(f)
    try:
        validate(current)
    except Exception as error:  # the validator's errors have no common base worth naming
        print(f"The OpenAPI document does not validate: {error}", file=sys.stderr)
        return 1
    print(f"OpenAPI {current['openapi']} document validates ({len(operations(current))} operations).")
    if current == committed:
        print("sdk/openapi.json is up to date.")
        return 0
    problems = breaking_changes(committed, current)
    if problems:
        print("Breaking changes against sdk/openapi.json:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print("If they are intended, run scripts/sdk to accept them in this change.", file=sys.stderr)
    else:
        print("sdk/openapi.json is stale (no breaking change): run scripts/sdk.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
