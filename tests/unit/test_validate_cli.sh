#!/bin/bash
# `staticpodd validate` as an operator runs it: exit codes, what a directory
# contributes, duplicate names, output formats.
set -u
staticpodd=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

check() {	# name, command status, expected status
	n=$((n + 1))
	if [ "$2" -eq "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (exit $2, expected $3)"
		failed=$((failed + 1))
	fi
}

v() { "$staticpodd" validate --node-name node1 "$@"; }

good=$data/parser/valid_minimal.yaml
bad=$data/parser/parser_rejects_unknown_field.yaml

v -o none "$good"; check validate_exits_0_for_a_valid_file $? 0
v -o none "$bad" 2>/dev/null; check validate_exits_1_for_an_invalid_file $? 1
v -o none "$good" "$bad" 2>/dev/null; check validate_exits_1_when_any_is_invalid $? 1
v -o none "$tmp/missing.yaml" 2>/dev/null; check validate_exits_2_for_a_missing_file $? 2
v -o bogus "$good" 2>/dev/null; check validate_exits_2_for_a_bad_output_format $? 2
"$staticpodd" validate 2>/dev/null; check validate_exits_2_without_paths $? 2

out=$(v -o name "$good"); [ "$out" = default/web-node1 ]
check validate_name_output_is_namespace_and_mangled_name $? 0

err=$(v -o none "$bad" 2>&1 >/dev/null)
[ "$err" = "$bad:9:5: spec.containers[0].imagePullPolcy: unknown field \"imagePullPolcy\" (unknown fields are refused, not ignored)" ]
check validate_error_line_names_file_line_column_and_field $? 0

mkdir "$tmp/dir"
cp "$good" "$tmp/dir/a.yaml"
cp "$good" "$tmp/dir/a.yaml.bak"
cp "$good" "$tmp/dir/a.yaml~"
cp "$good" "$tmp/dir/.a.yaml.swp"
cp "$good" "$tmp/dir/4913"
mkfifo "$tmp/dir/fifo.yaml"
out=$(timeout 10 "$staticpodd" validate --node-name node1 -o name "$tmp/dir" 2>&1)
rc=$?
[ $rc -eq 2 ] && grep -q 'fifo.yaml: not a regular file' <<<"$out" && [ "$(grep -c default/web-node1 <<<"$out")" -eq 1 ]
check validate_directory_skips_editor_leftovers_and_never_blocks_on_a_fifo $? 0
rm "$tmp/dir/fifo.yaml"

cp "$good" "$tmp/dir/b.yaml"
out=$(v -o name "$tmp/dir" 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "b.yaml: metadata.name: pod default/web-node1 is already defined by $tmp/dir/a.yaml" <<<"$out"
check validate_directory_refuses_a_duplicate_pod_name_in_the_later_file $? 0

v -o json "$good" | grep -q '"kubernetes.io/config.source": "file"'
check validate_json_output_carries_config_annotations $? 0

v -o yaml "$good" | grep -q '^  name: web-node1$'
check validate_yaml_output_is_block_yaml $? 0

echo "1..$n"
[ $failed -eq 0 ]
