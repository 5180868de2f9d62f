"""Host names, addresses and HOST:PORT: the one reading the options and lists share."""

import ipaddress
import re

import pytest

from tmf683 import CallbackPolicy, parse_host_port
from tmf683._hosts import host_key, parse_host
from tmf683.events.callbacks import parse_allow_entry
from tmf683.events.envelopes import host_allowlist, validate_callback


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("crm.example.com", "crm.example.com"),
        ("CRM.Example.COM", "crm.example.com"),
        ("crm.example.com.", "crm.example.com"),  # the absolute form, same name
        ("localhost", "localhost"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),  # bücher.example
        ("a-b.c-d.example", "a-b.c-d.example"),
        ("3com.example", "3com.example"),  # labels may start with a digit
        ("a" * 63 + ".example", "a" * 63 + ".example"),
        (".".join(["a" * 63] * 3 + ["b" * 61]), ".".join(["a" * 63] * 3 + ["b" * 61])),
        ("10.0.0.7", "10.0.0.7"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
    ],
)
def test_host_names_and_addresses_are_read_in_the_form_they_compare_in(text, read):
    assert parse_host(text) == read


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "it is empty"),
        ("  ", "it is empty"),
        ("crm example.com", "it contains a space"),
        ("http://x/", "it is a URL; give the host alone"),
        ("x/path", "it has a path"),
        ("x?q", "it has a path"),
        ("user@x", "it carries user information"),
        ("x:80", "it has a port; give the host alone"),
        ("10.0.0.1:80", "it has a port"),
        ("[::1]:80", "its brackets do not hold an IPv6 address"),
        ("[10.0.0.1]", "its brackets do not hold an IPv6 address"),
        ("2001:db8::g", "it is not a valid IPv6 address"),
        ("*.example.com", "wildcards (*) are not supported; name each host"),
        ("bücher.example", "write an internationalised name in its xn-- (punycode)"),
        ("a_b.example", "its label 'a_b' holds a character other than letters"),
        ("-a.example", "its label '-a' starts or ends with '-'"),
        ("a-.example", "its label 'a-' starts or ends with '-'"),
        ("a..example", "it has an empty label"),
        (".example", "it has an empty label"),
        ("example..", "it has an empty label"),
        ("a" * 64 + ".example", "is longer than 63 characters"),
        (".".join(["a" * 63] * 4), "it is longer than 253 characters"),
        ("10.1", "it is not an IP address, and a host name does not end in digits"),
        ("256.0.0.1", "does not end in digits"),
        ("010.0.0.1", "does not end in digits"),  # no octal reading
    ],
)
def test_anything_else_is_refused_with_the_reason(text, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_host(text)


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("api.example.com", ("api.example.com", None)),
        ("API.example.com.:8443", ("api.example.com", 8443)),
        ("10.0.0.7:1", ("10.0.0.7", 1)),
        ("[::1]", ("::1", None)),
        ("[2001:DB8::1]:65535", ("2001:db8::1", 65535)),
    ],
)
def test_host_port_reads_an_optional_port(text, read):
    assert parse_host_port(text) == read


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("::1", "an IPv6 address goes in brackets, e.g. [::1] or [::1]:8080"),
        ("2001:db8::1:8080", "an IPv6 address goes in brackets"),
        ("[::1", "the '[' of its IPv6 address is not closed"),
        ("[::1]8080", "only a ':PORT' may follow the ']'"),
        ("[10.0.0.1]:80", "its brackets do not hold an IPv6 address"),
        ("x:", "its ':' is followed by no port"),
        ("x:0", "its port 0 is not between 1 and 65535"),
        ("x:65536", "its port 65536 is not between 1 and 65535"),
        ("x:http", "its port 'http' is not a number"),
        ("x:８０", "it is not ASCII"),
        ("https://x", "it is a URL"),
        ("x:80/p", "it has a path"),
        ("u:p@x:80", "it carries user information"),
        ("*.x:80", "wildcards"),
    ],
)
def test_host_port_refuses_what_a_host_header_could_not_be(text, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_host_port(text)


def test_allow_entries_are_networks_or_host_names():
    assert parse_allow_entry("10.20.0.0/16") == ipaddress.ip_network("10.20.0.0/16")
    assert parse_allow_entry("10.0.0.7") == ipaddress.ip_network("10.0.0.7/32")
    assert parse_allow_entry("[::1]") == ipaddress.ip_network("::1/128")
    assert parse_allow_entry("Hooks.Example.") == "hooks.example"


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("http://x/", "it is a URL; give the host alone"),
        ("hooks.example:443", "it has a port"),
        ("10.0.0.0/33", "it is not a valid CIDR (ADDRESS/BITS, e.g. 10.0.0.0/8)"),
        ("*.example.com", "wildcards (*) are not supported"),
        ("", "it is empty"),
        ("a b", "it contains a space"),
    ],
)
def test_a_policy_refuses_an_allow_entry_it_could_never_match(entry, why):
    message = f"'{entry}' is not a network (CIDR) or a host name: {why}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        parse_allow_entry(entry)
    with pytest.raises(ValueError, match="is not a network"):
        CallbackPolicy(allow=[entry])


def test_a_named_allow_entry_matches_whatever_the_case_and_trailing_dot():
    policy = CallbackPolicy(allow=["Hooks.Example."])
    assert policy.allow_hosts == frozenset({"hooks.example"})
    address = ipaddress.ip_address("203.0.113.9")
    assert policy.address_refusal("HOOKS.example.", address) is None
    assert policy.address_refusal("other.example", address) is not None


def test_callback_hosts_compare_names_and_addresses_in_one_form():
    allowed = host_allowlist(["CRM.example.com.", "0:0::1"])
    assert allowed == frozenset({"crm.example.com", "::1"})
    for url in (
        "http://crm.example.com/l",
        "http://crm.example.com./l",
        "http://[::1]/",
    ):
        assert validate_callback(url, allowed) == url
    with pytest.raises(ValueError, match=r"host 'evil\.example' is not allowed"):
        validate_callback("http://evil.example/l", allowed)


def test_host_key_leaves_names_and_canonicalises_addresses():
    assert host_key(" Example.COM. ") == "example.com"
    assert host_key("[0:0::1]") == "::1"
    assert host_key("127.0.0.1") == "127.0.0.1"
