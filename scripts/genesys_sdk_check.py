#!/usr/bin/env python3
"""Check JSON samples against the Genesys Cloud Python SDK (PureCloudPlatformClientV2) models.

Usage:
    python3 scripts/genesys_sdk_check.py [--strict] [--quiet] samples.json

samples.json is a JSON object {"ModelName": [json_value, ...], ...}.  ModelName may also be
a swagger type expression such as "list[Queue]" or "dict(str, Limit)".

For every value:
  1. the SDK's own deserialiser is run (ApiClient().deserialize(fake_response, ModelName)).
     An exception  -> ERROR.
     Note: this SDK version does NOT raise on bad enum values; the setter silently stores
     "outdated_sdk_version" (and it compares case-insensitively).  So we also:
  2. walk the deserialised object: any "outdated_sdk_version" value -> ERROR (bad enum).
  3. walk the raw JSON against swagger_types/attribute_map (our own strict pass):
       - enum values must match allowed_values EXACTLY (case-sensitive)        -> ERROR
         (case-only mismatch is accepted by the SDK, we report it as ERROR too, because
          real Genesys uses exact spelling)
       - JSON type mismatches (string vs number vs bool vs object vs array,
         unparsable date-time)                                                 -> ERROR
       - null for an enum field (crashes the SDK setter: None.lower())         -> caught by 1.
       - JSON keys unknown to the model's attribute_map (recursive)            -> WARNING
         (with --strict, unknown keys make the exit status 1)
Exit status: 0 if all OK, 1 if any error (or, with --strict, any unknown key).
"""
import ast
import inspect
import json
import re
import sys

try:
    import PureCloudPlatformClientV2 as sdk
    from PureCloudPlatformClientV2 import models as sdk_models
    from PureCloudPlatformClientV2.api_client import ApiClient
except Exception as e:  # pragma: no cover
    print("cannot import PureCloudPlatformClientV2 (pip install purecloudplatformclientv2, or set PYTHONPATH to an unpacked wheel): %s" % e)
    sys.exit(2)

OUTDATED = "outdated_sdk_version"
_enum_cache = {}


def model_class(name):
    return getattr(sdk_models, name, None)


_meta_cache = {}


def meta(cls):
    """(swagger_types, attribute_map) -- they are instance attributes in this SDK."""
    if cls not in _meta_cache:
        inst = cls()
        _meta_cache[cls] = (inst.swagger_types, inst.attribute_map)
    return _meta_cache[cls]


def enums_of(cls):
    """attr (python name) -> list of allowed values, parsed from the setter source."""
    if cls in _enum_cache:
        return _enum_cache[cls]
    res = {}
    for attr in meta(cls)[0]:
        prop = cls.__dict__.get(attr)
        if not isinstance(prop, property) or prop.fset is None:
            continue
        try:
            src = inspect.getsource(prop.fset)
        except (OSError, TypeError):
            continue
        m = re.search(r"allowed_values\s*=\s*(\[.*?\])\s*\n", src, re.S)
        if m:
            try:
                res[attr] = ast.literal_eval(m.group(1))
            except Exception:
                pass
    _enum_cache[cls] = res
    return res


class FakeResponse(object):
    def __init__(self, text):
        self.data = text
        self.status = 200

    def getheader(self, name, default=None):
        if name.lower() == "content-type":
            return "application/json"
        return default


def is_iso_datetime(s):
    try:
        from dateutil.parser import isoparse
        isoparse(s)
        return True
    except Exception:
        return False


