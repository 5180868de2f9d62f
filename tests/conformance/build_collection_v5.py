"""Build tests/conformance/tmf683-v5-conformance.postman_collection.json.

The v5 twin of ``build_collection.py`` (what both share is in ``postman.py``). Every
v5 response is checked against the schemas of the v5 OAS file itself, converted to
JSON Schema draft-07 at build time by ``openapi.py`` and validated in the sandbox by
ajv (``pm.expect(x).to.have.jsonSchema(schema, {format: 'full'})``). Edit here, then
run ``python -m tests.conformance.build_collection_v5`` and commit both files; a test
checks that the committed collection is this script's output.
"""

import json

from tests.conformance import openapi
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

OUT = output_path("tmf683-v5-conformance.postman_collection.json")

ROOTS = ["PartyInteraction", "Hub", "Error"]
DEFINITIONS = openapi.draft07(ROOTS)["definitions"]
SCHEMA_NAMES = openapi.schema_names()

V5_HELPERS = r"""
  const root5 = () => pm.variables.get('Party_Interaction');
  const root4 = () => pm.variables.get('Party_Interaction_v4');
  // The path of a URL (scheme and authority dropped): hrefs are compared by path, so
  // the collection also passes behind a --base-url or a proxy.
  const pathOf = (u) => String(u || '').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  const escapeRe = (s) => String(s).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // tmf683's rule beside the OAS (tmf683.versions.v5contract): a @type that no schema
  // of the OAS defines needs @schemaLocation. Returns the paths that break it.
  function unknownTypes(value) {
    const names = new Set(JSON.parse(V('oasSchemaNames')));
    const out = [];
    (function walk(x, path) {
      if (Array.isArray(x)) { x.forEach((y, i) => walk(y, path + '[' + i + ']')); return; }
      if (!x || typeof x !== 'object') return;
      const t = x['@type'];
      if (typeof t === 'string' && !names.has(t) && !('@schemaLocation' in x)) out.push(path + '.@type=' + t);
      Object.keys(x).forEach((k) => walk(x[k], path + '.' + k));
    })(value, '$');
    return out;
  }
  // value against a schema of the v5 OAS (converted to draft-07 at build time), by
  // ajv in the sandbox; many: value is an array of such objects.
  function expectSchema(value, name, label, many) {
    const what = label || 'body';
    pm.test(what + ' is valid against the OAS schema ' + name + (many ? ' (each item)' : ''), () => {
      const one = { $ref: '#/definitions/' + name };
      const schema = { allOf: [many ? { type: 'array', items: one } : one], definitions: JSON.parse(V('oasDefinitions')) };
      pm.expect(value).to.have.jsonSchema(schema, { format: 'full' });
    });
    pm.test(what + ': every @type is a schema of the OAS or comes with @schemaLocation', () =>
      pm.expect(unknownTypes(value)).to.eql([]));
  }
  // A v5 Error: the TMF Error body, @type Error, valid against the OAS Error schema;
  // mention: a name the message must contain (not as part of a longer name).
  function expectV5Error(code, mention) {
    const b = expectError(code);
    pm.test('Error body: @type is "Error"', () => pm.expect(b && b['@type']).to.equal('Error'));
    expectSchema(b, 'Error', 'Error body');
    if (mention) {
      pm.test('Error message names ' + mention, () =>
        pm.expect(String(b && b.message)).to.match(new RegExp('(^|[^\\w@])' + escapeRe(mention) + '(?![\\w@])')));
    }
    return b;
  }
  // A v4 Error (from the v4 root): the TMF Error body without the v5 @type.
  function expectV4Error(code) {
    const b = expectError(code);
    pm.test('v4 Error body has no @type', () => pm.expect(b).to.not.have.property('@type'));
    return b;
  }
  // A v5 list: exactly the named interactions (see expectList), each valid.
  function expectV5List(names, total, ordered) {
    const arr = expectList(names, total, ordered);
    expectSchema(arr, 'PartyInteraction', 'every item', true);
    return arr;
  }
  // The Link header as { rel: url }.
  function links() {
    const out = {};
    const re = /<([^>]*)>\s*;\s*rel="([^"]*)"/g;
    let m;
    while ((m = re.exec(pm.response.headers.get('Link') || '')) !== null) out[m[2]] = m[1];
    return out;
  }
  // id and href of a created resource; href is collection + '/' + id under root.
  function expectCreated(b, collection, root) {
    pm.test('id is a non-empty string', () => pm.expect(b && b.id).to.be.a('string').that.is.not.empty);
    pm.test('href is ' + pathOf(root) + collection + '/{id}', () =>
      pm.expect(pathOf(b && b.href)).to.equal(pathOf(root) + collection + '/' + (b && b.id)));
    pm.test('Location header equals href', () =>
      pm.expect(pm.response.headers.get('Location')).to.equal(b && b.href));
  }
  function expectDateTime(b, attr) {
    pm.test(attr + ' is a date-time in UTC', () => {
      pm.expect(b && b[attr]).to.be.a('string');
      pm.expect(b[attr]).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      pm.expect(Number.isNaN(Date.parse(b[attr]))).to.equal(false);
    });
  }
  // Every attribute of want read back exactly.
  function expectValues(b, want, label) {
    Object.keys(want).forEach((k) =>
      pm.test((label || 'read back exactly') + ': ' + k, () => pm.expect(b && b[k]).to.eql(want[k])));
  }
  // b equals before except the attributes in changed (which must differ or appear).
  function expectOnlyChanged(b, before, changed, label) {
    const rest = Object.assign({}, before);
    const got = Object.assign({}, b);
    changed.forEach((k) => { delete rest[k]; delete got[k]; });
    pm.test((label || 'everything else unchanged') + ' (all but ' + changed.join(', ') + ')', () =>
      pm.expect(got).to.eql(rest));
  }
"""
V5_NAMES = (
    "root5",
    "root4",
    "pathOf",
    "unknownTypes",
    "expectSchema",
    "expectV5Error",
    "expectV4Error",
    "expectV5List",
    "links",
    "expectCreated",
    "expectDateTime",
    "expectValues",
    "expectOnlyChanged",
)
LIBRARY, PRELUDE = helper_library(COMMON_HELPERS + V5_HELPERS, COMMON_NAMES + V5_NAMES)

