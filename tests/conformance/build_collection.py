"""Build tests/conformance/tmf683-conformance.postman_collection.json.

The collection is JSON with JavaScript inside; this script is its readable source.
Edit here, then run ``python -m tests.conformance.build_collection`` and commit both.
A test checks that the committed collection is this script's output. What the v4 and
v5 builders share is in ``postman.py``.
"""

from tests.conformance.postman import (
    COMMON_HELPERS,
    COMMON_NAMES,
    MERGE,
    RUN_TAG,
    Builder,
    collection,
    folder,
    helper_library,
    output_path,
    write,
)

OUT = output_path("tmf683-conformance.postman_collection.json")

LIBRARY, PRELUDE = helper_library(COMMON_HELPERS, COMMON_NAMES)

SETUP = (
    r"""
// Run-unique data: every value this run filters on carries the run tag, so a
// second run against the same database only ever sees its own interactions.
const set = (k, v) => pm.collectionVariables.set(k, v);"""
    + RUN_TAG
    + r"""const reason = {
  A: 'Réclamation – facture ü ' + tag,
  B: 'Outbound follow-up call ' + tag,
  C: 'Q&A + 50% = deal / offer ' + tag,
};
const payload = {
  A: {
    channel: [{ id: 'web', name: 'Web self-care' }],
    direction: 'inbound',
    reason: reason.A,
    description: 'Customer disputes invoice ' + tag,
    status: 'opened',
    interactionDate: { startDateTime: '2024-05-01T10:00:00+02:00', endDateTime: '2024-05-01T10:25:30+02:00' },
    relatedParty: [{ id: 'P-' + tag, '@referredType': 'Individual', role: 'customer', name: 'Zoë Ångström' }],
  },
  B: {
    channel: [{ id: 'phone', name: 'Call centre' }],
    direction: 'outbound',
    reason: reason.B,
    description: 'Agent calls back ' + tag,
    status: 'inProgress',
    interactionDate: { startDateTime: '2024-05-02T09:15:00Z' },
    relatedParty: [{ id: 'P-' + tag, '@referredType': 'Individual', role: 'customer' }],
  },
  // C is the minimal create the conformance profile allows.
  C: { channel: [{ id: '555' }], direction: 'inbound', reason: reason.C },
};
// What must be read back: everything sent, date-times normalised to UTC with Z.
const expected = JSON.parse(JSON.stringify(payload));
// tmf683 writes every date-time in one fixed-width UTC form (microseconds, Z).
expected.A.interactionDate = { startDateTime: '2024-05-01T08:00:00.000000Z', endDateTime: '2024-05-01T08:25:30.000000Z' };
expected.B.interactionDate = { startDateTime: '2024-05-02T09:15:00.000000Z' };
['A', 'B', 'C'].forEach((n) => {
  set('reason' + n, reason[n]);
  set('encReason' + n, encodeURIComponent(reason[n]));
  set('payload' + n, JSON.stringify(payload[n]));
  set('expect' + n, JSON.stringify(expected[n]));
});
set('encReasonNoMatch', encodeURIComponent('No such reason ' + tag));
set('patchedDescription', 'Invoice corrected – crédit émis ' + tag);
set('unknownId', 'unknown-' + tag);
set('clientId', 'client-chosen-' + tag);
set('badReason1', 'no channel ' + tag);
set('badReason2', 'client id ' + tag);
set('badReason3', 'text plain ' + tag);
set('encBadReasons', ['badReason1', 'badReason2', 'badReason3']
  .map((k) => encodeURIComponent(pm.collectionVariables.get(k))).join(','));
"""
)

ABC = "{{encReasonA}},{{encReasonB}},{{encReasonC}}"

req = Builder("{{Party_Interaction}}", PRELUDE).req


