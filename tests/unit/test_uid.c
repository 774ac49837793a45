/*
 * A pod's UID is sha256 over its canonical bytes, the node name and the
 * source. Manifests that mean the same pod must get the same UID however
 * they are written (YAML or JSON, key order, 64Mi or 67108864, a default
 * written out or left to the agent), and a change to the spec, the node or
 * the source must give a new one. Writing a default out and comparing
 * with the manifest that leaves it out also proves what the default is:
 * imagePullPolicy Always for web:latest is the same pod as leaving it out,
 * IfNotPresent is not. TAP.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "parser.h"

#define NODE	"node1"
#define SOURCE	"file:/etc/kubernetes/manifests/web.yaml"

struct ctx {
	int	n;
	int	failed;
};

/* The UID of item idx of text, or "" with the errors on stdout. */
static void
uid_of(const char *text, const char *node, const char *source, size_t idx,
    char out[POD_UID_LEN + 1])
{
	struct parse_opts	o = { 0 };
	struct parse_result	res;
	char			line[1024];
	size_t			i;

	o.node_name = node;
	o.source = source;
	o.allow_list = true;
	out[0] = '\0';
	if (parser_parse((const uint8_t *)text, strlen(text), &o, &res) == -1) {
		for (i = 0; i < res.diags.n; i++) {
			diag_format(&res.diags.item[i], "input", line,
			    sizeof(line));
			printf("# %s\n", line);
		}
	} else if (idx < res.npods)
		memcpy(out, res.pods[idx].uid, POD_UID_LEN + 1);
	else
		printf("# input has no pod %zu\n", idx);
	parse_result_free(&res);
}

static void
result(struct ctx *c, const char *name, bool ok)
{
	c->n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", c->n, name);
	if (!ok)
		c->failed++;
}

static void
same_as(struct ctx *c, const char *name, const char *a, const char *b)
{
	char ua[POD_UID_LEN + 1], ub[POD_UID_LEN + 1];

	uid_of(a, NODE, SOURCE, 0, ua);
	uid_of(b, NODE, SOURCE, 0, ub);
	result(c, name, ua[0] != '\0' && strcmp(ua, ub) == 0);
}

static void
differs_from(struct ctx *c, const char *name, const char *a, const char *b)
{
	char ua[POD_UID_LEN + 1], ub[POD_UID_LEN + 1];

	uid_of(a, NODE, SOURCE, 0, ua);
	uid_of(b, NODE, SOURCE, 0, ub);
	result(c, name, ua[0] != '\0' && ub[0] != '\0' && strcmp(ua, ub) != 0);
}

#define POD(spec, ctr)							\
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"	\
	spec "  containers:\n  - name: web\n    image: registry.example/web:1.0\n" ctr

#define MINIMAL	POD("", "")

/* One image, its pull policy left out, written as want, and as the other. */
static void
pull_policy(struct ctx *c, const char *label, const char *image,
    const char *want)
{
	const char	*other = strcmp(want, "Always") == 0 ? "IfNotPresent" :
			    "Always";
	char		 bare[512], as_want[512], as_other[512], name[256];
	char		 line[64];

#define PULL_POD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n" \
	"  containers:\n  - name: web\n    image: \"%s\"\n%s"
	snprintf(bare, sizeof(bare), PULL_POD, image, "");
	snprintf(line, sizeof(line), "    imagePullPolicy: %s\n", want);
	snprintf(as_want, sizeof(as_want), PULL_POD, image, line);
	snprintf(line, sizeof(line), "    imagePullPolicy: %s\n", other);
	snprintf(as_other, sizeof(as_other), PULL_POD, image, line);
#undef PULL_POD
	snprintf(name, sizeof(name), "defaults_pull_policy_of_%s_is_%s", label,
	    want);
	same_as(c, name, bare, as_want);
	snprintf(name, sizeof(name), "defaults_pull_policy_of_%s_is_not_%s",
	    label, other);
	differs_from(c, name, bare, as_other);
}