SETUP = (
    r"""
// Run-unique data: every value this run filters on carries the run tag (channel and
// party ids, reasons), so a second run on the same database sees only its own data.
const set = (k, v) => pm.collectionVariables.set(k, v);"""
    + RUN_TAG
    + r"""const P = 'P-' + tag;
const Q = 'Q-' + tag;
const reason = {
  A: 'Réclamation v5 – facture ü ' + tag,
  B: 'Outbound v5 follow-up ' + tag,
  C: 'Q&A + 50% = v5 / deal ' + tag,
  D: 'Subclass with a schema location ' + tag,
  E: 'Made on v4 ' + tag,
  F: 'Created with fields=reason ' + tag,
};
const rc = (id, name) => {
  const channel = { '@type': 'ChannelRef', id: id };
  if (name) channel.name = name;
  return { '@type': 'RelatedChannel', role: 'interactionChannel', channel: channel };
};
const rp = (role, party) => ({ '@type': 'RelatedPartyOrPartyRole', role: role, partyOrPartyRole: party });
const item = (id, role, entity) => ({ '@type': 'InteractionItem', id: id,
  item: { '@type': 'RelatedEntityRefOrValue', role: role, entity: Object.assign({ '@type': 'EntityRef' }, entity) } });
const payload = {
  // A: inbound, everything v5 can say, an Individual customer, +02:00 dates.
  A: {
    '@type': 'PartyInteraction',
    direction: 'inbound',
    reason: reason.A,
    description: 'Customer disputes invoice ' + tag,
    status: 'opened',
    interactionDate: { startDateTime: '2024-05-01T10:00:00+02:00', endDateTime: '2024-05-01T10:25:30+02:00' },
    relatedChannel: [rc('web-' + tag, 'Web self-care')],
    relatedParty: [rp('customer', { '@type': 'Individual', id: P, givenName: 'Zoë', familyName: 'Ångström' })],
    externalIdentifier: [{ '@type': 'ExternalIdentifier', id: 'CRM-' + tag, owner: 'crm' }],
    note: [{ '@type': 'Note', id: 'n1-' + tag, text: 'first contact' }],
    interactionItem: [
      item('it1-' + tag, 'subject', { id: 'INV-' + tag, '@referredType': 'CustomerBill' }),
      item('it2-' + tag, 'evidence', { id: 'DOC-' + tag }),
    ],
  },
  // B: outbound; P takes part as agent (not customer), Q is the customer.
  B: {
    '@type': 'PartyInteraction',
    direction: 'outbound',
    reason: reason.B,
    status: 'inProgress',
    interactionDate: { startDateTime: '2024-05-02T09:15:00Z' },
    relatedChannel: [rc('phone-' + tag, 'Call centre')],
    relatedParty: [rp('agent', { '@type': 'PartyRef', id: P, name: 'Zoë as agent' }), rp('customer', { '@type': 'PartyRef', id: Q })],
  },
  // C: the smallest valid v5 create (@type, reason, direction, relatedChannel).
  C: { '@type': 'PartyInteraction', direction: 'inbound', reason: reason.C, relatedChannel: [rc('kiosk-' + tag)] },
  // D: a subclass no schema of the OAS defines, accepted for its @schemaLocation.
  D: {
    '@type': 'TaggedInteraction',
    '@baseType': 'PartyInteraction',
    '@schemaLocation': 'https://schemas.example.com/TaggedInteraction.schema.json',
    direction: 'inbound',
    reason: reason.D,
    relatedChannel: [rc('kiosk-' + tag)],
  },
  F: { '@type': 'PartyInteraction', direction: 'outbound', reason: reason.F, relatedChannel: [rc('mail-' + tag)] },
};
// E is created on v4, in v4 names.
const payloadE = {
  channel: [{ id: 'shop-' + tag, name: 'Shop', role: 'interactionChannel' }],
  direction: 'inbound',
  reason: reason.E,
  status: 'opened',
  relatedParty: [{ id: Q, '@referredType': 'Individual', role: 'customer', name: 'Quinn' }],
};
// What must be read back: everything sent, date-times in tmf683's one UTC form.
const expected = JSON.parse(JSON.stringify(payload));
expected.A.interactionDate = { startDateTime: '2024-05-01T08:00:00.000000Z', endDateTime: '2024-05-01T08:25:30.000000Z' };
expected.B.interactionDate = { startDateTime: '2024-05-02T09:15:00.000000Z' };
expected.E = JSON.parse(JSON.stringify(payloadE));
// E under v5: the documented mapping (docs/v5.md), default @types.
const expected5E = {
  '@type': 'PartyInteraction',
  direction: 'inbound',
  reason: reason.E,
  status: 'opened',
  relatedChannel: [{ '@type': 'RelatedChannel', role: 'interactionChannel', channel: { '@type': 'ChannelRef', id: 'shop-' + tag, name: 'Shop' } }],
  relatedParty: [rp('customer', { '@type': 'PartyRef', id: Q, name: 'Quinn', '@referredType': 'Individual' })],
};
['A', 'B', 'C', 'D', 'E', 'F'].forEach((n) => {
  set('reason' + n, reason[n]);
  set('encReason' + n, encodeURIComponent(reason[n]));
  set('payload' + n, JSON.stringify(n === 'E' ? payloadE : payload[n]));
  set('expect' + n, JSON.stringify(expected[n] || {}));
});
set('expect5E', JSON.stringify(expected5E));
set('P', P);
set('Q', Q);
set('encP', encodeURIComponent(P));
set('encQ', encodeURIComponent(Q));
set('encReasonNoMatch', encodeURIComponent('No such reason ' + tag));
set('patchedDescription', 'Invoice corrected – crédit émis ' + tag);
set('fieldsDescription', 'Second patch, answered with fields ' + tag);
set('v4Description', 'Patched on v4 ' + tag);
set('unknownId', 'unknown-' + tag);
set('callback', 'http://127.0.0.1:9/tmf683-v5-conformance/' + tag);
['noType', 'noChannel', 'noReason', 'noRole', 'unknownType', 'nestedType', 'withId', 'textPlain']
  .forEach((k) => set('bad_' + k, 'refused ' + k + ' ' + tag));
set('encBadReasons', ['noType', 'noChannel', 'noReason', 'noRole', 'unknownType', 'nestedType', 'withId', 'textPlain']
  .map((k) => encodeURIComponent(pm.collectionVariables.get('bad_' + k))).join(','));
"""
)

JSON_PATCH = [
    {"key": "Content-Type", "value": "application/json-patch+json"},
    {"key": "Accept", "value": "application/json"},
]
JSON_PATCH_QUERY = [
    {"key": "Content-Type", "value": "application/json-patch-query+json"},
    {"key": "Accept", "value": "application/json"},
]
TEXT = [
    {"key": "Content-Type", "value": "text/plain"},
    {"key": "Accept", "value": "application/json"},
]
V4 = "{{Party_Interaction_v4}}"
ABC = "{{encReasonA}},{{encReasonB}},{{encReasonC}}"
ALL = "{{encReasonA}},{{encReasonB}},{{encReasonC}},{{encReasonD}},{{encReasonE}}"
PI = "partyInteraction"

req = Builder("{{Party_Interaction}}", PRELUDE).req


def v4req(name, method, url, test, **kwargs):
    return req(name, method, url, test, base=V4, **kwargs)


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
expectCreated(b, 'partyInteraction', root5());
expectSchema(b, 'PartyInteraction');
expectValues(b, want);
expectDateTime(b, 'creationDate');
expectDateTime(b, 'lastUpdate');
pm.test('id is new (not one of the ids created earlier in this run)', () =>
  pm.expect(['A', 'B', 'C', 'D'].filter((x) => x !== '%(n)s').map(ID)).to.not.include(b.id));
pm.collectionVariables.set('id%(n)s', b.id);
pm.collectionVariables.set('href%(n)s', b.href);
pm.collectionVariables.set('created%(n)s', JSON.stringify(b));
pm.collectionVariables.set('encCreationDate%(n)s', encodeURIComponent(b.creationDate));
pm.collectionVariables.set('encLastUpdate%(n)s', encodeURIComponent(b.lastUpdate));
""" % {"n": n}


def retrieve_test(n):
    return r"""
expectStatus(200);
expectJsonType();
const b = json();
expectSchema(b, 'PartyInteraction');
pm.test('id and href are the created ones', () => {
  pm.expect(b.id).to.equal(ID('%(n)s'));
  pm.expect(b.href).to.equal(V('href%(n)s'));
});
expectValues(b, JSON.parse(V('expect%(n)s')), 'stored value read back exactly');
pm.test('whole representation equals the POST response', () =>
  pm.expect(b).to.eql(JSON.parse(V('created%(n)s'))));
""" % {"n": n}


def bad_post(name, body, status, mention, headers=None):
    return req(
        name,
        "POST",
        PI,
        "expectV5Error(%d%s);\n" % (status, ", '%s'" % mention if mention else ""),
        body=body,
        headers=headers,
    )


def v5_channel(id_expr):
    return (
        '{"@type": "RelatedChannel", "role": "interactionChannel", '
        '"channel": {"@type": "ChannelRef", "id": "%s"}}' % id_expr
    )


items = []

# ------------------------------------------------------------------ 1 create
items.append(
    folder(
        "1 Create",
        "POST A (everything v5 can say), B (outbound), C (minimal), D (a subclass with @schemaLocation) on v5, E on v4; F with fields=reason.",
        [
            req(
                "A: POST full v5 body (Individual, externalIdentifier, note, items, +02:00 dates)",
                "POST",
                PI,
                create_test("A"),
                body="{{payloadA}}",
                pre=SETUP,
            ),
            req(
                "B: POST outbound, P as agent, Q as customer",
                "POST",
                PI,
                create_test("B"),
                body="{{payloadB}}",
            ),
            req(
                "C: POST minimal (@type, reason, direction, relatedChannel), reason with & + % = /",
                "POST",
                PI,
                create_test("C"),
                body="{{payloadC}}",
            ),
            req(
                "D: POST @type TaggedInteraction (no schema of the OAS) with @schemaLocation -> 201",
                "POST",
                PI,
                create_test("D")
                + r"""
