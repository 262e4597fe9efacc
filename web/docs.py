"""GET /docs: the API's OpenAPI description as one self-contained HTML page.

Swagger UI would load its scripts and styles from a CDN (a blank page offline, and third-party
code next to the API); this page is rendered on the server from the same OpenAPI document as
/openapi.json, needs no script and makes no request, and is served under the review UI's CSP.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.ui import PAGE_CSP, SECURITY_HEADERS, TEMPLATES

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def schema_text(schema: dict[str, Any] | None) -> str:
    """A short type description: `integer (1-200)`, `ProgramPage`, `list of string`, ..."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = [schema_text(part) for part in schema[key]]
            return " or ".join(p for p in parts if p != "null") + (
                " (or null)" if "null" in parts else ""
            )
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {schema_text(schema.get('items'))}"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"map of {schema_text(extra if isinstance(extra, dict) else None)}"
    limits = []
    if "enum" in schema:
        limits.append("one of " + ", ".join(map(str, schema["enum"])))
    if "const" in schema:
        limits.append(f"= {schema['const']}")
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None or high is not None:
        limits.append(f"{'' if low is None else low}-{'' if high is None else high}")
    if "pattern" in schema:
        limits.append(f"pattern {schema['pattern']}")
    if "maxLength" in schema:
        limits.append(f"at most {schema['maxLength']} characters")
    if "format" in schema:
        limits.append(schema["format"])
    return kind + (f" ({'; '.join(limits)})" if limits else "")


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation of SPEC with its parameters and responses, in path order."""
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "type": schema_text(p.get("schema")),
                    "default": p.get("schema", {}).get("default"),
                    "description": p.get("description") or p.get("schema", {}).get("description"),
                }
                for p in operation.get("parameters", [])
            ]
            responses = []
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                responses.append(
                    {
                        "code": code,
                        "description": response.get("description", ""),
                        "type": schema_text(content.get("schema")) if content else "",
                    }
                )
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": parameters,
                    "responses": responses,
                    "anchor": f"{method}-{path}".replace("/", "-").strip("-"),
                }
            )
    return out


def schemas(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The named schemas (response models) with their fields."""
    out = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", ()))
        out.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "fields": [
                    {
                        "name": field,
                        "type": schema_text(definition),
                        "required": field in required,
                        "description": definition.get("description", ""),
                    }
                    for field, definition in schema.get("properties", {}).items()
                ],
            }
        )
    return out


def docs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    def docs(request: Request) -> HTMLResponse:
        spec = request.app.openapi()
        context = {"info": spec.get("info", {}), "operations": operations(spec)}
        context["schemas"] = schemas(spec)
        response = TEMPLATES.TemplateResponse(request, "docs.html", context)
        response.headers.update({"Content-Security-Policy": PAGE_CSP, **SECURITY_HEADERS})
        return response

    return router