def create_test(n):
    return r"""
expectStatus(201);
expectJsonType();
const b = json();
const want = JSON.parse(V('expect%(n)s'));
pm.test('body is a single object, not an array', () => {
  pm.expect(b).to.be.an('object');
  pm.expect(Array.isArray(b)).to.equal(false);
});
pm.test('id and href are non-empty strings', () => {
  pm.expect(b.id).to.be.a('string').that.is.not.empty;
  pm.expect(b.href).to.be.a('string').that.is.not.empty;
});
pm.test("href ends with '/partyInteraction/' + id", () =>
  pm.expect(b.href.endsWith('/partyInteraction/' + b.id)).to.equal(true));
pm.test('Location header equals href', () =>
  pm.expect(pm.response.headers.get('Location')).to.equal(b.href));
Object.keys(want).forEach((k) => {
  pm.test('read back exactly: ' + k, () => pm.expect(b[k]).to.eql(want[k]));
});
pm.test('creationDate is set by the server and is a valid date-time', () => {
  pm.expect(b.creationDate).to.be.a('string');
  pm.expect(b.creationDate).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  pm.expect(Number.isNaN(Date.parse(b.creationDate))).to.equal(false);
});
pm.test('id is new (not one of the ids created earlier in this run)', () =>
  pm.expect(['A', 'B', 'C'].filter((x) => x !== '%(n)s').map(ID)).to.not.include(b.id));
pm.collectionVariables.set('id%(n)s', b.id);
pm.collectionVariables.set('href%(n)s', b.href);
pm.collectionVariables.set('encHref%(n)s', encodeURIComponent(b.href));
pm.collectionVariables.set('created%(n)s', JSON.stringify(b));
""" % {"n": n}


def retrieve_test(n):
    return r"""
expectStatus(200);
expectJsonType();
const b = json();
const want = JSON.parse(V('expect%(n)s'));
pm.test('id and href are the created ones', () => {
  pm.expect(b.id).to.equal(ID('%(n)s'));
  pm.expect(b.href).to.equal(V('href%(n)s'));
});
Object.keys(want).forEach((k) => {
  pm.test('stored value read back exactly: ' + k, () => pm.expect(b[k]).to.eql(want[k]));
});
pm.test('whole representation equals the POST response', () =>
  pm.expect(b).to.eql(JSON.parse(V('created%(n)s'))));
""" % {"n": n}


items = []