pm.test('@type, @baseType and @schemaLocation are kept', () => {
  pm.expect(b['@type']).to.equal('TaggedInteraction');
  pm.expect(b['@baseType']).to.equal('PartyInteraction');
  pm.expect(b['@schemaLocation']).to.equal(JSON.parse(V('payloadD'))['@schemaLocation']);
});
""",
                body="{{payloadD}}",
            ),
            v4req(
                "E: POST on v4 (v4 names: channel, flat relatedParty)",
                "POST",
                PI,
                r"""
expectStatus(201);
const b = json();
expectCreated(b, 'partyInteraction', root4());
expectValues(b, JSON.parse(V('expectE')));
pm.test('the v4 body has no v5 attribute', () =>
  ['@type', 'relatedChannel', 'lastUpdate', 'externalIdentifier'].forEach((k) => pm.expect(b).to.not.have.property(k)));
pm.collectionVariables.set('idE', b.id);
pm.collectionVariables.set('href4E', b.href);
pm.collectionVariables.set('created4E', JSON.stringify(b));
""",
                body="{{payloadE}}",
            ),
            req(
                "F: POST with fields=reason -> 201 with id, href, @type, reason only",
                "POST",
                PI + "?fields=reason",
                r"""
expectStatus(201);
const b = json();
expectCreated(b, 'partyInteraction', root5());
expectKeys(b, ['id', 'href', '@type', 'reason'], 'body');
pm.test('values are those sent', () => {
  pm.expect(b['@type']).to.equal('PartyInteraction');
  pm.expect(b.reason).to.equal(V('reasonF'));
});
expectSchema(b, 'PartyInteraction');
pm.collectionVariables.set('idF', b.id);
pm.collectionVariables.set('hrefF', b.href);
pm.collectionVariables.set('createdF', JSON.stringify(b));
""",
                body="{{payloadF}}",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 2 retrieve
items.append(
    folder(
        "2 Retrieve",
        "GET by id returns exactly what was created; E (made on v4) in v5 form; fields= on GET by id.",
        [
            req("GET A by id", "GET", PI + "/{{idA}}", retrieve_test("A")),
            req("GET B by id", "GET", PI + "/{{idB}}", retrieve_test("B")),
            req(
                "GET C by id (request carries Content-Type and a body)",
                "GET",
                PI + "/{{idC}}",
                retrieve_test("C"),
                body="{}",
            ),
            req("GET D by id", "GET", PI + "/{{idD}}", retrieve_test("D")),
            req(
                "GET F by id -> the whole interaction behind the fields=reason answer",
                "GET",
                PI + "/{{idF}}",
                r"""
expectStatus(200);
const b = json();
expectSchema(b, 'PartyInteraction');
expectValues(b, JSON.parse(V('expectF')));
pm.test('id, href, @type, reason equal the POST answer', () =>
  pm.expect({ id: b.id, href: b.href, '@type': b['@type'], reason: b.reason }).to.eql(JSON.parse(V('createdF'))));
""",
            ),
            req(
                "GET E (made on v4) on v5 -> the v5 form of the same interaction",
                "GET",
                PI + "/{{idE}}",
                r"""
expectStatus(200);
const b = json();
expectSchema(b, 'PartyInteraction');
pm.test('same id; href under the v5 root', () => {
  pm.expect(b.id).to.equal(ID('E'));
  pm.expect(pathOf(b.href)).to.equal(pathOf(root5()) + 'partyInteraction/' + ID('E'));
});
expectValues(b, JSON.parse(V('expect5E')), 'v5 view of the v4 values');
const made = JSON.parse(V('created4E'));
pm.test('creationDate and statusChangeDate equal those of the v4 answer', () => {
  pm.expect(b.creationDate).to.equal(made.creationDate);
  pm.expect(b.statusChangeDate).to.equal(made.statusChangeDate);
});
pm.test('no v4 name in the v5 body', () => pm.expect(b).to.not.have.property('channel'));
pm.collectionVariables.set('created5E', JSON.stringify(b));
""",
            ),
            req(
                "GET A by id with fields=reason -> id, href, @type, reason",
                "GET",
                PI + "/{{idA}}?fields=reason",
                r"""