static void
written_differently(struct ctx *c)
{
	same_as(c, "uid_same_for_yaml_and_json", MINIMAL,
	    "{\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"spec\": "
	    "{\"containers\": [{\"image\": \"registry.example/web:1.0\", "
	    "\"name\": \"web\"}]}, \"metadata\": {\"name\": \"web\"}}");
	same_as(c, "uid_same_for_any_key_order",
	    POD("", "    ports:\n    - containerPort: 80\n      name: http\n"
	    "    env:\n    - {name: A, value: a}\n"),
	    "spec:\n  containers:\n  - env:\n    - {value: a, name: A}\n"
	    "    ports:\n    - name: http\n      containerPort: 80\n"
	    "    image: registry.example/web:1.0\n    name: web\n"
	    "metadata:\n  name: web\nkind: Pod\napiVersion: v1\n");
	same_as(c, "uid_same_for_any_label_order",
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n"
	    "    b: two\n    a: one\nspec:\n  containers:\n  - name: web\n"
	    "    image: registry.example/web:1.0\n",
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n"
	    "    a: one\n    b: two\nspec:\n  containers:\n  - name: web\n"
	    "    image: registry.example/web:1.0\n");
	same_as(c, "uid_same_for_64Mi_and_67108864",
	    POD("", "    resources:\n      limits: {memory: 64Mi}\n"),
	    POD("", "    resources:\n      limits: {memory: 67108864}\n"));
	same_as(c, "uid_same_for_cpu_0.5_and_500m",
	    POD("", "    resources:\n      limits: {cpu: 0.5}\n"),
	    POD("", "    resources:\n      limits: {cpu: 500m}\n"));
	same_as(c, "uid_same_for_cpu_1_and_1000m",
	    POD("", "    resources:\n      limits: {cpu: \"1\"}\n"),
	    POD("", "    resources:\n      limits: {cpu: 1000m}\n"));
	same_as(c, "uid_same_for_0644_and_420",
	    POD("  volumes:\n  - name: i\n    downwardAPI: {defaultMode: 0644}\n",
	    ""), POD("  volumes:\n  - name: i\n    downwardAPI: "
	    "{defaultMode: 420}\n", ""));
	same_as(c, "uid_same_for_0o644_and_420",
	    POD("  volumes:\n  - name: i\n    downwardAPI: {defaultMode: 0o644}\n",
	    ""), POD("  volumes:\n  - name: i\n    downwardAPI: "
	    "{defaultMode: 420}\n", ""));
	same_as(c, "uid_same_with_anchors_and_aliases",
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: &l\n"
	    "    app: web\n  annotations: *l\nspec:\n  containers:\n"
	    "  - name: web\n    image: registry.example/web:1.0\n",
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n"
	    "    app: web\n  annotations:\n    app: web\nspec:\n  containers:\n"
	    "  - name: web\n    image: registry.example/web:1.0\n");
	same_as(c, "uid_same_for_block_and_flow_style", MINIMAL,
	    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: "
	    "{containers: [{name: web, image: registry.example/web:1.0}]}\n");
}

