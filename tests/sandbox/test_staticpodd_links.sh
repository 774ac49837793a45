#!/bin/sh
# The privileged binary must not link (dynamically or statically) the YAML,
# JSON or HTTP code that reads untrusted bytes: DESIGN.md, "trust boundary".
# Nor libcrypto: it alone would be a quarter of the runtime's resident
# memory, and the runtime needs only SHA-256 (privsep/sha256.c).
# usage: test_staticpodd_links.sh STATICPODD FETCHER
set -u
bin=$1
fetcher=$2
n=0
fail=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	fail=1
}

echo "1..4"
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "$needed" | sed 's/^/# staticpodd needs /'
if echo "$needed" | grep -Eq 'libyaml|libjson-c|libcurl'; then
	not_ok "staticpodd needs no libyaml, json-c or libcurl"
else
	ok "staticpodd needs no libyaml, json-c or libcurl"
fi
if echo "$needed" | grep -q 'libcrypto'; then
	not_ok "staticpodd needs no libcrypto"
else
	ok "staticpodd needs no libcrypto"
fi
# a static copy would show as symbols instead
syms=$(nm "$bin" 2>/dev/null | grep -E ' (yaml_parser_|curl_easy_|json_tokener_|parser_parse|EVP_)' || true)
if [ -n "$syms" ]; then
	echo "$syms" | sed 's/^/# /'
	not_ok "staticpodd holds no parser, YAML, JSON, HTTP or libcrypto symbols"
else
	ok "staticpodd holds no parser, YAML, JSON, HTTP or libcrypto symbols"
fi
# and the fetcher, for contrast, does (or the check above proves nothing)
if readelf -d "$fetcher" | grep -q 'NEEDED.*libyaml'; then
	ok "staticpodd-fetcher needs libyaml (the check can see it)"
else
	not_ok "staticpodd-fetcher needs libyaml (the check can see it)"
fi
exit $fail