expectStatus(200);
const b = json();
expectKeys(b, ['id', 'href', '@type', 'reason'], 'body');
pm.test('values are those of A', () => {
  pm.expect(b.id).to.equal(ID('A'));
  pm.expect(b.href).to.equal(V('hrefA'));
  pm.expect(b['@type']).to.equal('PartyInteraction');
  pm.expect(b.reason).to.equal(V('reasonA'));
});
expectSchema(b, 'PartyInteraction');
""",
            ),
        ],
    )
)


# ------------------------------------------------------------------ 3 filters
def filt(name, query, names, total=None, extra=""):
    return req(
        name,
        "GET",
        PI + "?" + query,
        "const arr = expectV5List(%s, %d);\n%s"
        % (json.dumps(names), len(names) if total is None else total, extra),
    )


items.append(
    folder(
        "3 Filter (v5 names)",
        "Filters in v5 attribute names must really filter: exactly the expected items and X-Total-Count of the filter. Conditions on one array element (relatedParty id and role) hold on the same element.",
        [
            filt(
                "relatedChannel.channel.id=web-<tag> -> only A",
                "relatedChannel.channel.id=web-{{runTag}}",
                ["A"],
                extra="pm.test('the item is the full representation of A', () => pm.expect(arr[0]).to.eql(JSON.parse(V('createdA'))));\n",
            ),
            filt(
                "relatedChannel.channel.id=kiosk-<tag> -> C and D",
                "relatedChannel.channel.id=kiosk-{{runTag}}",
                ["C", "D"],
            ),
            filt(
                "relatedChannel.channel.id=shop-<tag> -> E (made on v4)",
                "relatedChannel.channel.id=shop-{{runTag}}",
                ["E"],
            ),
            filt(
                "relatedChannel.channel.id=web-<tag>,phone-<tag> (OR) -> A and B",
                "relatedChannel.channel.id=web-{{runTag}},phone-{{runTag}}",
                ["A", "B"],
            ),
            filt(
                "relatedParty.partyOrPartyRole.id=P & relatedParty.role=customer -> only A (in B, P is agent)",
                "relatedParty.partyOrPartyRole.id={{encP}}&relatedParty.role=customer",
                ["A"],
            ),
            filt(
                "relatedParty.partyOrPartyRole.id=P -> A and B",
                "relatedParty.partyOrPartyRole.id={{encP}}",
                ["A", "B"],
            ),
            filt(
                "relatedParty.partyOrPartyRole.id=P & relatedParty.role=agent -> only B",
                "relatedParty.partyOrPartyRole.id={{encP}}&relatedParty.role=agent",
                ["B"],
            ),
            filt(
                "relatedParty.partyOrPartyRole.id=Q & relatedParty.role=customer -> B and E",
                "relatedParty.partyOrPartyRole.id={{encQ}}&relatedParty.role=customer",
                ["B", "E"],
            ),
            filt(
                "relatedParty.partyOrPartyRole.id=Q & relatedParty.role=agent -> nothing",
                "relatedParty.partyOrPartyRole.id={{encQ}}&relatedParty.role=agent",
                [],
            ),
            filt(
                "relatedParty.partyOrPartyRole.@type=Individual & reason=A..E -> only A",
                "relatedParty.partyOrPartyRole.%40type=Individual&reason=" + ALL,
                ["A"],
            ),
            filt(
                "@type=PartyInteraction & reason=A..E -> A, B, C, E (not D)",
                "%40type=PartyInteraction&reason=" + ALL,
                ["A", "B", "C", "E"],
                extra="everyItemHas(arr, '@type', ['PartyInteraction']);\n",
            ),
            filt(
                "@type=TaggedInteraction & reason=A..E -> only D",
                "%40type=TaggedInteraction&reason=" + ALL,
                ["D"],
                extra="everyItemHas(arr, '@type', ['TaggedInteraction']);\n",
            ),
            filt(
                "externalIdentifier.id=CRM-<tag> -> only A",
                "externalIdentifier.id=CRM-{{runTag}}",
                ["A"],
            ),
            filt(
                "status=inProgress & reason=A..E -> only B",
                "status=inProgress&reason=" + ALL,
                ["B"],
                extra="everyItemHas(arr, 'status', ['inProgress']);\n",
            ),
            filt(
                "status=opened & reason=A..E -> A and E",
                "status=opened&reason=" + ALL,
                ["A", "E"],
            ),
            filt(
                "direction=outbound & reason=A..E -> only B",
                "direction=outbound&reason=" + ALL,
                ["B"],
                extra="everyItemHas(arr, 'direction', ['outbound']);\n",
            ),
            filt(
                "interactionDate.startDateTime.gte=2024-05-02T00:00:00Z & reason=A..E -> only B",
                "interactionDate.startDateTime.gte=2024-05-02T00%3A00%3A00Z&reason="
                + ALL,
                ["B"],
            ),
            filt(
                "interactionDate.startDateTime.lt=2024-05-02T00:00:00Z & reason=A..E -> only A",
                "interactionDate.startDateTime.lt=2024-05-02T00%3A00%3A00Z&reason="
                + ALL,
                ["A"],
            ),
            filt(
                "creationDate.lte=<A's creationDate> & reason=A..E -> only A",
                "creationDate.lte={{encCreationDateA}}&reason=" + ALL,
                ["A"],
            ),
            filt(
                "creationDate.gt=<C's creationDate> & reason=A..E -> D and E",
                "creationDate.gt={{encCreationDateC}}&reason=" + ALL,
                ["D", "E"],
            ),
            filt(
                "lastUpdate.gte=<A's lastUpdate> & id=A -> only A",
                "lastUpdate.gte={{encLastUpdateA}}&id={{idA}}",
                ["A"],
            ),
            filt("id=A -> only A", "id={{idA}}", ["A"]),
            filt(
                "AND: id=A & reason=B -> nothing",
                "id={{idA}}&reason={{encReasonB}}",
                [],
            ),
            filt(
                "reason=C (& + % = / percent-encoded) -> only C",
                "reason={{encReasonC}}",
                ["C"],
                extra="everyItemHas(arr, 'reason', [V('reasonC')]);\n",
            ),
            filt(
                "OR by comma: reason=A,B -> A and B",
                "reason={{encReasonA}},{{encReasonB}}",
                ["A", "B"],
            ),
            filt(
                "reason=<this run's unused value> -> nothing",
                "reason={{encReasonNoMatch}}",
                [],
            ),
        ],
    )
)

# ------------------------------------------------------------------ 4 fields
items.append(
    folder(
        "4 Attribute selection (fields=)",
        "fields= returns id, href, @type (v5 keeps @type) and the named attributes, nothing else.",
        [
            req(
                "fields=status & reason=A,B,C -> keys id, href, @type and status where set",
                "GET",
                PI + "?fields=status&reason=" + ABC,
                r"""
const arr = expectList(['A', 'B', 'C'], 3, true);
expectSchema(arr, 'PartyInteraction', 'every item', true);
const status = { A: 'opened', B: 'inProgress' };  // C was created without one
['A', 'B', 'C'].forEach((n, i) => {
  expectKeys(arr[i], ['id', 'href', '@type'].concat(status[n] ? ['status'] : []), n);
  pm.test(n + ': id, href, @type and status are its own', () => {
    pm.expect(arr[i].href).to.equal(V('href' + n));
    pm.expect(arr[i]['@type']).to.equal('PartyInteraction');
    pm.expect(arr[i].status).to.equal(status[n]);
  });
});
""",
            ),
            filt(
                "fields=none & reason=A,D -> id, href, @type; D keeps its @type with @baseType, @schemaLocation",
                "fields=none&reason={{encReasonA}},{{encReasonD}}",
                ["A", "D"],
                extra=r"""
const poly = ['@type', '@baseType', '@schemaLocation'];
arr.forEach((x) => {
  const n = x.id === ID('D') ? 'D' : 'A';
  expectKeys(x, n === 'D' ? ['id', 'href'].concat(poly) : ['id', 'href', '@type'], n);
  if (n === 'D') {
    const d = JSON.parse(V('payloadD'));
    pm.test('D: @baseType and @schemaLocation are its own', () => {
      pm.expect(x['@baseType']).to.equal(d['@baseType']);
      pm.expect(x['@schemaLocation']).to.equal(d['@schemaLocation']);
    });
  }
});
pm.test('@type of each is its own', () => {
  const byId = {};
  arr.forEach((x) => { byId[x.id] = x['@type']; });
  pm.expect(byId[ID('A')]).to.equal('PartyInteraction');
  pm.expect(byId[ID('D')]).to.equal('TaggedInteraction');
});
""",
            ),
            filt(
                "fields=relatedChannel,relatedParty,externalIdentifier,interactionItem & id=A -> structures whole",
                "fields=relatedChannel,relatedParty,externalIdentifier,interactionItem&id={{idA}}",
                ["A"],
                extra=r"""
expectKeys(arr[0], ['id', 'href', '@type', 'relatedChannel', 'relatedParty', 'externalIdentifier', 'interactionItem'], 'item');
const want = JSON.parse(V('expectA'));
['relatedChannel', 'relatedParty', 'externalIdentifier', 'interactionItem'].forEach((k) =>
  pm.test(k + ' equals what was created', () => pm.expect(arr[0][k]).to.eql(want[k])));
""",
            ),
            filt(
                "fields=relatedChannel.channel.name & id=A -> each object on the way keeps @type (and id)",
                "fields=relatedChannel.channel.name&id={{idA}}",
                ["A"],
                extra=r"""
expectKeys(arr[0], ['id', 'href', '@type', 'relatedChannel'], 'item');
expectSchema(arr, 'PartyInteraction', 'the item', true);
const want = JSON.parse(V('expectA')).relatedChannel.map((rc) => ({
  '@type': rc['@type'],
  channel: { '@type': rc.channel['@type'], id: rc.channel.id, name: rc.channel.name },
}));
pm.test('relatedChannel holds @type and channel {@type, id, name} only', () =>
  pm.expect(arr[0].relatedChannel).to.eql(want));
""",
            ),
            filt(
                "fields=interactionDate,lastUpdate & id=A -> keys id, href, @type, interactionDate, lastUpdate",
                "fields=interactionDate,lastUpdate&id={{idA}}",
                ["A"],
                extra=r"""
expectKeys(arr[0], ['id', 'href', '@type', 'interactionDate', 'lastUpdate'], 'item');
pm.test('values are those of A', () => {
  pm.expect(arr[0].interactionDate).to.eql(JSON.parse(V('expectA')).interactionDate);
  pm.expect(arr[0].lastUpdate).to.equal(JSON.parse(V('createdA')).lastUpdate);
});
""",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 5 paging
items.append(
    folder(
        "5 Paging, counts, order and Link",
        "The filter reason=A,B,C matches exactly 3 items; page through them, follow the Link header, sort.",
        [
            filt(
                "reason=A,B,C (no paging) -> A, B, C in creation order",
                "reason=" + ABC,
                ["A", "B", "C"],
                extra="",
            ),
            req(
                "limit=2 -> A, B; X-Total-Count 3; Link first, next, last and no prev",
                "GET",
                PI + "?reason=" + ABC + "&limit=2",
                r"""
