#!/bin/bash
# docs/manifests.md lists the fields the parser accepts and drops; the list
# must be parser/ignored.c's, no more and no fewer. TAP.
set -u
src=$1
code=$(
	{
		# unchecked[]: { "Message", "key" }
		sed -n '/^} unchecked\[\] = {/,/^};/p' "$src/parser/ignored.c" |
		    grep -o '{ "[A-Za-z]*", "[A-Za-z]*" }' | cut -d'"' -f4
		# ignored_clear(): s->field, s->n_field, s->has_field
		sed -n '/^ignored_clear(/,/^}/p' "$src/parser/ignored.c" |
		    grep -o 's->[a-z_]*' | sed 's/^s->//; s/^n_//; s/^has_//'
	} | tr 'A-Z' 'a-z' | sort -u)
doc=$(
	sed -n '/^### Accepted and ignored/,/^### /p' "$src/docs/manifests.md" |
	    grep '^- `' | sed 's/^- `\([^`]*\)`.*/\1/; s/.*\.//' |
	    tr 'A-Z' 'a-z' | sort -u)
echo "1..1"
if [ -n "$code" ] && [ "$code" = "$doc" ]; then
	echo "ok 1 - docs_list_the_ignored_fields_of_parser_ignored_c"
else
	echo "not ok 1 - docs_list_the_ignored_fields_of_parser_ignored_c"
	diff <(echo "$code") <(echo "$doc") | sed 's/^/# /'
	exit 1
fi
