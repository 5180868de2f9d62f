"""What the v4 and v5 collection builders share: Postman v2.1 items, helper library.

A collection is JSON with JavaScript inside. The builders (``build_collection.py`` for
v4, ``build_collection_v5.py`` for v5) describe requests with :func:`req` and
:func:`folder`, put the shared JavaScript helpers in a collection-level pre-request
script with :func:`helper_library`, and write the result with :func:`write`, so the
committed JSON is a pure function of the builder.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

JSON_HDR = [
    {"key": "Content-Type", "value": "application/json;charset=utf-8"},
    {"key": "Accept", "value": "application/json"},
]
ACCEPT = [{"key": "Accept", "value": "application/json"}]
MERGE = [
    {"key": "Content-Type", "value": "application/merge-patch+json"},
    {"key": "Accept", "value": "application/json"},
]

# The run tag: every value a run filters on carries it, so a run only sees its own data.
RUN_TAG = r"""
const tag = Date.now() + '-' + Math.random().toString(36).slice(2, 10);
set('runTag', tag);
"""

# Helpers both collections use (v4 error and list checks; v5 adds to them).
COMMON_HELPERS = r"""
  const V = (k) => pm.collectionVariables.get(k);
  const ID = (n) => V('id' + n);
  const json = () => { try { return pm.response.json(); } catch (e) { return undefined; } };
  const keysOf = (o) => (o && typeof o === 'object' ? Object.keys(o).sort() : []);
  function expectStatus(code) {
    pm.test('HTTP status is ' + code, () => pm.response.to.have.status(code));
  }
  function expectJsonType() {
    pm.test('Content-Type is application/json', () =>
      pm.expect(pm.response.headers.get('Content-Type') || '').to.match(/^application\/json/i));
  }
  // TMF Error body: code and reason non-empty strings, message a string,
  // status the HTTP status as a string; mention: a word the message must contain.
  function expectError(code, mention) {
    expectStatus(code);
    expectJsonType();
    const b = json();
    pm.test('Error body: code and reason are non-empty strings', () => {
      pm.expect(b).to.be.an('object');
      pm.expect(b.code).to.be.a('string').that.is.not.empty;
      pm.expect(b.reason).to.be.a('string').that.is.not.empty;
    });
    pm.test('Error body: message is a string', () => pm.expect(b.message).to.be.a('string'));
    pm.test('Error body: status is the string "' + code + '"', () => pm.expect(b.status).to.equal(String(code)));
    if (mention) {
      pm.test('Error message names ' + mention, () =>
        pm.expect(String(b && b.message)).to.match(new RegExp('\\b' + mention + '\\b', 'i')));
    }
    return b;
  }
  // A list response holding exactly the interactions labelled in names ('A', 'B',
  // 'C': created by this run), in that order when ordered, with X-Total-Count total.
  function expectList(names, total, ordered) {
    expectStatus(200);
    expectJsonType();
    const b = json();
    pm.test('body is a JSON array', () => pm.expect(b).to.be.an('array'));
    const arr = Array.isArray(b) ? b : [];
    const got = arr.map((x) => x && x.id);
    const want = names.map(ID);
    const what = names.length ? names.join(', ') : 'nothing';
    if (ordered) {
      pm.test('returns exactly [' + what + '] in this order', () => pm.expect(got).to.eql(want));
    } else {
      pm.test('returns exactly {' + what + '} (no other item)', () => pm.expect(got).to.have.members(want));
    }
    pm.test('X-Result-Count equals the number of items returned', () =>
      pm.expect(pm.response.headers.get('X-Result-Count')).to.equal(String(arr.length)));
    pm.test('X-Total-Count is ' + total + ' (matches of the filter, not the collection size)', () =>
      pm.expect(pm.response.headers.get('X-Total-Count')).to.equal(String(total)));
    return arr;
  }
  function everyItemHas(arr, attr, allowed) {
    pm.test('every item has ' + attr + ' in ' + JSON.stringify(allowed), () => {
      pm.expect(arr).to.not.be.empty;
      arr.forEach((x) => pm.expect(allowed).to.include(x[attr]));
    });
  }
  function expectKeys(obj, keys, label) {
    pm.test((label || 'object') + ' has exactly the keys ' + keys.join(', '), () =>
      pm.expect(keysOf(obj)).to.eql(keys.slice().sort()));
  }