const arr = expectList(['A', 'B'], 3, true);
expectSchema(arr, 'PartyInteraction', 'every item', true);
const l = links();
pm.test('Link has rel first, next and last, not prev', () => {
  pm.expect(l).to.include.keys('first', 'next', 'last');
  pm.expect(l).to.not.have.property('prev');
});
pm.test('every Link is this list under the v5 root', () =>
  Object.keys(l).forEach((r) => pm.expect(pathOf(l[r]).split('?')[0]).to.equal(pathOf(root5()) + 'partyInteraction')));
pm.test('next is offset=2&limit=2', () => {
  pm.expect(l.next).to.match(/[?&]offset=2(&|$)/);
  pm.expect(l.next).to.match(/[?&]limit=2(&|$)/);
});
pm.collectionVariables.set('page1', JSON.stringify(arr.map((x) => x.id)));
pm.collectionVariables.set('nextLink', l.next || '');
pm.collectionVariables.set('firstLink', l.first || '');
""",
            ),
            req(
                "follow Link next -> C; pages join to A, B, C; Link prev and no next",
                "GET",
                "{{nextLink}}",
                r"""
const arr = expectList(['C'], 3, true);
pm.test('page 1 + page 2 = A, B, C without gap or duplicate', () =>
  pm.expect(JSON.parse(V('page1') || '[]').concat(arr.map((x) => x.id))).to.eql(['A', 'B', 'C'].map(ID)));
const l = links();
pm.test('Link has rel first and prev, not next', () => {
  pm.expect(l).to.include.keys('first', 'prev');
  pm.expect(l).to.not.have.property('next');
});
pm.test('first is the first page', () => pm.expect(l.first).to.equal(V('firstLink')));
""",
                base="",
            ),
            req(
                "offset=1&limit=1 -> B; Link prev and next",
                "GET",
                PI + "?reason=" + ABC + "&offset=1&limit=1",
                r"""
expectList(['B'], 3, true);
const l = links();
pm.test('Link has rel prev and next', () => pm.expect(l).to.include.keys('prev', 'next'));
pm.test('prev is offset=0, next offset=2', () => {
  pm.expect(l.prev).to.match(/[?&]offset=0(&|$)/);
  pm.expect(l.next).to.match(/[?&]offset=2(&|$)/);
});
""",
            ),
            filt(
                "limit=0 -> [] with X-Total-Count 3",
                "reason=" + ABC + "&limit=0",
                [],
                3,
            ),
            filt(
                "offset=5 (past the end) -> [] with X-Total-Count 3",
                "reason=" + ABC + "&offset=5",
                [],
                3,
            ),
            req(
                "sort=reason -> B, C, A",
                "GET",
                PI + "?reason=" + ABC + "&sort=reason",
                "expectList(['B', 'C', 'A'], 3, true);\n",
            ),
            req(
                "sort=-reason&limit=2 -> A, C",
                "GET",
                PI + "?reason=" + ABC + "&sort=-reason&limit=2",
                "expectList(['A', 'C'], 3, true);\n",
            ),
            req(
                "sort=-creationDate -> C, B, A",
                "GET",
                PI + "?reason=" + ABC + "&sort=-creationDate",
                "expectList(['C', 'B', 'A'], 3, true);\n",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 6 patch
items.append(
    folder(
        "6 PATCH",
        "Merge patch, JSON Patch (RFC 6902, atomic) and JSON Patch Query change what they say and nothing else; direction is not patchable.",
        [
            req(
                "merge-patch+json: A status completed, new description",
                "PATCH",
                PI + "/{{idA}}",
                r"""
expectStatus(200);
expectJsonType();
const b = json();
const before = JSON.parse(V('createdA'));
expectSchema(b, 'PartyInteraction');
pm.test('status changed to completed', () => pm.expect(b.status).to.equal('completed'));
pm.test('description changed', () => pm.expect(b.description).to.equal(V('patchedDescription')));
pm.test('statusChangeDate is new, not before creationDate', () => {
  pm.expect(b.statusChangeDate).to.not.equal(before.statusChangeDate);
  pm.expect(Date.parse(b.statusChangeDate)).to.be.at.least(Date.parse(before.creationDate));
});
pm.test('lastUpdate moved forward', () => {
  pm.expect(b.lastUpdate).to.not.equal(before.lastUpdate);
  pm.expect(Date.parse(b.lastUpdate)).to.be.at.least(Date.parse(before.lastUpdate));
});
expectOnlyChanged(b, before, ['status', 'description', 'statusChangeDate', 'lastUpdate']);
pm.collectionVariables.set('patchedA', JSON.stringify(b));
""",
                body='{"status": "completed", "description": "{{patchedDescription}}"}',
                headers=MERGE,
            ),
            req(
                "merge-patch+json with fields=description -> id, href, @type, description",
                "PATCH",
                PI + "/{{idA}}?fields=description",
                r"""
expectStatus(200);
const b = json();
expectKeys(b, ['id', 'href', '@type', 'description'], 'body');
pm.test('values: A, the new description', () => {
  pm.expect(b.id).to.equal(ID('A'));
  pm.expect(b.href).to.equal(V('hrefA'));
  pm.expect(b['@type']).to.equal('PartyInteraction');
  pm.expect(b.description).to.equal(V('fieldsDescription'));
});
expectSchema(b, 'PartyInteraction');
""",
                body='{"description": "{{fieldsDescription}}"}',
                headers=MERGE,
            ),
            req(
                "GET A -> the fields=description patch was stored whole",
                "GET",
                PI + "/{{idA}}",
                r"""
expectStatus(200);
const b = json();
expectSchema(b, 'PartyInteraction');
pm.test('description is the second patch', () => pm.expect(b.description).to.equal(V('fieldsDescription')));
expectOnlyChanged(b, JSON.parse(V('patchedA')), ['description', 'lastUpdate']);
pm.collectionVariables.set('patchedA', JSON.stringify(b));
""",
            ),
            req(
                "json-patch+json: test, replace /status, add /note/- -> 200",
                "PATCH",
                PI + "/{{idA}}",
                r"""
expectStatus(200);
const b = json();
const before = JSON.parse(V('patchedA'));
expectSchema(b, 'PartyInteraction');
pm.test('status replaced', () => pm.expect(b.status).to.equal('inProgress'));
pm.test('note appended at the end', () =>
  pm.expect(b.note).to.eql(before.note.concat([{ '@type': 'Note', id: 'n2-' + V('runTag'), text: 'second contact' }])));
expectOnlyChanged(b, before, ['status', 'note', 'statusChangeDate', 'lastUpdate']);
pm.collectionVariables.set('patchedA', JSON.stringify(b));
""",
                body='[{"op": "test", "path": "/status", "value": "completed"}, {"op": "replace", "path": "/status", "value": "inProgress"}, {"op": "add", "path": "/note/-", "value": {"@type": "Note", "id": "n2-{{runTag}}", "text": "second contact"}}]',
                headers=JSON_PATCH,
            ),
            req(
                "json-patch+json: replace /description then a failing test -> 409, atomic",
                "PATCH",
                PI + "/{{idA}}",
                "expectV5Error(409);\n",
                body='[{"op": "replace", "path": "/description", "value": "must not be stored {{runTag}}"}, {"op": "test", "path": "/status", "value": "completed"}]',
                headers=JSON_PATCH,
            ),
            req(
                "GET A after the failed JSON Patch -> unchanged (not even lastUpdate)",
                "GET",
                PI + "/{{idA}}",
                r"""
expectStatus(200);
pm.test('whole representation equals the last accepted PATCH answer', () =>
  pm.expect(json()).to.eql(JSON.parse(V('patchedA'))));
