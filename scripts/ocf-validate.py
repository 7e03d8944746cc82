#!/usr/bin/env python3
"""Validates an Open Cap Format package against the OCF JSON schemas, offline.

Usage: scripts/ocf-validate.py PACKAGE_DIR [SCHEMA_DIR]
  SCHEMA_DIR defaults to Tests/KhataAPITests/OCF/schema (copied from the OCF repository; see its ORIGIN.md).

Every file the manifest lists, and the manifest, is validated against the file schema whose
`file_type` const matches; every `$ref` resolves by `$id` from SCHEMA_DIR (no network), and
formats (date; date-time where rfc3339-validator is installed) are checked. Each listed file's MD5 must match the manifest. Prints one line per file and exits 1 on any error.
Needs the Python packages jsonschema (4.18 or later) and referencing.
"""
import hashlib
import json
import os
import sys

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 64
    package = sys.argv[1]
    schema_dir = sys.argv[2] if len(sys.argv) == 3 else os.path.join(os.path.dirname(__file__), "..", "Tests", "KhataAPITests", "OCF", "schema")
    schemas = []
    for root, _, names in os.walk(schema_dir):
        for name in names:
            if name.endswith(".json"):
                with open(os.path.join(root, name)) as f:
                    schemas.append(json.load(f))
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s, default_specification=DRAFT7)) for s in schemas)
    by_file_type = {}
    for s in schemas:
        file_type = s.get("properties", {}).get("file_type", {}).get("const")
        if file_type:
            by_file_type[file_type] = s
    with open(os.path.join(package, "Manifest.ocf.json"), "rb") as f:
        manifest_bytes = f.read()
    manifest = json.loads(manifest_bytes)
    files = [("Manifest.ocf.json", manifest_bytes, None)]
    for key, listed in manifest.items():
        if key.endswith("_files") and isinstance(listed, list):
            for entry in listed:
                with open(os.path.join(package, entry["filepath"]), "rb") as f:
                    files.append((entry["filepath"], f.read(), entry["md5"]))
    errors = 0
    for name, data, md5 in files:
        document = json.loads(data)
        schema = by_file_type.get(document.get("file_type"))
        if schema is None:
            print(f"{name}: no schema for file_type {document.get('file_type')!r}")
            errors += 1
            continue
        validator = Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)
        found = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        if md5 is not None and hashlib.md5(data).hexdigest() != md5.lower():
            print(f"{name}: MD5 {hashlib.md5(data).hexdigest()} but the manifest says {md5}")
            errors += 1
        for error in found:
            print(f"{name}: {'/'.join(str(p) for p in error.path)}: {error.message}")
        errors += len(found)
        if not found:
            print(f"{name}: valid ({document['file_type']}{', %d items' % len(document['items']) if 'items' in document else ''})")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