static void
defaults_written_out(struct ctx *c)
{
	same_as(c, "defaults_namespace_is_default", MINIMAL,
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  namespace: default\nspec:\n  containers:\n  - name: web\n"
	    "    image: registry.example/web:1.0\n");
	same_as(c, "defaults_restart_policy_is_always", MINIMAL,
	    POD("  restartPolicy: Always\n", ""));
	differs_from(c, "defaults_restart_policy_is_not_never", MINIMAL,
	    POD("  restartPolicy: Never\n", ""));
	same_as(c, "defaults_dns_policy_is_cluster_first", MINIMAL,
	    POD("  dnsPolicy: ClusterFirst\n", ""));
	same_as(c, "defaults_grace_period_is_30", MINIMAL,
	    POD("  terminationGracePeriodSeconds: 30\n", ""));
	differs_from(c, "defaults_grace_period_is_not_0", MINIMAL,
	    POD("  terminationGracePeriodSeconds: 0\n", ""));
	same_as(c, "defaults_termination_message", MINIMAL,
	    POD("", "    terminationMessagePath: /dev/termination-log\n"
	    "    terminationMessagePolicy: File\n"));
	same_as(c, "defaults_protocol_is_tcp",
	    POD("", "    ports:\n    - containerPort: 80\n"),
	    POD("", "    ports:\n    - containerPort: 80\n      protocol: TCP\n"));
	same_as(c, "defaults_host_port_is_container_port_with_host_network",
	    POD("  hostNetwork: true\n", "    ports:\n    - containerPort: 80\n"),
	    POD("  hostNetwork: true\n", "    ports:\n    - containerPort: 80\n"
	    "      hostPort: 80\n"));
	same_as(c, "defaults_host_port_0_is_none",
	    POD("", "    ports:\n    - containerPort: 80\n"),
	    POD("", "    ports:\n    - containerPort: 80\n      hostPort: 0\n"));
	differs_from(c, "defaults_host_port_stays_unset_without_host_network",
	    POD("", "    ports:\n    - containerPort: 80\n"),
	    POD("", "    ports:\n    - containerPort: 80\n      hostPort: 80\n"));
	same_as(c, "defaults_probe_values",
	    POD("", "    livenessProbe:\n      tcpSocket: {port: 80}\n"),
	    POD("", "    livenessProbe:\n      tcpSocket: {port: 80}\n"
	    "      initialDelaySeconds: 0\n      timeoutSeconds: 1\n"
	    "      periodSeconds: 10\n      successThreshold: 1\n"
	    "      failureThreshold: 3\n"));
	same_as(c, "defaults_probe_zero_is_the_default",
	    POD("", "    readinessProbe:\n      tcpSocket: {port: 80}\n"),
	    POD("", "    readinessProbe:\n      tcpSocket: {port: 80}\n"
	    "      timeoutSeconds: 0\n      periodSeconds: 0\n"
	    "      successThreshold: 0\n      failureThreshold: 0\n"));
	differs_from(c, "defaults_probe_period_is_not_5",
	    POD("", "    readinessProbe:\n      tcpSocket: {port: 80}\n"),
	    POD("", "    readinessProbe:\n      tcpSocket: {port: 80}\n"
	    "      periodSeconds: 5\n"));
	same_as(c, "defaults_http_get_path_and_scheme",
	    POD("", "    livenessProbe:\n      httpGet: {port: 80}\n"),
	    POD("", "    livenessProbe:\n      httpGet: {port: 80, path: /, "
	    "scheme: HTTP}\n"));
	same_as(c, "defaults_http_get_empty_path_is_slash",
	    POD("", "    livenessProbe:\n      httpGet: {port: 80, path: \"\"}\n"),
	    POD("", "    livenessProbe:\n      httpGet: {port: 80, path: /}\n"));
	same_as(c, "defaults_lifecycle_http_get",
	    POD("", "    lifecycle:\n      preStop:\n        httpGet: {port: 80}\n"),
	    POD("", "    lifecycle:\n      preStop:\n        httpGet: {port: 80, "
	    "path: /, scheme: HTTP}\n"));
	same_as(c, "defaults_requests_to_limits",
	    POD("", "    resources:\n      limits: {cpu: 500m, memory: 64Mi}\n"),
	    POD("", "    resources:\n      limits: {cpu: 500m, memory: 64Mi}\n"
	    "      requests: {cpu: 500m, memory: 64Mi}\n"));
	differs_from(c, "defaults_requests_written_stay",
	    POD("", "    resources:\n      limits: {cpu: 500m}\n"),
	    POD("", "    resources:\n      limits: {cpu: 500m}\n"
	    "      requests: {cpu: 100m}\n"));
	same_as(c, "defaults_field_ref_api_version",
	    POD("", "    env:\n    - name: NAME\n      valueFrom: {fieldRef: "
	    "{fieldPath: metadata.name}}\n"),
	    POD("", "    env:\n    - name: NAME\n      valueFrom: {fieldRef: "
	    "{fieldPath: metadata.name, apiVersion: v1}}\n"));
	same_as(c, "defaults_downward_api_mode_0644",
	    POD("  volumes:\n  - name: i\n    downwardAPI:\n      items:\n"
	    "      - {path: name, fieldRef: {fieldPath: metadata.name}}\n", ""),
	    POD("  volumes:\n  - name: i\n    downwardAPI:\n      defaultMode: "
	    "0644\n      items:\n      - {path: name, fieldRef: {fieldPath: "
	    "metadata.name, apiVersion: v1}}\n", ""));
	same_as(c, "defaults_host_path_type_is_empty",
	    POD("  volumes:\n  - name: h\n    hostPath: {path: /srv}\n", ""),
	    POD("  volumes:\n  - name: h\n    hostPath: {path: /srv, type: \"\"}\n",
	    ""));
	same_as(c, "defaults_image_volume_pull_policy",
	    POD("  volumes:\n  - name: d\n    image: {reference: \"data:1\"}\n",
	    ""), POD("  volumes:\n  - name: d\n    image: {reference: \"data:1\", "
	    "pullPolicy: IfNotPresent}\n", ""));
	pull_policy(c, "an_untagged_image", "web", "Always");
	pull_policy(c, "tag_latest", "web:latest", "Always");
	pull_policy(c, "a_tag", "web:1.0", "IfNotPresent");
	pull_policy(c, "registry_port_without_tag",
	    "registry.example:5000/web", "Always");
	pull_policy(c, "registry_port_and_tag",
	    "registry.example:5000/web:1.0", "IfNotPresent");
	pull_policy(c, "a_digest", "web@sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "IfNotPresent");
	pull_policy(c, "latest_and_a_digest", "web:latest@sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "Always");
}

static void
zero_values_and_ignored_fields(struct ctx *c)
{
	same_as(c, "uid_same_for_false_and_left_out", MINIMAL,
	    POD("  hostNetwork: false\n  hostPID: false\n  hostIPC: false\n",
	    "    stdin: false\n    tty: false\n"));
	differs_from(c, "uid_differs_for_host_users_false_and_left_out",
	    MINIMAL, POD("  hostUsers: false\n", ""));
	differs_from(c, "uid_differs_for_privileged_false_and_left_out",
	    MINIMAL, POD("", "    securityContext: {privileged: false}\n"));
	same_as(c, "uid_same_for_empty_strings_and_left_out", MINIMAL,
	    POD("  hostname: \"\"\n", "    workingDir: \"\"\n"
	    "    imagePullPolicy: \"\"\n"));
	same_as(c, "uid_same_for_empty_resources_and_none", MINIMAL,
	    POD("", "    resources: {}\n"));
	same_as(c, "uid_same_for_empty_pod_security_context_and_none", MINIMAL,
	    POD("  securityContext: {}\n", ""));
	same_as(c, "uid_same_for_null_and_left_out", MINIMAL,
	    POD("  volumes: null\n  hostNetwork: ~\n", "    command:\n"));
	same_as(c, "uid_same_for_empty_lists_and_left_out", MINIMAL,
	    POD("  volumes: []\n", "    command: []\n    ports: []\n"));
	same_as(c, "uid_same_without_scheduler_fields", MINIMAL,
	    POD("  nodeName: node9\n  priority: 2000001000\n"
	    "  priorityClassName: system-node-critical\n"
	    "  schedulerName: default-scheduler\n  enableServiceLinks: true\n"
	    "  tolerations:\n  - {operator: Exists, effect: NoExecute}\n"
	    "  nodeSelector: {kubernetes.io/os: linux}\n", ""));
	same_as(c, "uid_same_without_status_and_server_metadata", MINIMAL,
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  uid: 4b1b7c0e-0000-0000-0000-000000000000\n"
	    "  creationTimestamp: null\n  resourceVersion: \"7\"\n"
	    "  generation: 2\nspec:\n  containers:\n  - name: web\n"
	    "    image: registry.example/web:1.0\nstatus: {phase: Running}\n");
	same_as(c, "uid_same_for_empty_api_references", MINIMAL,
	    POD("  serviceAccountName: \"\"\n  imagePullSecrets: []\n", ""));
}

static void
changes(struct ctx *c)
{
	char a[POD_UID_LEN + 1], b[POD_UID_LEN + 1];

	differs_from(c, "uid_changes_with_the_image", MINIMAL,
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
	    "  containers:\n  - name: web\n    image: registry.example/web:1.1\n");
	differs_from(c, "uid_changes_with_a_label", MINIMAL,
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: "
	    "{a: b}\nspec:\n  containers:\n  - name: web\n"
	    "    image: registry.example/web:1.0\n");
	differs_from(c, "uid_changes_with_an_argument", MINIMAL,
	    POD("", "    args: [--verbose]\n"));
	differs_from(c, "uid_changes_with_argument_order",
	    POD("", "    args: [a, b]\n"), POD("", "    args: [b, a]\n"));
	differs_from(c, "uid_changes_with_the_namespace", MINIMAL,
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	    "  namespace: kube-system\nspec:\n  containers:\n  - name: web\n"
	    "    image: registry.example/web:1.0\n");

	uid_of(MINIMAL, NODE, SOURCE, 0, a);
	uid_of(MINIMAL, "node2", SOURCE, 0, b);
	result(c, "uid_changes_with_the_node", a[0] != '\0' && b[0] != '\0' &&
	    strcmp(a, b) != 0);
	uid_of(MINIMAL, NODE, "file:/etc/kubernetes/manifests/other.yaml", 0,
	    b);
	result(c, "uid_changes_with_the_file", a[0] != '\0' && b[0] != '\0' &&
	    strcmp(a, b) != 0);
	uid_of(MINIMAL, NODE, "url:https://manifests.example/pods", 0, b);
	result(c, "uid_changes_with_the_source_kind", a[0] != '\0' &&
	    b[0] != '\0' && strcmp(a, b) != 0);
	uid_of(MINIMAL, NODE, SOURCE, 0, b);
	result(c, "uid_is_stable", a[0] != '\0' && strcmp(a, b) == 0);
	result(c, "uid_is_32_lower_case_hex", strlen(a) == POD_UID_LEN &&
	    strspn(a, "0123456789abcdef") == POD_UID_LEN);

	uid_of("apiVersion: v1\nkind: PodList\nitems:\n- metadata:\n"
	    "    name: web\n  spec:\n    containers:\n    - name: web\n"
	    "      image: registry.example/web:1.0\n", NODE, SOURCE, 0, b);
	result(c, "uid_same_for_a_pod_alone_and_in_a_list", a[0] != '\0' &&
	    strcmp(a, b) == 0);
}

int
main(void)
{
	struct ctx c = { 0, 0 };

	written_differently(&c);
	defaults_written_out(&c);
	zero_values_and_ignored_fields(&c);
	changes(&c);
	printf("1..%d\n", c.n);
	return c.failed > 0;
}
