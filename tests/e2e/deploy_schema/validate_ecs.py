"""Validates ECS task definitions against the RegisterTaskDefinition input shape of the ECS API
model that botocore ships (Debian: python3-botocore), offline: unknown or misspelled field names,
wrong types, missing required members and enum values all fail, as the API would reject them.

usage: python3 validate_ecs.py DEFS.json
  DEFS.json: [{"where": "deploy/ecs/task-definition.json", "doc": {...}}, ...]
Prints "ok    WHERE: ..." or "FAIL  WHERE: ..." per definition; exit 1 on any FAIL.
"""
import json
import sys

import botocore.session
from botocore.validate import ParamValidator

model = botocore.session.get_session().get_service_model("ecs")
shape = model.operation_model("RegisterTaskDefinition").input_shape
enums = {}


def enum_problems(node, shp, where):
    """ParamValidator checks types and names, not enum values: walk the shape for those."""
    if shp.type_name == "structure" and isinstance(node, dict):
        for key, value in node.items():
            if key in shp.members:
                yield from enum_problems(value, shp.members[key], f"{where}.{key}")
    elif shp.type_name == "list" and isinstance(node, list):
        for i, value in enumerate(node):
            yield from enum_problems(value, shp.member, f"{where}[{i}]")
    elif shp.type_name == "map" and isinstance(node, dict):
        for key, value in node.items():
            yield from enum_problems(value, shp.value, f"{where}.{key}")
    elif shp.type_name == "string" and getattr(shp, "enum", None) and node not in shp.enum:
        yield f"{where}: {node!r} is not one of {sorted(shp.enum)}"


failed = False
for entry in json.load(open(sys.argv[1])):
    doc = entry["doc"]
    report = ParamValidator().validate(doc, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    problems += list(enum_problems(doc, shape, "taskDefinition"))
    if problems:
        failed = True
        print(f"FAIL  {entry['where']}: RegisterTaskDefinition input: " +
              "; ".join(p.replace("\n", " ") for p in problems))
    else:
        print(f"ok    {entry['where']}: a valid RegisterTaskDefinition input "
              f"(ECS API {model.api_version}, {len(doc.get('containerDefinitions', []))} containers)")
sys.exit(1 if failed else 0)
