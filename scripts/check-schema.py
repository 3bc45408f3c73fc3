#!/usr/bin/env python3
"""Validates YAML documents against schemas/policy.schema.json with the jsonschema package.

Usage: check-schema.py --valid DIR... --invalid DIR...
Every document under a --valid directory must pass; every file under an --invalid directory must
have at least one document that fails. Prints one line per file; exits 1 on any surprise.
"""
import json, pathlib, sys

import jsonschema
import yaml

root = pathlib.Path(__file__).resolve().parent.parent
schema = json.loads((root / "schemas" / "policy.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

mode, ok = None, True
valid, invalid = [], []
for arg in sys.argv[1:]:
    if arg in ("--valid", "--invalid"):
        mode = arg
        continue
    files = sorted(pathlib.Path(arg).rglob("*.y*ml")) if pathlib.Path(arg).is_dir() else [pathlib.Path(arg)]
    # Policy tests (kind: PolicyTest) live beside the policies; the schema describes policies only.
    files = [f for f in files if not f.name.endswith((".test.yaml", ".test.yml"))]
    (valid if mode == "--valid" else invalid).extend(files)

for f in valid + invalid:
    docs = [d for d in yaml.safe_load_all(f.read_text()) if d is not None]
    errors = [e.message for d in docs for e in validator.iter_errors(d)]
    expect_valid = f in valid
    if expect_valid and errors:
        ok = False
        print(f"FAIL {f}: {errors[0]}")
    elif not expect_valid and not errors:
        ok = False
        print(f"FAIL {f}: expected a schema error, found none")
    else:
        print(f"ok   {f}" + ("" if expect_valid else f" (rejected: {errors[0]})"))
sys.exit(0 if ok else 1)
