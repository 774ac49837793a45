#!/bin/bash
# Every manifest of the shared compatibility corpus gets the verdict that
# EXPECTED.tsv gives it. For a rejection whose reason names a field path,
# the error must name that field. Skips (77) only where ../shared is absent.
set -u
staticpodd=$1
corpus=$2
if [ ! -f "$corpus/EXPECTED.tsv" ]; then
	echo "1..0 # SKIP shared corpus not found at $corpus"
	exit 0	# a TAP plan of 0 with SKIP: meson reports the skip
fi
n=$(tail -n +2 "$corpus/EXPECTED.tsv" | grep -c .)
echo "1..$n"
i=0 failed=0
while IFS=$'\t' read -r file verdict reason; do
	[ "$file" = file ] && continue
	i=$((i + 1))
	out=$("$staticpodd" validate --node-name node1 -o name "$corpus/$file" 2>&1)
	rc=$?
	ok=1
	case $verdict in
	accept) [ $rc -eq 0 ] || ok=0 ;;
	reject)
		[ $rc -eq 1 ] || ok=0
		field=${reason%%[ :]*}
		case $field in
		spec.* | metadata.*)
			grep -qF -- ": $field" <<<"$out" || ok=0 ;;
		esac ;;
	*) ok=0 ;;
	esac
	if [ $ok -eq 1 ]; then
		echo "ok $i - $file $verdict"
	else
		echo "not ok $i - $file expected $verdict ($reason), exit $rc"
		sed 's/^/# /' <<<"$out"
		failed=$((failed + 1))
	fi
done <"$corpus/EXPECTED.tsv"
[ $failed -eq 0 ]