""",
            ),
            req(
                "json-patch-query+json: remove /interactionItem?id=it2-<tag>, replace /note?id=n1-<tag>/text",
                "PATCH",
                PI + "/{{idA}}",
                r"""
expectStatus(200);
const b = json();
const before = JSON.parse(V('patchedA'));
expectSchema(b, 'PartyInteraction');
pm.test('interactionItem it2 removed, it1 kept as it was', () =>
  pm.expect(b.interactionItem).to.eql(before.interactionItem.filter((x) => x.id !== 'it2-' + V('runTag'))));
pm.test('interactionItem had it2 before', () => pm.expect(before.interactionItem.length).to.equal(2));
pm.test('note n1 text replaced, n2 untouched', () => {
  const want = JSON.parse(JSON.stringify(before.note));
  want[0].text = 'first contact, edited';
  pm.expect(b.note).to.eql(want);
});
expectOnlyChanged(b, before, ['interactionItem', 'note', 'lastUpdate']);
pm.collectionVariables.set('patchedA', JSON.stringify(b));
""",
                body='[{"op": "remove", "path": "/interactionItem?id=it2-{{runTag}}"}, {"op": "replace", "path": "/note?id=n1-{{runTag}}/text", "value": "first contact, edited"}]',
                headers=JSON_PATCH_QUERY,
            ),
            req(
                "json-patch-query+json selecting nothing -> 409, nothing changed",
                "PATCH",
                PI + "/{{idA}}",
                "expectV5Error(409);\n",
                body='[{"op": "replace", "path": "/description", "value": "must not be stored {{runTag}}"}, {"op": "remove", "path": "/interactionItem?id=no-such-item-{{runTag}}"}]',
                headers=JSON_PATCH_QUERY,
            ),
            req(
                "merge-patch direction=outbound -> 400 naming direction",
                "PATCH",
                PI + "/{{idA}}",
                "expectV5Error(400, 'direction');\n",
                body='{"direction": "outbound", "description": "must not be stored {{runTag}}"}',
                headers=MERGE,
            ),
            req(
                "json-patch replace /direction -> 400 naming direction",
                "PATCH",
                PI + "/{{idA}}",
                "expectV5Error(400, 'direction');\n",
                body='[{"op": "replace", "path": "/direction", "value": "outbound"}]',
                headers=JSON_PATCH,
            ),
            req(
                "PATCH with text/plain -> 415",
                "PATCH",
                PI + "/{{idA}}",
                "expectV5Error(415);\n",
                body='{"description": "must not be stored {{runTag}}"}',
                headers=TEXT,
            ),
            req(
                "GET A after the refused patches -> exactly the last accepted one",
                "GET",
                PI + "/{{idA}}",
                r"""
expectStatus(200);
const b = json();
pm.test('direction still inbound', () => pm.expect(b.direction).to.equal('inbound'));
pm.test('whole representation equals the last accepted PATCH answer', () =>
  pm.expect(b).to.eql(JSON.parse(V('patchedA'))));
""",
            ),
            req(
                "merge-patch of D (a subclass with @schemaLocation): status -> 200, still a TaggedInteraction",
                "PATCH",
                PI + "/{{idD}}",
                r"""
expectStatus(200);
const b = json();
const before = JSON.parse(V('createdD'));
expectSchema(b, 'PartyInteraction');
pm.test('status set; @type, @baseType and @schemaLocation kept', () => {
  pm.expect(b.status).to.equal('opened');
  ['@type', '@baseType', '@schemaLocation'].forEach((k) => pm.expect(b[k], k).to.equal(before[k]));
});
expectOnlyChanged(b, before, ['status', 'statusChangeDate', 'lastUpdate']);
pm.collectionVariables.set('createdD', JSON.stringify(b));
""",
                body='{"status": "opened"}',
                headers=MERGE,
            ),
            req(
                "merge-patch of D removing @schemaLocation -> 400 naming @type (the subclass needs it)",
                "PATCH",
                PI + "/{{idD}}",
                "expectV5Error(400, '@type');\n",
                body='{"@schemaLocation": null}',
                headers=MERGE,
            ),
            filt(
                "status=inProgress & reason=A..E -> A and B (filters see the patch)",
                "status=inProgress&reason=" + ALL,
                ["A", "B"],
            ),
            filt(
                "status=opened & reason=A..E -> D and E (A's old value gone)",
                "status=opened&reason=" + ALL,
                ["D", "E"],
            ),
        ],
    )
)

# ------------------------------------------------------------------ 7 cross-version
V4_VIEW_A = r"""
expectStatus(200);
const b = json();
const a = JSON.parse(V('patchedA'));
const t = V('runTag');
pm.test('same id; href under the v4 root', () => {
  pm.expect(b.id).to.equal(ID('A'));
  pm.expect(pathOf(b.href)).to.equal(pathOf(root4()) + 'partyInteraction/' + ID('A'));
});
pm.test('shared attributes equal the v5 view', () =>
  ['creationDate', 'description', 'direction', 'reason', 'status', 'statusChangeDate', 'interactionDate']
    .forEach((k) => pm.expect(b[k], k).to.eql(a[k])));
pm.test('channel is the v4 form of relatedChannel', () =>
  pm.expect(b.channel).to.eql([{ id: 'web-' + t, name: 'Web self-care', role: 'interactionChannel' }]));
pm.test('relatedParty is the v4 form (Individual as @referredType)', () =>
  pm.expect(b.relatedParty).to.eql([{ id: V('P'), role: 'customer', '@referredType': 'Individual' }]));
pm.test('interactionItem is the v4 form of what is left after the JSON Patch Query', () =>
  pm.expect(b.interactionItem).to.eql([{ id: 'it1-' + t, item: { id: 'INV-' + t, role: 'subject', '@referredType': 'CustomerBill' } }]));
pm.test('notes in v4 form (no @type)', () =>
  pm.expect(b.note).to.eql(a.note.map((n) => ({ id: n.id, text: n.text }))));
pm.test('no v5 attribute in the v4 body', () =>
  ['@type', 'relatedChannel', 'lastUpdate', 'externalIdentifier'].forEach((k) => pm.expect(b).to.not.have.property(k)));
"""

items.append(
    folder(
        "7 Across versions (one store)",
        "A (made on v5) is read, filtered and patched on v4 and the change is seen on v5; E (made on v4) is patched on v5 and v4; v5-only attributes survive v4 patches.",
        [
            v4req(
                "GET A on v4 -> the v4 form of the same interaction",
                "GET",
                PI + "/{{idA}}",
                V4_VIEW_A,
            ),
            v4req(
                "v4 filter channel.id=web-<tag> -> only A",
                "GET",
                PI + "?channel.id=web-{{runTag}}",
                "expectList(['A'], 1);\n",
            ),
            v4req(
                "v4 filter relatedParty.id=P & relatedParty.role=customer -> only A",
                "GET",
                PI + "?relatedParty.id={{encP}}&relatedParty.role=customer",
                "expectList(['A'], 1);\n",
            ),
            v4req(
                "v4 merge patch of A: status completed, description",
                "PATCH",
                PI + "/{{idA}}",
                r"""
expectStatus(200);
const b = json();
pm.test('status and description changed on v4', () => {
  pm.expect(b.status).to.equal('completed');
  pm.expect(b.description).to.equal(V('v4Description'));
});
pm.test('no v5 attribute in the v4 answer', () =>
  ['@type', 'relatedChannel', 'externalIdentifier'].forEach((k) => pm.expect(b).to.not.have.property(k)));
pm.collectionVariables.set('v4PatchedA', JSON.stringify(b));
""",
                body='{"status": "completed", "description": "{{v4Description}}"}',
                headers=MERGE,
            ),
            req(
                "GET A on v5 -> the v4 change, and every v5-only attribute kept",
                "GET",
                PI + "/{{idA}}",
                r"""