# ------------------------------------------------------------------ 1 create
items.append(
    folder(
        "1 Create",
        "POST three interactions (A inbound non-ASCII, B outbound, C minimal inbound) and check every value is read back exactly.",
        [
            req(
                "A: POST inbound, non-ASCII reason, relatedParty, +02:00 dates",
                "POST",
                "partyInteraction",
                create_test("A"),
                body="{{payloadA}}",
                pre=SETUP,
            ),
            req(
                "B: POST outbound",
                "POST",
                "partyInteraction",
                create_test("B"),
                body="{{payloadB}}",
            ),
            req(
                "C: POST minimal (channel, direction, reason only), reason with & + % = /",
                "POST",
                "partyInteraction",
                create_test("C"),
                body="{{payloadC}}",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 2 retrieve
items.append(
    folder(
        "2 Retrieve",
        "GET by id returns exactly what was created.",
        [
            req("GET A by id", "GET", "partyInteraction/{{idA}}", retrieve_test("A")),
            req("GET B by id", "GET", "partyInteraction/{{idB}}", retrieve_test("B")),
            req(
                "GET C by id (request carries Content-Type and a body, as the official CTK sends)",
                "GET",
                "partyInteraction/{{idC}}",
                retrieve_test("C"),
                body="{}",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 3 filters
F = []
F.append(
    req(
        "direction=inbound & reason=A -> only A",
        "GET",
        "partyInteraction?direction=inbound&reason={{encReasonA}}",
        r"""
const arr = expectList(['A'], 1);
everyItemHas(arr, 'direction', ['inbound']);
everyItemHas(arr, 'reason', [V('reasonA')]);
pm.test('B (outbound) is not in the result', () => pm.expect(arr.map((x) => x.id)).to.not.include(ID('B')));
""",
    )
)
F.append(
    req(
        "direction=outbound & reason=B -> only B",
        "GET",
        "partyInteraction?direction=outbound&reason={{encReasonB}}",
        r"""
const arr = expectList(['B'], 1);
everyItemHas(arr, 'direction', ['outbound']);
pm.test('A (inbound) is not in the result', () => pm.expect(arr.map((x) => x.id)).to.not.include(ID('A')));
""",
    )
)
F.append(
    req(
        "direction=inbound & reason=A,B,C -> A and C, not B",
        "GET",
        "partyInteraction?direction=inbound&reason=" + ABC,
        r"""
const arr = expectList(['A', 'C'], 2);
everyItemHas(arr, 'direction', ['inbound']);
""",
    )
)
F.append(
    req(
        "direction=outbound & reason=A,B,C -> only B",
        "GET",
        "partyInteraction?direction=outbound&reason=" + ABC,
        r"""
const arr = expectList(['B'], 1);
everyItemHas(arr, 'direction', ['outbound']);
""",
    )
)
F.append(
    req(
        "id=A -> only A",
        "GET",
        "partyInteraction?id={{idA}}",
        r"""
const arr = expectList(['A'], 1);
pm.test('the item is the full representation of A', () => pm.expect(arr[0]).to.eql(JSON.parse(V('createdA'))));
""",
    )
)
F.append(
    req(
        "id=B -> only B",
        "GET",
        "partyInteraction?id={{idB}}",
        r"""
expectList(['B'], 1);
""",
    )
)
F.append(
    req(
        "href=<full URL of A, percent-encoded> -> only A",
        "GET",
        "partyInteraction?href={{encHrefA}}",
        r"""
const arr = expectList(['A'], 1);
everyItemHas(arr, 'href', [V('hrefA')]);
""",
    )
)
F.append(
    req(
        "href=<full URL of B> -> only B",
        "GET",
        "partyInteraction?href={{encHrefB}}",
        r"""
expectList(['B'], 1);
""",
    )
)
F.append(
    req(
        "reason=A (spaces, non-ASCII, percent-encoded) -> only A",
        "GET",
        "partyInteraction?reason={{encReasonA}}",
        r"""
const arr = expectList(['A'], 1);
everyItemHas(arr, 'reason', [V('reasonA')]);
""",
    )
)
F.append(
    req(
        "reason=C (& + % = / percent-encoded) -> only C",
        "GET",
        "partyInteraction?reason={{encReasonC}}",
        r"""
const arr = expectList(['C'], 1);
everyItemHas(arr, 'reason', [V('reasonC')]);
""",
    )
)
F.append(
    req(
        "reason=<this run's unused value> -> nothing",
        "GET",
        "partyInteraction?reason={{encReasonNoMatch}}",
        r"""
expectList([], 0);
""",
    )
)
F.append(
    req(
        "OR by comma: reason=A,B -> A and B, not C",
        "GET",
        "partyInteraction?reason={{encReasonA}},{{encReasonB}}",
        r"""
const arr = expectList(['A', 'B'], 2);
everyItemHas(arr, 'reason', [V('reasonA'), V('reasonB')]);
""",
    )
)
F.append(
    req(
        "OR by repeated attribute: reason=A&reason=B -> A and B",
        "GET",
        "partyInteraction?reason={{encReasonA}}&reason={{encReasonB}}",
        r"""
const arr = expectList(['A', 'B'], 2);
everyItemHas(arr, 'reason', [V('reasonA'), V('reasonB')]);
""",
    )
)
F.append(
    req(
        "AND across attributes: reason=A&direction=outbound -> nothing",
        "GET",
        "partyInteraction?reason={{encReasonA}}&direction=outbound",
        r"""
expectList([], 0);
""",
    )
)
F.append(
    req(
        "AND: id=A&reason=B -> nothing",
        "GET",
        "partyInteraction?id={{idA}}&reason={{encReasonB}}",
        r"""
expectList([], 0);
""",
    )
)
F.append(
    req(
        "status=inProgress & reason=A,B,C -> only B",
        "GET",
        "partyInteraction?status=inProgress&reason=" + ABC,
        r"""
const arr = expectList(['B'], 1);
everyItemHas(arr, 'status', ['inProgress']);
""",
    )
)
items.append(
    folder(
        "3 Filter",
        "Equality filters must really filter: the expected items and no other, with X-Total-Count of the filter.",
        F,
    )
)

# ------------------------------------------------------------------ 4 fields
items.append(
    folder(
        "4 Attribute selection (fields=)",
        "fields= returns id, href and the named attributes, nothing else.",
        [
            req(
                "fields=direction&id=A -> keys id, href, direction",
                "GET",
                "partyInteraction?fields=direction&id={{idA}}",
                r"""
const arr = expectList(['A'], 1);
expectKeys(arr[0], ['id', 'href', 'direction'], 'item');
pm.test('values are those of A', () => {
  pm.expect(arr[0].href).to.equal(V('hrefA'));
  pm.expect(arr[0].direction).to.equal('inbound');
});
""",
            ),
            req(
                "fields=none&reason=A,B -> keys id, href only",
                "GET",
                "partyInteraction?fields=none&reason={{encReasonA}},{{encReasonB}}",
                r"""
const arr = expectList(['A', 'B'], 2);
arr.forEach((x, i) => expectKeys(x, ['id', 'href'], 'item ' + i));
""",
            ),
            req(
                "fields=reason,status&id=B -> keys id, href, reason, status",
                "GET",
                "partyInteraction?fields=reason,status&id={{idB}}",
                r"""
const arr = expectList(['B'], 1);
expectKeys(arr[0], ['id', 'href', 'reason', 'status'], 'item');
pm.test('values are those of B', () => {
  pm.expect(arr[0].reason).to.equal(V('reasonB'));
  pm.expect(arr[0].status).to.equal('inProgress');
});
""",
            ),
            req(
                "fields=interactionDate,relatedParty,channel&id=A -> structured attributes whole",
                "GET",
                "partyInteraction?fields=interactionDate,relatedParty,channel&id={{idA}}",
                r"""
const arr = expectList(['A'], 1);
expectKeys(arr[0], ['id', 'href', 'interactionDate', 'relatedParty', 'channel'], 'item');
const want = JSON.parse(V('expectA'));
['interactionDate', 'relatedParty', 'channel'].forEach((k) =>
  pm.test(k + ' equals what was created', () => pm.expect(arr[0][k]).to.eql(want[k])));
""",
            ),
            req(
                "GET A by id with fields=reason -> keys id, href, reason",
                "GET",
                "partyInteraction/{{idA}}?fields=reason",
                r"""
expectStatus(200);
const b = json();
expectKeys(b, ['id', 'href', 'reason'], 'body');
pm.test('values are those of A', () => {
  pm.expect(b.id).to.equal(ID('A'));
  pm.expect(b.href).to.equal(V('hrefA'));
  pm.expect(b.reason).to.equal(V('reasonA'));
});
""",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 5 paging
items.append(
    folder(
        "5 Paging, counts and order",
        "The filter reason=A,B,C matches exactly 3 items; page through them.",
        [
            req(
                "reason=A,B,C (no paging) -> A, B, C in creation order",
                "GET",
                "partyInteraction?reason=" + ABC,
                r"""
expectList(['A', 'B', 'C'], 3, true);
""",
            ),
            req(
                "limit=2 -> first page A, B; X-Total-Count 3",
                "GET",
                "partyInteraction?reason=" + ABC + "&limit=2",
                r"""
const arr = expectList(['A', 'B'], 3, true);
pm.collectionVariables.set('page1', JSON.stringify(arr.map((x) => x.id)));
""",
            ),
            req(
                "offset=2&limit=2 -> last page C; pages join to the full list",
                "GET",
                "partyInteraction?reason=" + ABC + "&offset=2&limit=2",
                r"""
const arr = expectList(['C'], 3, true);
pm.test('page 1 + page 2 = A, B, C without gap or duplicate', () =>
  pm.expect(JSON.parse(V('page1') || '[]').concat(arr.map((x) => x.id))).to.eql(['A', 'B', 'C'].map(ID)));
""",
            ),
            req(
                "offset=1&limit=1 -> B",
                "GET",
                "partyInteraction?reason=" + ABC + "&offset=1&limit=1",
                r"""
expectList(['B'], 3, true);
""",
            ),
            req(
                "limit=0 -> [] with X-Total-Count 3",
                "GET",
                "partyInteraction?reason=" + ABC + "&limit=0",
                r"""
expectList([], 3, true);
""",
            ),
            req(
                "offset=5 (past the end) -> [] with X-Total-Count 3",
                "GET",
                "partyInteraction?reason=" + ABC + "&offset=5",
                r"""
expectList([], 3, true);
""",
            ),
            req(
                "sort=reason -> B, C, A",
                "GET",
                "partyInteraction?reason=" + ABC + "&sort=reason",
                r"""
expectList(['B', 'C', 'A'], 3, true);
""",
            ),
            req(
                "sort=-reason&limit=2 -> A, C",
                "GET",
                "partyInteraction?reason=" + ABC + "&sort=-reason&limit=2",
                r"""
expectList(['A', 'C'], 3, true);
""",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 6 patch
items.append(
    folder(
        "6 PATCH",
        "Merge patch changes what it says and nothing else; a patch of direction is refused and changes nothing.",
        [
            req(
                "PATCH A (merge-patch+json): status completed, new description",
                "PATCH",
                "partyInteraction/{{idA}}",
                r"""
expectStatus(200);
expectJsonType();
const b = json();
const before = JSON.parse(V('createdA'));
pm.test('status changed to completed', () => pm.expect(b.status).to.equal('completed'));
pm.test('description changed', () => pm.expect(b.description).to.equal(V('patchedDescription')));
pm.test('statusChangeDate is a date-time, new, not before creationDate', () => {
  pm.expect(b.statusChangeDate).to.be.a('string');
  const t = Date.parse(b.statusChangeDate);
  pm.expect(Number.isNaN(t)).to.equal(false);
  pm.expect(b.statusChangeDate).to.not.equal(before.statusChangeDate);
  pm.expect(t).to.be.at.least(Date.parse(before.creationDate));
});
const rest = Object.assign({}, before);
['status', 'description', 'statusChangeDate'].forEach((k) => delete rest[k]);
Object.keys(rest).forEach((k) =>
  pm.test('unchanged: ' + k, () => pm.expect(b[k]).to.eql(rest[k])));
pm.test('no attribute appeared besides statusChangeDate', () =>
  pm.expect(keysOf(b)).to.eql(keysOf(Object.assign({ statusChangeDate: 1 }, before))));
pm.collectionVariables.set('patchedA', JSON.stringify(b));
""",
                body='{"status": "completed", "description": "{{patchedDescription}}"}',
                headers=MERGE,
            ),
            req(
                "PATCH A direction=outbound -> 400, nothing stored",
                "PATCH",
                "partyInteraction/{{idA}}",
                r"""
expectError(400, 'direction');
""",
                body='{"direction": "outbound", "description": "must not be stored {{runTag}}"}',
                headers=MERGE,
            ),
            req(
                "GET A after the refused patch -> exactly the first patch's result",
                "GET",
                "partyInteraction/{{idA}}",
                r"""
expectStatus(200);
const b = json();
pm.test('direction still inbound', () => pm.expect(b.direction).to.equal('inbound'));
pm.test('description is the one of the accepted patch', () =>
  pm.expect(b.description).to.equal(V('patchedDescription')));
pm.test('whole representation equals the accepted PATCH response', () =>
  pm.expect(b).to.eql(JSON.parse(V('patchedA'))));
""",
            ),
            req(
                "status=completed & reason=A,B,C -> A (filter sees the patched value)",
                "GET",
                "partyInteraction?status=completed&reason=" + ABC,
                r"""
const arr = expectList(['A'], 1);
everyItemHas(arr, 'status', ['completed']);
""",
            ),
            req(
                "status=opened & reason=A -> nothing (old value gone)",
                "GET",
                "partyInteraction?status=opened&reason={{encReasonA}}",
                r"""
expectList([], 0);
""",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 7 errors
items.append(
    folder(
        "7 Errors",
        "Error status codes with the TMF Error body.",
        [
            req(
                "GET unknown id -> 404",
                "GET",
                "partyInteraction/{{unknownId}}",
                "expectError(404);\n",
            ),
            req(
                "PATCH unknown id -> 404",
                "PATCH",
                "partyInteraction/{{unknownId}}",
                "expectError(404);\n",
                body='{"status": "completed"}',
                headers=MERGE,
            ),
            req(
                "DELETE unknown id -> 404",
                "DELETE",
                "partyInteraction/{{unknownId}}",
                "expectError(404);\n",
            ),
            req(
                "POST without channel -> 400 naming channel",
                "POST",
                "partyInteraction",
                "expectError(400, 'channel');\n",
                body='{"direction": "inbound", "reason": "{{badReason1}}"}',
            ),
            req(
                "POST with an id in the body -> 400",
                "POST",
                "partyInteraction",
                "expectError(400, 'id');\n",
                body='{"id": "{{clientId}}", "channel": [{"id": "web"}], "direction": "inbound", "reason": "{{badReason2}}"}',
            ),
            req(
                "POST with Content-Type text/plain -> 415",
                "POST",
                "partyInteraction",
                "expectError(415);\n",
                body='{"channel": [{"id": "web"}], "direction": "inbound", "reason": "{{badReason3}}"}',
                headers=[
                    {"key": "Content-Type", "value": "text/plain"},
                    {"key": "Accept", "value": "application/json"},
                ],
            ),
            req(
                "the three refused POSTs stored nothing",
                "GET",
                "partyInteraction?reason={{encBadReasons}}",
                "expectList([], 0);\n",
            ),
            req(
                "nothing stored under the client-chosen id",
                "GET",
                "partyInteraction/{{clientId}}",
                "expectError(404);\n",
            ),
            req(
                "GET ?limit=-1 -> 400 naming limit",
                "GET",
                "partyInteraction?limit=-1",
                "expectError(400, 'limit');\n",
            ),
            req(
                "GET ?offset=abc -> 400 naming offset",
                "GET",
                "partyInteraction?offset=abc",
                "expectError(400, 'offset');\n",
            ),
            req(
                "PUT /partyInteraction -> 405",
                "PUT",
                "partyInteraction",
                r"""
expectError(405);
pm.test('Allow header lists GET and POST (RFC 9110: 405 carries Allow)', () => {
  const allow = (pm.response.headers.get('Allow') || '').split(',').map((s) => s.trim().toUpperCase());
  pm.expect(allow).to.include.members(['GET', 'POST']);
  pm.expect(allow).to.not.include('PUT');
});
""",
                body='{"channel": [{"id": "web"}], "direction": "inbound", "reason": "put"}',
            ),
            req(
                "GET unknown path -> 404",
                "GET",
                "noSuchResource",
                "expectError(404);\n",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 8 delete
items.append(
    folder(
        "8 Delete (also the clean-up)",
        "DELETE removes the resource everywhere; deletes everything this run created.",
        [
            req(
                "DELETE A -> 204, empty body",
                "DELETE",
                "partyInteraction/{{idA}}",
                r"""
expectStatus(204);
pm.test('no body', () => pm.expect(pm.response.text()).to.equal(''));
""",
            ),
            req(
                "GET A after delete -> 404",
                "GET",
                "partyInteraction/{{idA}}",
                "expectError(404);\n",
            ),
            req(
                "list id=A after delete -> [] with X-Total-Count 0",
                "GET",
                "partyInteraction?id={{idA}}",
                "expectList([], 0);\n",
            ),
            req(
                "DELETE A again -> 404",
                "DELETE",
                "partyInteraction/{{idA}}",
                "expectError(404);\n",
            ),
            req(
                "reason=A,B,C after deleting A -> B, C",
                "GET",
                "partyInteraction?reason=" + ABC,
                "expectList(['B', 'C'], 2, true);\n",
            ),
            req(
                "DELETE B -> 204",
                "DELETE",
                "partyInteraction/{{idB}}",
                "expectStatus(204);\n",
            ),
            req(
                "DELETE C -> 204",
                "DELETE",
                "partyInteraction/{{idC}}",
                "expectStatus(204);\n",
            ),
            req(
                "reason=A,B,C at the end -> [] with X-Total-Count 0",
                "GET",
                "partyInteraction?reason=" + ABC,
                "expectList([], 0);\n",
            ),
        ],
    )
)

VARS = [
    "tmfHelpers",
    "runTag",
    "idA",
    "idB",
    "idC",
    "hrefA",
    "hrefB",
    "hrefC",
    "encHrefA",
    "encHrefB",
    "encHrefC",
    "createdA",
    "createdB",
    "createdC",
    "patchedA",
    "page1",
]

write(
    collection(
        key="tmf683-conformance",
        name="tmf683 conformance (TMF683 Party Interaction v4)",
        description="tmf683's own conformance checks for TMF683 v4: values read back exactly, filters that really filter, fields=, X-Total-Count/X-Result-Count, paging, PATCH, DELETE and TMF Error bodies. Set Party_Interaction to the API base URL with a trailing slash. Every run uses fresh, run-tagged data and deletes it at the end. See tests/conformance/README.md.",
        library=LIBRARY,
        variables=[
            {
                "key": "Party_Interaction",
                "value": "http://localhost:8683/tmf-api/partyInteraction/v4/",
            }
        ]
        + [{"key": k, "value": ""} for k in VARS],
        items=items,
    ),
    OUT,
)