class Checker(object):
    def __init__(self):
        self.errors = []
        self.unknown = []

    def err(self, path, msg):
        self.errors.append("%s: %s" % (path or "$", msg))

    def walk(self, value, typ, path):
        """Strict structural check of raw JSON `value` against swagger type string `typ`."""
        if value is None:
            return  # nulls: SDK accepts for non-enum fields (enum null handled by SDK pass)
        m = re.match(r"list\[(.*)\]$", typ)
        if m:
            if not isinstance(value, list):
                self.err(path, "expected array (%s), got %s" % (typ, type(value).__name__))
                return
            for i, v in enumerate(value):
                self.walk(v, m.group(1), "%s[%d]" % (path, i))
            return
        m = re.match(r"dict\(([^,]*), (.*)\)$", typ)
        if m:
            if not isinstance(value, dict):
                self.err(path, "expected object (%s), got %s" % (typ, type(value).__name__))
                return
            for k, v in value.items():
                self.walk(v, m.group(2), "%s[%s]" % (path, json.dumps(k)))
            return
        if typ == "str":
            if not isinstance(value, str):
                self.err(path, "expected string, got %s %r" % (type(value).__name__, value))
            return
        if typ == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    self.err(path, "expected integer, got float %r (SDK would accept)" % value)
                else:
                    self.err(path, "expected integer, got %s %r" % (type(value).__name__, value))
            return
        if typ == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.err(path, "expected number, got %s %r" % (type(value).__name__, value))
            return
        if typ == "bool":
            if not isinstance(value, bool):
                self.err(path, "expected boolean, got %s %r" % (type(value).__name__, value))
            return
        if typ in ("datetime", "date", "LocalDateTime"):
            if not isinstance(value, str) or not is_iso_datetime(value):
                self.err(path, "expected ISO-8601 %s string, got %r" % (typ, value))
            return
        if typ == "object":
            return
        cls = model_class(typ)
        if cls is None:
            self.err(path, "unknown SDK type %r" % typ)
            return
        if not isinstance(value, dict):
            self.err(path, "expected object (%s), got %s %r" % (typ, type(value).__name__, value))
            return
        stypes, amap = meta(cls)
        rev = {v: k for k, v in amap.items()}
        enums = enums_of(cls)
        for key, v in value.items():
            p = "%s.%s" % (path, key) if path else key
            attr = rev.get(key)
            if attr is None:
                self.unknown.append("%s (not in %s: known %s)" % (p, typ, sorted(amap.values())))
                continue
            t = stypes[attr]
            if attr in enums and v is not None:
                allowed = enums[attr]
                if not isinstance(v, str):
                    self.err(p, "enum %s.%s expects string, got %r" % (typ, key, v))
                elif v not in allowed:
                    ci = [a for a in allowed if a.lower() == v.lower()]
                    if ci:
                        self.err(p, "enum %s.%s value %r differs in case from %r (SDK accepts case-insensitively)" % (typ, key, v, ci[0]))
                    else:
                        self.err(p, "enum %s.%s value %r not in %s" % (typ, key, v, allowed))
                continue
            self.walk(v, t, p)


def find_outdated(obj, path, out):
    """Walk deserialised SDK object; report fields holding the 'outdated_sdk_version' marker."""
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            find_outdated(v, "%s[%d]" % (path, i), out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            find_outdated(v, "%s[%s]" % (path, json.dumps(k)), out)
    elif hasattr(obj, "swagger_types"):
        for attr in obj.swagger_types:
            v = getattr(obj, "_" + attr, None)
            json_name = obj.attribute_map.get(attr, attr)
            p = "%s.%s" % (path, json_name) if path else json_name
            if isinstance(v, str) and v == OUTDATED:
                out.append(p)
            else:
                find_outdated(v, p, out)


def check_one(api, model, value):
    """Returns (errors, unknown_keys)."""
    errors = []
    text = json.dumps(value)
    try:
        obj = api.deserialize(FakeResponse(text), model)
    except Exception as e:
        errors.append("SDK deserialize raised %s: %s" % (type(e).__name__, e))
        obj = None
    if obj is not None:
        bad = []
        find_outdated(obj, "", bad)
        for b in bad:
            errors.append("%s: SDK stored %r (enum value not allowed)" % (b or "$", OUTDATED))
    c = Checker()
    c.walk(value, model, "")
    # de-duplicate: strict enum errors already cover SDK 'outdated' markers, keep both (cheap)
    errors.extend(c.errors)
    return errors, c.unknown


def main(argv):
    strict = "--strict" in argv
    quiet = "--quiet" in argv
    files = [a for a in argv[1:] if not a.startswith("--")]
    if len(files) != 1:
        print(__doc__)
        return 2
    with open(files[0]) as f:
        samples = json.load(f)
    if not isinstance(samples, dict):
        print("samples file must be a JSON object {ModelName: [values...]}")
        return 2
    api = ApiClient()
    n_err = n_unk = n_ok = 0
    for model, values in samples.items():
        base = re.sub(r"^(list\[|dict\([^,]*, )|[\])]$", "", model)
        if base not in ("str", "int", "float", "bool", "object", "datetime") and model_class(base) is None:
            print("ERROR %s: no such SDK model" % model)
            n_err += 1
            continue
        if not isinstance(values, list):
            values = [values]
        for i, v in enumerate(values):
            errors, unknown = check_one(api, model, v)
            for e in errors:
                print("ERROR   %s[%d] %s" % (model, i, e))
            for u in unknown:
                print("UNKNOWN %s[%d] %s" % (model, i, u))
            if errors:
                n_err += 1
            if unknown:
                n_unk += 1
            if not errors and not unknown:
                n_ok += 1
                if not quiet:
                    print("OK      %s[%d]" % (model, i))
    print("summary: %d ok, %d with errors, %d with unknown keys%s"
          % (n_ok, n_err, n_unk, " (strict)" if strict else ""))
    sys.stdout.flush()
    return 1 if (n_err or (strict and n_unk)) else 0


if __name__ == "__main__":
    try:
        rc = main(sys.argv)
    except Exception:
        import traceback
        traceback.print_exc()
        rc = 2
    sys.stdout.flush()
    sys.stderr.flush()
    import os
    os._exit(rc)  # avoid hanging on SDK background (watchdog) threads