expectStatus(200);
const b = json();
const before = JSON.parse(V('patchedA'));
const v4 = JSON.parse(V('v4PatchedA'));
expectSchema(b, 'PartyInteraction');
pm.test('status and description are the v4 patch', () => {
  pm.expect(b.status).to.equal('completed');
  pm.expect(b.description).to.equal(V('v4Description'));
  pm.expect(b.statusChangeDate).to.equal(v4.statusChangeDate);
});
const want = JSON.parse(V('expectA'));
pm.test('externalIdentifier survives the v4 patch', () => pm.expect(b.externalIdentifier).to.eql(want.externalIdentifier));
pm.test('the Individual (givenName, familyName) survives the v4 patch', () => pm.expect(b.relatedParty).to.eql(want.relatedParty));
expectOnlyChanged(b, before, ['status', 'description', 'statusChangeDate', 'lastUpdate']);
""",
            ),
            req(
                "v5 merge patch of E (made on v4): status inProgress, add externalIdentifier",
                "PATCH",
                PI + "/{{idE}}",
                r"""
expectStatus(200);
const b = json();
const before = JSON.parse(V('created5E'));
expectSchema(b, 'PartyInteraction');
pm.test('status changed; externalIdentifier added', () => {
  pm.expect(b.status).to.equal('inProgress');
  pm.expect(b.externalIdentifier).to.eql([{ '@type': 'ExternalIdentifier', id: 'EXT-' + V('runTag') }]);
});
expectDateTime(b, 'lastUpdate');
expectOnlyChanged(b, before, ['status', 'statusChangeDate', 'externalIdentifier', 'lastUpdate']);
pm.collectionVariables.set('patched5E', JSON.stringify(b));
""",
                body='{"status": "inProgress", "externalIdentifier": [{"@type": "ExternalIdentifier", "id": "EXT-{{runTag}}"}]}',
                headers=MERGE,
            ),
            v4req(
                "GET E on v4 -> the v5 status change; no externalIdentifier",
                "GET",
                PI + "/{{idE}}",
                r"""
expectStatus(200);
const b = json();
const made = JSON.parse(V('created4E'));
pm.test('status is the v5 patch', () => pm.expect(b.status).to.equal('inProgress'));
pm.test('statusChangeDate equals the v5 answer', () =>
  pm.expect(b.statusChangeDate).to.equal(JSON.parse(V('patched5E')).statusChangeDate));
expectOnlyChanged(b, made, ['status', 'statusChangeDate']);
""",
            ),
            v4req(
                "v4 JSON Patch of E: add a note",
                "PATCH",
                PI + "/{{idE}}",
                r"""
expectStatus(200);
const b = json();
pm.test('note added on v4', () => pm.expect(b.note).to.eql([{ text: 'noted on v4 ' + V('runTag') }]));
pm.test('no externalIdentifier in the v4 answer', () => pm.expect(b).to.not.have.property('externalIdentifier'));
""",
                body='[{"op": "add", "path": "/note", "value": [{"text": "noted on v4 {{runTag}}"}]}]',
                headers=JSON_PATCH,
            ),
            req(
                "GET E on v5 -> the v4 note, and externalIdentifier kept",
                "GET",
                PI + "/{{idE}}",
                r"""
expectStatus(200);
const b = json();
expectSchema(b, 'PartyInteraction');
pm.test('note from v4, with the v5 @type', () =>
  pm.expect(b.note).to.eql([{ '@type': 'Note', text: 'noted on v4 ' + V('runTag') }]));
expectOnlyChanged(b, JSON.parse(V('patched5E')), ['note', 'lastUpdate'], 'everything else as the v5 patch left it, externalIdentifier included');
""",
            ),
            filt(
                "v5 filter externalIdentifier.id=EXT-<tag> -> only E",
                "externalIdentifier.id=EXT-{{runTag}}",
                ["E"],
            ),
            filt(
                "v5 filter relatedChannel.channel.id=shop-<tag> & status=inProgress -> only E",
                "relatedChannel.channel.id=shop-{{runTag}}&status=inProgress",
                ["E"],
            ),
            v4req(
                "v4 list reason=A..E -> A, B, C, D, E (made on either version) in creation order",
                "GET",
                PI + "?reason=" + ALL,
                r"""
const arr = expectList(['A', 'B', 'C', 'D', 'E'], 5, true);
pm.test('no item has a v5 attribute', () =>
  arr.forEach((x) => ['@type', 'relatedChannel'].forEach((k) => pm.expect(x).to.not.have.property(k))));
pm.test('every href is under the v4 root', () =>
  arr.forEach((x) => pm.expect(pathOf(x.href)).to.equal(pathOf(root4()) + 'partyInteraction/' + x.id)));
""",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 8 errors
MINIMAL_BAD = (
    '"direction": "inbound", "relatedChannel": [' + v5_channel("bad-{{runTag}}") + "]"
)
items.append(
    folder(
        "8 Bad input and errors",
        "v5 Error bodies (@type Error, valid against the OAS Error schema) naming what is wrong; nothing is stored by a refused POST.",
        [
            bad_post(
                "POST without @type -> 400 naming @type",
                '{"reason": "{{bad_noType}}", ' + MINIMAL_BAD + "}",
                400,
                "@type",
            ),
            bad_post(
                "POST without relatedChannel -> 400 naming relatedChannel",
                '{"@type": "PartyInteraction", "reason": "{{bad_noChannel}}", "direction": "inbound"}',
                400,
                "relatedChannel",
            ),
            bad_post(
                "POST without reason -> 400 naming reason",
                '{"@type": "PartyInteraction", "description": "{{bad_noReason}}", '
                + MINIMAL_BAD
                + "}",
                400,
                "reason",
            ),
            bad_post(
                "POST with a relatedChannel without role -> 400 naming role",
                '{"@type": "PartyInteraction", "reason": "{{bad_noRole}}", "direction": "inbound", '
                '"relatedChannel": [{"@type": "RelatedChannel", "channel": {"@type": "ChannelRef", "id": "bad-{{runTag}}"}}]}',
                400,
                "role",
            ),
            req(
                "POST @type NoSuchInteraction (no schema of the OAS, no @schemaLocation) -> 400 naming @type",
                "POST",
                PI,
                r"""
const b = expectV5Error(400, '@type');
pm.test('the message names the unknown type', () => pm.expect(String(b && b.message)).to.include('NoSuchInteraction'));
""",
                body='{"@type": "NoSuchInteraction", "reason": "{{bad_unknownType}}", '
                + MINIMAL_BAD
                + "}",
            ),
            bad_post(
                "POST with an unknown @type inside relatedChannel -> 400 naming @type",
                '{"@type": "PartyInteraction", "reason": "{{bad_nestedType}}", "direction": "inbound", '
                '"relatedChannel": [{"@type": "RelatedChannel", "role": "interactionChannel", "channel": {"@type": "NoSuchRef", "id": "bad-{{runTag}}"}}]}',
                400,
                "@type",
            ),
            bad_post(
                "POST with an id -> 400 naming id",
                '{"id": "client-{{runTag}}", "@type": "PartyInteraction", "reason": "{{bad_withId}}", '
                + MINIMAL_BAD
                + "}",
                400,
                "id",
            ),
            bad_post(
                "POST with Content-Type text/plain -> 415",
                '{"@type": "PartyInteraction", "reason": "{{bad_textPlain}}", '
                + MINIMAL_BAD
                + "}",
                415,
                None,
                headers=TEXT,
            ),
            filt(
                "the refused POSTs stored nothing",
                "reason={{encBadReasons}}",
                [],
            ),
            filt(
                "nothing stored on their channel either",
                "relatedChannel.channel.id=bad-{{runTag}}",
                [],
            ),
            req(
                "GET unknown id -> 404",
                "GET",
                PI + "/{{unknownId}}",
                "expectV5Error(404);\n",
            ),
            req(
                "PATCH unknown id -> 404",
                "PATCH",
                PI + "/{{unknownId}}",
                "expectV5Error(404);\n",
                body='{"status": "completed"}',
                headers=MERGE,
            ),
            req(
                "DELETE unknown id -> 404",
                "DELETE",
                PI + "/{{unknownId}}",
                "expectV5Error(404);\n",
            ),
            req(
                "GET ?limit=-1 -> 400 naming limit",
                "GET",
                PI + "?limit=-1",
                "expectV5Error(400, 'limit');\n",
            ),
            req(
                "GET ?offset=abc -> 400 naming offset",
                "GET",
                PI + "?offset=abc",
                "expectV5Error(400, 'offset');\n",
            ),
            req(
                "GET ?channel.id=... (a v4 name under v5) -> 400 naming channel.id",
                "GET",
                PI + "?channel.id=web-{{runTag}}",
                "expectV5Error(400, 'channel.id');\n",
            ),
            req(
                "PUT /partyInteraction -> 405 with Allow",
                "PUT",
                PI,
                r"""
