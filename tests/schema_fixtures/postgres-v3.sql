--
-- PostgreSQL database dump
--

\restrict BvueJe4Yg3U2uvxUjNUwNhwh7fwgO4SmysjkofkDNxgpp2XbuXl8SEk3n3xgJFc

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: event_delivery; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.event_delivery (
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    subscription_id text NOT NULL,
    callback text NOT NULL,
    event json NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at double precision DEFAULT 0 NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    last_error text
);


--
-- Name: event_delivery_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.event_delivery ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.event_delivery_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: event_subscription; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.event_subscription (
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    document jsonb NOT NULL
);


--
-- Name: event_subscription_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.event_subscription ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.event_subscription_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: party_interaction; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.party_interaction (
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    document jsonb NOT NULL,
    status text GENERATED ALWAYS AS ((
CASE
    WHEN (jsonb_typeof((document -> 'status'::text)) = 'string'::text) THEN ((document -> 'status'::text) #>> '{}'::text[])
    ELSE NULL::text
END COLLATE "C")) STORED COLLATE pg_catalog."C",
    direction text GENERATED ALWAYS AS ((
CASE
    WHEN (jsonb_typeof((document -> 'direction'::text)) = 'string'::text) THEN ((document -> 'direction'::text) #>> '{}'::text[])
    ELSE NULL::text
END COLLATE "C")) STORED COLLATE pg_catalog."C",
    creation_date text GENERATED ALWAYS AS ((
CASE
    WHEN (jsonb_typeof((document -> 'creationDate'::text)) = 'string'::text) THEN ((document -> 'creationDate'::text) #>> '{}'::text[])
    ELSE NULL::text
END COLLATE "C")) STORED COLLATE pg_catalog."C",
    status_change_date text GENERATED ALWAYS AS ((
CASE
    WHEN (jsonb_typeof((document -> 'statusChangeDate'::text)) = 'string'::text) THEN ((document -> 'statusChangeDate'::text) #>> '{}'::text[])
    ELSE NULL::text
END COLLATE "C")) STORED COLLATE pg_catalog."C",
    interaction_start text GENERATED ALWAYS AS ((
CASE
    WHEN (jsonb_typeof(((document -> 'interactionDate'::text) -> 'startDateTime'::text)) = 'string'::text) THEN (((document -> 'interactionDate'::text) -> 'startDateTime'::text) #>> '{}'::text[])
    ELSE NULL::text
END COLLATE "C")) STORED COLLATE pg_catalog."C",
    interaction_end text GENERATED ALWAYS AS ((
CASE
    WHEN (jsonb_typeof(((document -> 'interactionDate'::text) -> 'endDateTime'::text)) = 'string'::text) THEN (((document -> 'interactionDate'::text) -> 'endDateTime'::text) #>> '{}'::text[])
    ELSE NULL::text
END COLLATE "C")) STORED COLLATE pg_catalog."C",
    version bigint DEFAULT 1 NOT NULL
);


--
-- Name: party_interaction_reference; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.party_interaction_reference (
    path smallint NOT NULL,
    value text NOT NULL COLLATE pg_catalog."C",
    seq bigint NOT NULL
);


--
-- Name: party_interaction_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.party_interaction ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.party_interaction_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: tmf683_schema; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tmf683_schema (
    version integer
);


--
-- Data for Name: event_delivery; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.event_delivery (seq, id, subscription_id, callback, event, attempts, next_attempt_at, state, last_error) FROM stdin;
1	D1	S1	http://h/1	{"eventId": "E1", "eventType": "PartyInteractionCreateEvent"}	0	1.5	pending	\N
\.


--
-- Data for Name: event_subscription; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.event_subscription (seq, id, document) FROM stdin;
1	S1	{"id": "S1", "query": "", "callback": "http://h/1"}
2	S2	{"id": "S2", "query": "status=open", "callback": "http://h/2"}
\.


--
-- Data for Name: party_interaction; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.party_interaction (seq, id, document, version) FROM stdin;
1	F00	{"id": "F00", "note": [{"date": "2024-03-01T00:00:00.000000Z", "text": "long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text 0", "author": "beta"}], "@type": "PartyInteraction", "x-ext": -3, "reason": "Émile", "status": "closed", "channel": [{"id": "C0", "name": "delta"}], "direction": "inbound", "attachment": [{"name": "file-0.pdf", "size": {"units": "KB", "amount": 0.0}}], "x-priority": 0, "description": "日本", "creationDate": "2024-01-01T10:00:00.000000Z", "relatedParty": [{"id": "P0", "name": "gamma", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-01T09:00:00.000000Z", "startDateTime": "2024-02-01T08:00:00.000000Z"}, "interactionItem": [{"id": "I0", "reason": "a,b", "attachment": [{"size": {"amount": 9007199254740993}}], "relatedParty": [{"id": "P0", "role": "customer"}]}]}	1
4	F03	{"id": "F03", "note": [{"date": "2024-03-04T00:00:00.000000Z", "text": "a,b", "author": "gamma"}], "@type": "PartyInteraction", "x-ext": true, "reason": "", "status": "inProgress", "channel": [{"id": "C3", "name": "alpha"}], "direction": "inbound", "attachment": [{"name": "file-3.pdf", "size": {"units": "KB", "amount": 9007199254740993}}], "creationDate": "2024-01-04T10:00:00.000000Z", "relatedParty": [{"id": "P3", "name": "日本", "role": "customer"}, {"id": "P4", "name": "a,b", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-04T09:03:00.000000Z", "startDateTime": "2024-02-04T08:00:00.000000Z"}}	1
5	F04	{"id": "F04", "note": [{"date": "2024-03-05T00:00:00.000000Z", "text": "alpha", "author": "beta"}], "@type": "PartyInteraction", "reason": "", "status": "inProgress", "channel": [{"id": "C0", "name": "a,b"}], "direction": "inbound", "attachment": [{"name": "file-4.pdf", "size": {"units": "KB", "amount": 0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004940656458412465441765687928682213723650598026143247644255856825006755072702087518652998363616359923797965646954457177309266567103559397963987747960107818781263007131903114045278458171678489821036887186360569987307230500063874091535649843873124733972731696151400317153853980741262385655911710266585566867681870395603106249319452715914924553293054565444011274801297099995419319894090804165633245247571478690147267801593552386115501348035264934720193790268107107491703332226844753335720832431936092382893458368060106011506169809753078342277318329247904982524730776375927247874656084778203734469699533647017972677717585125660551199131504891101451037862738167250955837389733598993664809941164205702637090279242767544565229087538682506419718265533447265625}}], "x-priority": 4, "description": "zoë", "creationDate": "2024-01-05T10:00:00.000000Z", "relatedParty": [{"id": "P4", "name": "beta", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-05T09:04:00.000000Z", "startDateTime": "2024-02-05T08:00:00.000000Z"}}	1
6	F05	{"id": "F05", "note": [{"date": "2024-03-06T00:00:00.000000Z", "text": "日本", "author": "a,b"}], "@type": "PartyInteraction", "reason": "gamma", "status": "inProgress", "channel": [{"id": "C1", "name": "gamma"}], "direction": "inbound", "attachment": [{"name": "file-0.pdf", "size": {"units": "KB", "amount": 9007199254740992.0}}], "creationDate": "2024-01-06T10:00:00.000000Z", "relatedParty": [{"id": "P5", "name": "日本", "role": "customer"}, {"id": "P6", "name": "日本", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-06T09:05:00.000000Z", "startDateTime": "2024-02-06T08:00:00.000000Z"}, "interactionItem": [{"id": "I5", "reason": "", "attachment": [{"size": {"amount": 4611686018427387904}}], "relatedParty": [{"id": "P2", "role": "customer"}]}]}	1
7	F06	{"id": "F06", "note": [{"date": "2024-03-07T00:00:00.000000Z", "text": "a,b", "author": ""}], "@type": "PartyInteraction", "x-ext": "delta", "reason": "beta", "status": "inProgress", "channel": [{"id": "C2", "name": "alpha"}], "direction": "outbound", "attachment": [{"name": "file-1.pdf", "size": {"units": "KB", "amount": -3}}], "creationDate": "2024-01-07T10:00:00.000000Z", "relatedParty": [{"id": "P6", "name": "delta", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-07T09:06:00.000000Z", "startDateTime": "2024-02-07T08:00:00.000000Z"}}	1
3	F02	{"id": "F02", "note": [{"date": "2024-03-03T00:00:00.000000Z", "text": "delta", "author": "beta"}], "@type": "PartyInteraction", "x-rev": 3, "reason": "changed 3", "status": "inProgress", "channel": [{"id": "C2", "name": "zoë"}], "direction": "inbound", "attachment": [{"name": "file-2.pdf", "size": {"units": "KB", "amount": 7}}], "creationDate": "2024-01-03T10:00:00.000000Z", "relatedParty": [{"id": "P2", "name": "beta", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-03T09:02:00.000000Z", "startDateTime": "2024-02-03T08:00:00.000000Z"}}	3
8	F07	{"id": "F07", "note": [{"date": "2024-03-08T00:00:00.000000Z", "text": "beta", "author": "Émile"}], "@type": "PartyInteraction", "reason": "alpha", "status": "inProgress", "channel": [{"id": "C3", "name": "beta"}], "direction": "inbound", "attachment": [{"name": "file-2.pdf", "size": {"units": "KB", "amount": 4611686018427387904}}], "creationDate": "2024-01-08T10:00:00.000000Z", "relatedParty": [{"id": "P0", "name": "gamma", "role": "customer"}, {"id": "P1", "name": "a,b", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-08T09:07:00.000000Z", "startDateTime": "2024-02-08T08:00:00.000000Z"}}	1
9	F08	{"id": "F08", "note": [{"date": "2024-03-09T00:00:00.000000Z", "text": "beta", "author": "alpha"}], "@type": "PartyInteraction", "reason": "beta", "status": "open", "channel": [{"id": "C0", "name": "gamma"}], "direction": "outbound", "attachment": [{"name": "file-3.pdf", "size": {"units": "KB", "amount": 4611686018427387904}}], "x-priority": 3, "description": "gamma", "creationDate": "2024-01-09T10:00:00.000000Z", "relatedParty": [{"id": "P1", "name": "zoë", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-09T09:08:00.000000Z", "startDateTime": "2024-02-09T08:00:00.000000Z"}}	1
10	F09	{"id": "F09", "note": [{"date": "2024-03-10T00:00:00.000000Z", "text": "long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text 9", "author": "delta"}], "@type": "PartyInteraction", "x-ext": "gamma", "reason": "", "status": "inProgress", "channel": [{"id": "C1", "name": "delta"}], "direction": "outbound", "attachment": [{"name": "file-4.pdf", "size": {"units": "KB", "amount": 9007199254740992.0}}], "creationDate": "2024-01-10T10:00:00.000000Z", "relatedParty": [{"id": "P2", "name": "zoë", "role": "customer"}, {"id": "P3", "name": "gamma", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-10T09:09:00.000000Z", "startDateTime": "2024-02-10T08:00:00.000000Z"}}	1
11	F10	{"id": "F10", "note": [{"date": "2024-03-11T00:00:00.000000Z", "text": "beta", "author": "delta"}], "@type": "PartyInteraction", "reason": "delta", "status": "inProgress", "channel": [{"id": "C2", "name": "delta"}], "direction": "inbound", "attachment": [{"name": "file-0.pdf", "size": {"units": "KB", "amount": -3}}], "creationDate": "2024-01-11T10:00:00.000000Z", "relatedParty": [{"id": "P3", "name": "beta", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-11T09:10:00.000000Z", "startDateTime": "2024-02-11T08:00:00.000000Z"}, "interactionItem": [{"id": "I10", "reason": "a,b", "attachment": [{"size": {"amount": 9007199254740993}}], "relatedParty": [{"id": "P1", "role": "customer"}]}]}	1
12	F11	{"id": "F11", "note": [{"date": "2024-03-12T00:00:00.000000Z", "text": "alpha", "author": ""}], "@type": "PartyInteraction", "reason": "日本", "status": "inProgress", "channel": [{"id": "C3", "name": "alpha"}], "direction": "inbound", "attachment": [{"name": "file-1.pdf", "size": {"units": "KB", "amount": 7}}], "creationDate": "2024-01-12T10:00:00.000000Z", "relatedParty": [{"id": "P4", "name": "beta", "role": "customer"}, {"id": "P5", "name": "beta", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-12T09:11:00.000000Z", "startDateTime": "2024-02-12T08:00:00.000000Z"}}	1
13	F12	{"id": "F12", "note": [{"date": "2024-03-13T00:00:00.000000Z", "text": "gamma", "author": ""}], "@type": "PartyInteraction", "x-ext": "beta", "reason": "zoë", "status": "open", "channel": [{"id": "C0", "name": "a,b"}], "direction": "outbound", "attachment": [{"name": "file-2.pdf", "size": {"units": "KB", "amount": 9007199254740992.0}}], "x-priority": 2, "description": "gamma", "creationDate": "2024-01-13T10:00:00.000000Z", "relatedParty": [{"id": "P5", "name": "zoë", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-13T09:12:00.000000Z", "startDateTime": "2024-02-13T08:00:00.000000Z"}}	1
14	F13	{"id": "F13", "note": [{"date": "2024-03-14T00:00:00.000000Z", "text": "a,b", "author": "delta"}], "@type": "PartyInteraction", "reason": "日本", "status": "closed", "channel": [{"id": "C1", "name": "beta"}], "direction": "outbound", "attachment": [{"name": "file-3.pdf", "size": {"units": "KB", "amount": 9007199254740993}}], "creationDate": "2024-01-14T10:00:00.000000Z", "relatedParty": [{"id": "P6", "name": "gamma", "role": "customer"}, {"id": "P0", "name": "a,b", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-14T09:13:00.000000Z", "startDateTime": "2024-02-14T08:00:00.000000Z"}}	1
15	F14	{"id": "F14", "note": [{"date": "2024-03-15T00:00:00.000000Z", "text": "delta", "author": ""}], "@type": "PartyInteraction", "reason": "zoë", "status": "open", "channel": [{"id": "C2", "name": "Émile"}], "direction": "outbound", "attachment": [{"name": "file-4.pdf", "size": {"units": "KB", "amount": 0.1000000000000000055511151231257827021181583404541015625}}], "creationDate": "2024-01-15T10:00:00.000000Z", "relatedParty": [{"id": "P0", "name": "a,b", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-15T09:14:00.000000Z", "startDateTime": "2024-02-15T08:00:00.000000Z"}}	1
16	F15	{"id": "F15", "note": [{"date": "2024-03-16T00:00:00.000000Z", "text": "delta", "author": "beta"}], "@type": "PartyInteraction", "x-ext": 0.0, "reason": "delta", "status": "closed", "channel": [{"id": "C3", "name": "gamma"}], "direction": "outbound", "attachment": [{"name": "file-0.pdf", "size": {"units": "KB", "amount": 4611686018427387904}}], "creationDate": "2024-01-16T10:00:00.000000Z", "relatedParty": [{"id": "P1", "name": "a,b", "role": "customer"}, {"id": "P2", "name": "日本", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-16T09:15:00.000000Z", "startDateTime": "2024-02-16T08:00:00.000000Z"}, "interactionItem": [{"id": "I15", "reason": "a,b", "attachment": [{"size": {"amount": 0}}], "relatedParty": [{"id": "P0", "role": "customer"}]}]}	1
17	F16	{"id": "F16", "note": [{"date": "2024-03-17T00:00:00.000000Z", "text": "beta", "author": "Émile"}], "@type": "PartyInteraction", "reason": "", "status": "inProgress", "channel": [{"id": "C0", "name": ""}], "direction": "outbound", "attachment": [{"name": "file-1.pdf", "size": {"units": "KB", "amount": 1}}], "x-priority": 1, "description": "beta", "creationDate": "2024-01-17T10:00:00.000000Z", "relatedParty": [{"id": "P2", "name": "", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-17T09:16:00.000000Z", "startDateTime": "2024-02-17T08:00:00.000000Z"}}	1
18	F17	{"id": "F17", "note": [{"date": "2024-03-18T00:00:00.000000Z", "text": "日本", "author": "日本"}], "@type": "PartyInteraction", "reason": "alpha", "status": "open", "channel": [{"id": "C1", "name": "日本"}], "direction": "outbound", "attachment": [{"name": "file-2.pdf", "size": {"units": "KB", "amount": 9007199254740992.0}}], "creationDate": "2024-01-18T10:00:00.000000Z", "relatedParty": [{"id": "P3", "name": "beta", "role": "customer"}, {"id": "P4", "name": "日本", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-18T09:17:00.000000Z", "startDateTime": "2024-02-18T08:00:00.000000Z"}}	1
19	F18	{"id": "F18", "note": [{"date": "2024-03-19T00:00:00.000000Z", "text": "long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text 18", "author": ""}], "@type": "PartyInteraction", "x-ext": "a,b", "reason": "zoë", "status": "open", "channel": [{"id": "C2", "name": "a,b"}], "direction": "inbound", "attachment": [{"name": "file-3.pdf", "size": {"units": "KB", "amount": 0.0}}], "creationDate": "2024-01-19T10:00:00.000000Z", "relatedParty": [{"id": "P4", "name": "日本", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-19T09:18:00.000000Z", "startDateTime": "2024-02-19T08:00:00.000000Z"}}	1
20	F19	{"id": "F19", "note": [{"date": "2024-03-20T00:00:00.000000Z", "text": "", "author": "delta"}], "@type": "PartyInteraction", "reason": "", "status": "inProgress", "channel": [{"id": "C3", "name": "Émile"}], "direction": "outbound", "attachment": [{"name": "file-4.pdf", "size": {"units": "KB", "amount": 0}}], "creationDate": "2024-01-20T10:00:00.000000Z", "relatedParty": [{"id": "P5", "name": "Émile", "role": "customer"}, {"id": "P6", "name": "zoë", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-20T09:19:00.000000Z", "startDateTime": "2024-02-20T08:00:00.000000Z"}}	1
21	F20	{"id": "F20", "note": [{"date": "2024-03-21T00:00:00.000000Z", "text": "beta", "author": "zoë"}], "@type": "PartyInteraction", "reason": "gamma", "status": "closed", "channel": [{"id": "C0", "name": "gamma"}], "direction": "outbound", "attachment": [{"name": "file-0.pdf", "size": {"units": "KB", "amount": 4611686018427387904}}], "x-priority": 0, "description": "delta", "creationDate": "2024-01-21T10:00:00.000000Z", "relatedParty": [{"id": "P6", "name": "日本", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-21T09:20:00.000000Z", "startDateTime": "2024-02-21T08:00:00.000000Z"}, "interactionItem": [{"id": "I20", "reason": "", "attachment": [{"size": {"amount": -3}}], "relatedParty": [{"id": "P2", "role": "customer"}]}]}	1
22	F21	{"id": "F21", "note": [{"date": "2024-03-22T00:00:00.000000Z", "text": "", "author": "gamma"}], "@type": "PartyInteraction", "x-ext": "", "reason": "alpha", "status": "inProgress", "channel": [{"id": "C1", "name": "beta"}], "direction": "outbound", "attachment": [{"name": "file-1.pdf", "size": {"units": "KB", "amount": 7}}], "creationDate": "2024-01-22T10:00:00.000000Z", "relatedParty": [{"id": "P0", "name": "日本", "role": "customer"}, {"id": "P1", "name": "", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-22T09:21:00.000000Z", "startDateTime": "2024-02-22T08:00:00.000000Z"}}	1
23	F22	{"id": "F22", "note": [{"date": "2024-03-23T00:00:00.000000Z", "text": "alpha", "author": "delta"}], "@type": "PartyInteraction", "reason": "Émile", "status": "inProgress", "channel": [{"id": "C2", "name": "beta"}], "direction": "outbound", "attachment": [{"name": "file-2.pdf", "size": {"units": "KB", "amount": 1000000000000000019884624838656.0}}], "creationDate": "2024-01-23T10:00:00.000000Z", "relatedParty": [{"id": "P1", "name": "zoë", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-23T09:22:00.000000Z", "startDateTime": "2024-02-23T08:00:00.000000Z"}}	1
24	F23	{"id": "F23", "note": [{"date": "2024-03-24T00:00:00.000000Z", "text": "delta", "author": "delta"}], "@type": "PartyInteraction", "reason": "delta", "status": "closed", "channel": [{"id": "C3", "name": "delta"}], "direction": "outbound", "attachment": [{"name": "file-3.pdf", "size": {"units": "KB", "amount": 0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004940656458412465441765687928682213723650598026143247644255856825006755072702087518652998363616359923797965646954457177309266567103559397963987747960107818781263007131903114045278458171678489821036887186360569987307230500063874091535649843873124733972731696151400317153853980741262385655911710266585566867681870395603106249319452715914924553293054565444011274801297099995419319894090804165633245247571478690147267801593552386115501348035264934720193790268107107491703332226844753335720832431936092382893458368060106011506169809753078342277318329247904982524730776375927247874656084778203734469699533647017972677717585125660551199131504891101451037862738167250955837389733598993664809941164205702637090279242767544565229087538682506419718265533447265625}}], "creationDate": "2024-01-24T10:00:00.000000Z", "relatedParty": [{"id": "P2", "name": "Émile", "role": "customer"}, {"id": "P3", "name": "beta", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-24T09:23:00.000000Z", "startDateTime": "2024-02-24T08:00:00.000000Z"}}	1
25	F24	{"id": "F24", "note": [{"date": "2024-03-25T00:00:00.000000Z", "text": "gamma", "author": "日本"}], "@type": "PartyInteraction", "x-ext": {"a": 1}, "reason": "delta", "status": "inProgress", "channel": [{"id": "C0", "name": "gamma"}], "direction": "outbound", "attachment": [{"name": "file-4.pdf", "size": {"units": "KB", "amount": 0.0}}], "x-priority": 4, "description": "zoë", "creationDate": "2024-01-25T10:00:00.000000Z", "relatedParty": [{"id": "P3", "name": "Émile", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-25T09:24:00.000000Z", "startDateTime": "2024-02-25T08:00:00.000000Z"}}	1
26	F25	{"id": "F25", "note": [{"date": "2024-03-26T00:00:00.000000Z", "text": "", "author": "a,b"}], "@type": "PartyInteraction", "reason": "a,b", "status": "inProgress", "channel": [{"id": "C1", "name": "alpha"}], "direction": "inbound", "attachment": [{"name": "file-0.pdf", "size": {"units": "KB", "amount": 0.1000000000000000055511151231257827021181583404541015625}}], "creationDate": "2024-01-26T10:00:00.000000Z", "relatedParty": [{"id": "P4", "name": "Émile", "role": "customer"}, {"id": "P5", "name": "日本", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-26T09:25:00.000000Z", "startDateTime": "2024-02-26T08:00:00.000000Z"}, "interactionItem": [{"id": "I25", "reason": "gamma", "attachment": [{"size": {"amount": 0.0}}], "relatedParty": [{"id": "P1", "role": "customer"}]}]}	1
27	F26	{"id": "F26", "note": [{"date": "2024-03-27T00:00:00.000000Z", "text": "日本", "author": "a,b"}], "@type": "PartyInteraction", "reason": "Émile", "status": "closed", "channel": [{"id": "C2", "name": "日本"}], "direction": "inbound", "attachment": [{"name": "file-1.pdf", "size": {"units": "KB", "amount": 1}}], "creationDate": "2024-01-27T10:00:00.000000Z", "relatedParty": [{"id": "P5", "name": "alpha", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-27T09:26:00.000000Z", "startDateTime": "2024-02-27T08:00:00.000000Z"}}	1
28	F27	{"id": "F27", "note": [{"date": "2024-03-28T00:00:00.000000Z", "text": "long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text long text 27", "author": "delta"}], "@type": "PartyInteraction", "x-ext": "beta", "reason": "beta", "status": "open", "channel": [{"id": "C3", "name": "delta"}], "direction": "inbound", "attachment": [{"name": "file-2.pdf", "size": {"units": "KB", "amount": 1}}], "creationDate": "2024-01-28T10:00:00.000000Z", "relatedParty": [{"id": "P6", "name": "Émile", "role": "customer"}, {"id": "P0", "name": "Émile", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-28T09:27:00.000000Z", "startDateTime": "2024-02-28T08:00:00.000000Z"}}	1
29	F28	{"id": "F28", "note": [{"date": "2024-03-01T00:00:00.000000Z", "text": "日本", "author": "alpha"}], "@type": "PartyInteraction", "reason": "delta", "status": "open", "channel": [{"id": "C0", "name": "alpha"}], "direction": "inbound", "attachment": [{"name": "file-3.pdf", "size": {"units": "KB", "amount": 0.0}}], "x-priority": 3, "description": "delta", "creationDate": "2024-01-01T10:00:00.000000Z", "relatedParty": [{"id": "P0", "name": "gamma", "role": "customer"}], "interactionDate": {"endDateTime": "2024-02-01T09:28:00.000000Z", "startDateTime": "2024-02-01T08:00:00.000000Z"}}	1
2	F01	{"id": "F01", "note": [{"date": "2024-03-02T00:00:00.000000Z", "text": "a,b", "author": "beta"}], "@type": "PartyInteraction", "x-rev": 2, "reason": "changed 2", "status": "closed", "channel": [{"id": "C1", "name": "gamma"}], "direction": "inbound", "attachment": [{"name": "file-1.pdf", "size": {"units": "KB", "amount": 0.0}}], "creationDate": "2024-01-02T10:00:00.000000Z", "relatedParty": [{"id": "P1", "name": "a,b", "role": "customer"}, {"id": "P2", "name": "delta", "role": "agent"}], "interactionDate": {"endDateTime": "2024-02-02T09:01:00.000000Z", "startDateTime": "2024-02-02T08:00:00.000000Z"}}	2
\.


--
-- Data for Name: party_interaction_reference; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.party_interaction_reference (path, value, seq) FROM stdin;
0	C0	1
1	P0	1
0	C3	4
1	P3	4
1	P4	4
0	C0	5
1	P4	5
0	C1	6
1	P5	6
1	P6	6
0	C2	7
1	P6	7
0	C3	8
1	P0	8
1	P1	8
0	C0	9
1	P1	9
0	C1	10
1	P2	10
1	P3	10
0	C2	11
1	P3	11
0	C3	12
1	P4	12
1	P5	12
0	C0	13
1	P5	13
0	C1	14
1	P6	14
1	P0	14
0	C2	15
1	P0	15
0	C3	16
1	P1	16
1	P2	16
0	C0	17
1	P2	17
0	C1	18
1	P3	18
1	P4	18
0	C2	19
1	P4	19
0	C3	20
1	P5	20
1	P6	20
0	C0	21
1	P6	21
0	C1	22
1	P0	22
1	P1	22
0	C2	23
1	P1	23
0	C3	24
1	P2	24
1	P3	24
0	C0	25
1	P3	25
0	C1	26
1	P4	26
1	P5	26
0	C2	27
1	P5	27
0	C3	28
1	P6	28
1	P0	28
0	C0	29
1	P0	29
0	C1	2
1	P1	2
1	P2	2
0	C2	3
1	P2	3
\.


--
-- Data for Name: tmf683_schema; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.tmf683_schema (version) FROM stdin;
3
\.


--
-- Name: event_delivery_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.event_delivery_seq_seq', 1, true);


--
-- Name: event_subscription_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.event_subscription_seq_seq', 2, true);


--
-- Name: party_interaction_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.party_interaction_seq_seq', 30, true);


--
-- Name: event_delivery event_delivery_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.event_delivery
    ADD CONSTRAINT event_delivery_id_key UNIQUE (id);


--
-- Name: event_delivery event_delivery_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.event_delivery
    ADD CONSTRAINT event_delivery_pkey PRIMARY KEY (seq);


--
-- Name: event_subscription event_subscription_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.event_subscription
    ADD CONSTRAINT event_subscription_id_key UNIQUE (id);


--
-- Name: event_subscription event_subscription_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.event_subscription
    ADD CONSTRAINT event_subscription_pkey PRIMARY KEY (seq);


--
-- Name: party_interaction party_interaction_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.party_interaction
    ADD CONSTRAINT party_interaction_id_key UNIQUE (id);


--
-- Name: party_interaction party_interaction_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.party_interaction
    ADD CONSTRAINT party_interaction_pkey PRIMARY KEY (seq);


--
-- Name: party_interaction_reference party_interaction_reference_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.party_interaction_reference
    ADD CONSTRAINT party_interaction_reference_pkey PRIMARY KEY (path, value, seq);


--
-- Name: event_delivery_failed_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX event_delivery_failed_idx ON public.event_delivery USING btree (callback, seq) WHERE (state = 'failed'::text);


--
-- Name: event_delivery_pending_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX event_delivery_pending_idx ON public.event_delivery USING btree (callback, seq) WHERE (state = 'pending'::text);


--
-- Name: event_delivery_subscription_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX event_delivery_subscription_idx ON public.event_delivery USING btree (subscription_id);


--
-- Name: party_interaction_creation_date_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX party_interaction_creation_date_idx ON public.party_interaction USING btree (creation_date NULLS FIRST);


--
-- Name: party_interaction_direction_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX party_interaction_direction_idx ON public.party_interaction USING btree (direction NULLS FIRST);


--
-- Name: party_interaction_interaction_start_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX party_interaction_interaction_start_idx ON public.party_interaction USING btree (interaction_start NULLS FIRST);


--
-- Name: party_interaction_reference_seq_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX party_interaction_reference_seq_idx ON public.party_interaction_reference USING btree (seq);


--
-- Name: party_interaction_status_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX party_interaction_status_idx ON public.party_interaction USING btree (status NULLS FIRST);


--
-- Name: party_interaction_reference party_interaction_reference_seq_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.party_interaction_reference
    ADD CONSTRAINT party_interaction_reference_seq_fkey FOREIGN KEY (seq) REFERENCES public.party_interaction(seq) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict BvueJe4Yg3U2uvxUjNUwNhwh7fwgO4SmysjkofkDNxgpp2XbuXl8SEk3n3xgJFc

