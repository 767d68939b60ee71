"""The rules version: a sha256 of the canonical content.

Canonical = the validated model dumped to JSON with sorted keys and every default filled in,
so comments, whitespace, key order, YAML-vs-JSON and spelling ``[ship]`` as ``ship`` never
change the version, while any change of meaning does. Every routing decision records it.
"""

from __future__ import annotations

import hashlib
import json

from rules.schema import Rules


def canonical_json(rules: Rules) -> str:
    document = rules.model_dump(mode="json")
    for later in ("returns", "waves"):  # added later: files without them keep their version
        if document.get(later) is None:
            document.pop(later, None)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def rules_version(rules: Rules) -> str:
    """sha256 hex digest of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(rules).encode("utf-8")).hexdigest()