expectV5Error(405);
pm.test('Allow header lists GET and POST, not PUT', () => {
  const allow = (pm.response.headers.get('Allow') || '').split(',').map((s) => s.trim().toUpperCase());
  pm.expect(allow).to.include.members(['GET', 'POST']);
  pm.expect(allow).to.not.include('PUT');
});
""",
                body="{}",
            ),
            req(
                "GET unknown path under v5 -> 404",
                "GET",
                "noSuchResource",
                "expectV5Error(404);\n",
            ),
            v4req(
                "GET unknown id on v4 -> 404, a v4 Error (no @type)",
                "GET",
                PI + "/{{unknownId}}",
                "expectV4Error(404);\n",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 9 delete
items.append(
    folder(
        "9 Delete (also the clean-up)",
        "DELETE on either version removes the interaction from both; deletes everything this run created.",
        [
            req(
                "DELETE A on v5 -> 204, empty body",
                "DELETE",
                PI + "/{{idA}}",
                r"""
expectStatus(204);
pm.test('no body', () => pm.expect(pm.response.text()).to.equal(''));
""",
            ),
            req(
                "GET A on v5 after delete -> 404",
                "GET",
                PI + "/{{idA}}",
                "expectV5Error(404);\n",
            ),
            v4req(
                "GET A on v4 after delete -> 404",
                "GET",
                PI + "/{{idA}}",
                "expectV4Error(404);\n",
            ),
            filt("list id=A after delete -> []", "id={{idA}}", []),
            req(
                "DELETE A again -> 404",
                "DELETE",
                PI + "/{{idA}}",
                "expectV5Error(404);\n",
            ),
            req(
                "DELETE E (made on v4) on v5 -> 204",
                "DELETE",
                PI + "/{{idE}}",
                "expectStatus(204);\n",
            ),
            v4req(
                "GET E on v4 after the v5 delete -> 404",
                "GET",
                PI + "/{{idE}}",
                "expectV4Error(404);\n",
            ),
            v4req(
                "DELETE B (made on v5) on v4 -> 204",
                "DELETE",
                PI + "/{{idB}}",
                "expectStatus(204);\n",
            ),
            req(
                "GET B on v5 after the v4 delete -> 404",
                "GET",
                PI + "/{{idB}}",
                "expectV5Error(404);\n",
            ),
            req("DELETE C -> 204", "DELETE", PI + "/{{idC}}", "expectStatus(204);\n"),
            req("DELETE D -> 204", "DELETE", PI + "/{{idD}}", "expectStatus(204);\n"),
            req("DELETE F -> 204", "DELETE", PI + "/{{idF}}", "expectStatus(204);\n"),
            filt(
                "v5 reason=A..F at the end -> []",
                "reason=" + ALL + ",{{encReasonF}}",
                [],
            ),
            v4req(
                "v4 reason=A..F at the end -> []",
                "GET",
                PI + "?reason=" + ALL + ",{{encReasonF}}",
                "expectList([], 0);\n",
            ),
        ],
    )
)

# ------------------------------------------------------------------ 10 hub
items.append(
    folder(
        "10 Hub",
        "POST /hub with a Hub_FVO answers a Hub entity valid against the OAS; GET and DELETE by id. Last, so that no event of this run is sent to it.",
        [
            req(
                "POST /hub (Hub_FVO) -> 201 Hub with Location",
                "POST",
                "hub",
                r"""
expectStatus(201);
expectJsonType();
const b = json();
expectCreated(b, 'hub', root5());
expectSchema(b, 'Hub');
pm.test('@type Hub; callback and query read back', () => {
  pm.expect(b['@type']).to.equal('Hub');
  pm.expect(b.callback).to.equal(V('callback'));
  pm.expect(b.query).to.equal('eventType=PartyInteractionCreateEvent');
});
pm.collectionVariables.set('hubId', b.id);
pm.collectionVariables.set('hubHref', b.href);
pm.collectionVariables.set('hub', JSON.stringify(b));
""",
                body='{"@type": "Hub", "callback": "{{callback}}", "query": "eventType=PartyInteractionCreateEvent"}',
            ),
            req(
                "GET /hub/{id} -> the registered Hub",
                "GET",
                "hub/{{hubId}}",
                r"""
expectStatus(200);
const b = json();
expectSchema(b, 'Hub');
pm.test('equals the POST answer', () => pm.expect(b).to.eql(JSON.parse(V('hub'))));
""",
            ),
            v4req(
                "GET the v5 hub under v4 -> 404 (each version has its own hub)",
                "GET",
                "hub/{{hubId}}",
                "expectV4Error(404);\n",
            ),
            req(
                "POST /hub without callback -> 400 naming callback",
                "POST",
                "hub",
                "expectV5Error(400, 'callback');\n",
                body='{"@type": "Hub", "query": "eventType=PartyInteractionCreateEvent"}',
            ),
            req(
                "POST /hub without @type -> 400 naming @type",
                "POST",
                "hub",
                "expectV5Error(400, '@type');\n",
                body='{"callback": "{{callback}}"}',
            ),
            req(
                "DELETE /hub/{id} -> 204, empty body",
                "DELETE",
                "hub/{{hubId}}",
                r"""
expectStatus(204);
pm.test('no body', () => pm.expect(pm.response.text()).to.equal(''));
""",
            ),
            req(
                "GET /hub/{id} after delete -> 404",
                "GET",
                "hub/{{hubId}}",
                "expectV5Error(404);\n",
            ),
            req(
                "DELETE /hub/{id} again -> 404",
                "DELETE",
                "hub/{{hubId}}",
                "expectV5Error(404);\n",
            ),
        ],
    )
)

write(
    collection(
        key="tmf683-v5-conformance",
        name="tmf683 conformance (TMF683 Party Interaction Management v5)",
        description="tmf683's own conformance checks for TMF683 v5 served beside v4 over one store: every response against the OAS schemas (converted to draft-07 at build time), values read back exactly, filters in v5 names that really filter, fields=, counts, paging and Link, merge patch, JSON Patch, JSON Patch Query, the hub, bad input, and the same interactions read, filtered and patched across versions. Set Party_Interaction to the v5 API root and Party_Interaction_v4 to the v4 root, each with a trailing slash. Every run uses fresh, run-tagged data and deletes it at the end. See tests/conformance/README.md.",
        library=LIBRARY,
        variables=[
            {
                "key": "Party_Interaction",
                "value": "http://localhost:8683/tmf-api/partyInteractionManagement/v5/",
            },
            {
                "key": "Party_Interaction_v4",
                "value": "http://localhost:8683/tmf-api/partyInteraction/v4/",
            },
            {"key": "tmfHelpers", "value": ""},
            {"key": "runTag", "value": ""},
            {
                "key": "oasDefinitions",
                "value": json.dumps(DEFINITIONS, sort_keys=True, separators=(",", ":")),
            },
            {
                "key": "oasSchemaNames",
                "value": json.dumps(SCHEMA_NAMES, separators=(",", ":")),
            },
        ],
        items=items,
    ),
    OUT,
)