"""
COMMON_NAMES = (
    "V",
    "ID",
    "json",
    "keysOf",
    "expectStatus",
    "expectJsonType",
    "expectError",
    "expectList",
    "everyItemHas",
    "expectKeys",
)


def lines(s: str) -> list[str]:
    return s.strip("\n").split("\n")


def helper_library(body: str, names: Sequence[str]) -> tuple[str, str]:
    """Return the collection pre-request script defining the helpers, and the prelude.

    The script stores the helpers' source in the collection variable ``tmfHelpers``;
    the prelude (the first line of every test script) evaluates it, so the helpers
    bind to that request's ``pm`` object.

    Args:
        body: the JavaScript defining the helpers (inside a function).
        names: what the function returns and the prelude destructures.
    """
    listed = ", ".join(names)
    library = (
        "\n// Shared test helpers, written once here. Each test script evaluates this\n"
        "// source (see its first line) so the helpers bind to that request's pm object.\n"
        "pm.collectionVariables.set('tmfHelpers', '(' + function () {"
        + body.rstrip("\n")
        + "\n  return { "
        + listed
        + " };\n}.toString() + ')()');\n"
    )
    prelude = (
        "const { " + listed + " } = eval(pm.collectionVariables.get('tmfHelpers'));"
    )
    return library, prelude


class Builder:
    """Makes the requests of one collection: its base URL variable and its prelude."""

    def __init__(self, base: str, prelude: str) -> None:
        self.base = base
        self.prelude = prelude

    def req(
        self,
        name: str,
        method: str,
        url: str,
        test: str,
        body: str | None = None,
        headers: list[dict[str, str]] | None = None,
        pre: str | None = None,
        desc: str | None = None,
        base: str | None = None,
    ) -> dict[str, Any]:
        """One request with its test script (prelude first) and optional pre-request."""
        item: dict[str, Any] = {
            "name": name,
            "event": [
                {
                    "listen": "test",
                    "script": {
                        "type": "text/javascript",
                        "exec": lines(self.prelude) + lines(test),
                    },
                }
            ],
            "request": {
                "method": method,
                "header": headers
                if headers is not None
                else (JSON_HDR if body is not None else ACCEPT),
                "url": (self.base if base is None else base) + url,
            },
            "response": [],
        }
        if pre:
            item["event"].insert(
                0,
                {
                    "listen": "prerequest",
                    "script": {"type": "text/javascript", "exec": lines(pre)},
                },
            )
        if body is not None:
            item["request"]["body"] = {"mode": "raw", "raw": body}
        if desc:
            item["request"]["description"] = desc
        return item


def folder(name: str, desc: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "description": desc, "item": items}


NOT_5XX = [
    "// Every response of this collection: never a server error.",
    "pm.test('not a 5xx server error', () => pm.expect(pm.response.code).to.be.below(500));",
]


def collection(
    *,
    key: str,
    name: str,
    description: str,
    library: str,
    variables: list[dict[str, str]],
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    """The collection: a stable id from ``key``, the helper library, never a 5xx."""
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
            "name": name,
            "description": description,
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "event": [
            {
                "listen": "prerequest",
                "script": {"type": "text/javascript", "exec": lines(library)},
            },
            {
                "listen": "test",
                "script": {"type": "text/javascript", "exec": list(NOT_5XX)},
            },
        ],
        "variable": variables,
        "item": items,
    }


def output_path(default_name: str) -> Path:
    """The file to write: the first command-line argument, else ``default_name``."""
    return (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).with_name(default_name)
    )


def write(built: dict[str, Any], out: Path) -> None:
    """Write the collection (UTF-8, indent 2, final newline) and print its size."""
    with open(out, "w", encoding="utf-8") as f:
        json.dump(built, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print("requests:", sum(len(fo["item"]) for fo in built["item"]))
