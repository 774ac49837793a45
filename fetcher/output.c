/*
 * Prints canonical pods for `staticpodd validate -o json|yaml|name`.
 * A pod becomes a json-c tree, walked from the same descriptors the parser
 * decodes with: a tree is what is wanted here, and json-c's writer escapes
 * correctly. YAML is emitted by libyaml from that tree.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <yaml.h>

#include "fetcher.h"
#include "log.h"

static json_object *msg_to_json(const ProtobufCMessage *);

static json_object *
quantity_to_json(const Spd__Quantity *q)
{
	char buf[32];

	if (q->milli % 1000 == 0)
		snprintf(buf, sizeof(buf), "%" PRId64, q->milli / 1000);
	else
		snprintf(buf, sizeof(buf), "%" PRId64 "m", q->milli);
	return json_object_new_string(buf);
}

static json_object *
value_to_json(const ProtobufCFieldDescriptor *fd, const void *p)
{
	const ProtobufCMessage *m;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING:
		return json_object_new_string(*(char *const *)p);
	case PROTOBUF_C_TYPE_INT32:
		return json_object_new_int(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
		return json_object_new_int64(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_object_new_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_MESSAGE:
		m = *(ProtobufCMessage *const *)p;
		if (m->descriptor == &spd__quantity__descriptor)
			return quantity_to_json((const Spd__Quantity *)m);
		if (m->descriptor == &spd__int_or_string__descriptor) {
			const Spd__IntOrString *v = (const void *)m;

			return v->strval != NULL ?
			    json_object_new_string(v->strval) :
			    json_object_new_int(v->intval);
		}
		return msg_to_json(m);
	default:
		fatalx("output: unexpected field type in %s", fd->name);
	}
}

static size_t
elem_size(const ProtobufCFieldDescriptor *fd)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
		return sizeof(int32_t);
	case PROTOBUF_C_TYPE_INT64:
		return sizeof(int64_t);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return sizeof(void *);
	}
}

static bool
is_map_entry(const ProtobufCFieldDescriptor *fd)
{
	const ProtobufCMessageDescriptor *md = fd->descriptor;

	return fd->type == PROTOBUF_C_TYPE_MESSAGE && md->n_fields == 2 &&
	    strcmp(md->fields[0].name, "key") == 0;
}

static json_object *
repeated_to_json(const ProtobufCFieldDescriptor *fd, size_t n,
    const char *arr)
{
	const ProtobufCMessageDescriptor	*md = fd->descriptor;
	const ProtobufCFieldDescriptor		*vfd;
	const ProtobufCMessage			*e;
	json_object				*o;
	size_t					 i;

	if (is_map_entry(fd)) {
		vfd = &md->fields[1];
		o = json_object_new_object();
		for (i = 0; i < n; i++) {
			e = ((ProtobufCMessage *const *)arr)[i];
			json_object_object_add(o, *(char *const *)((const char *)
			    e + md->fields[0].offset),
			    value_to_json(vfd, (const char *)e + vfd->offset));
		}
		return o;
	}
	o = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(o, value_to_json(fd, arr +
		    i * elem_size(fd)));
	return o;
}

static json_object *
msg_to_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	const ProtobufCFieldDescriptor		*fd;
	const char				*base = (const char *)m;
	json_object				*o = json_object_new_object();
	size_t					 i, n;

	for (i = 0; i < d->n_fields; i++) {
		fd = &d->fields[i];
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)(base + fd->quantifier_offset);
			if (n > 0)
				json_object_object_add(o, fd->name,
				    repeated_to_json(fd, n, *(char *const *)
				    (base + fd->offset)));
			continue;
		}
		if (fd->type == PROTOBUF_C_TYPE_STRING ||
		    fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			if (*(void *const *)(base + fd->offset) == NULL)
				continue;
		} else if (!*(const protobuf_c_boolean *)(base +
		    fd->quantifier_offset))
			continue;
		json_object_object_add(o, fd->name,
		    value_to_json(fd, base + fd->offset));
	}
	return o;
}

/* The pod as the kubelet would show it: its UID and config annotations. */
static json_object *
pod_to_json(const struct validated *v)
{
	json_object	*o = msg_to_json(&v->pp->pod->base), *meta, *ann;

	if (!json_object_object_get_ex(o, "metadata", &meta))
		fatalx("output: pod without metadata");
	json_object_object_add(meta, "uid",
	    json_object_new_string(v->pp->uid));
	if (!json_object_object_get_ex(meta, "annotations", &ann)) {
		ann = json_object_new_object();
		json_object_object_add(meta, "annotations", ann);
	}
	json_object_object_add(ann, "kubernetes.io/config.hash",
	    json_object_new_string(v->pp->uid));
	json_object_object_add(ann, "kubernetes.io/config.source",
	    json_object_new_string(v->source_kind));
	return o;
}

static int
emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(e, ev)) {
		log_warnx("yaml output: %s", e->problem != NULL ? e->problem :
		    "emitter error");
		return -1;
	}
	return 0;
}

static int
emit_scalar(yaml_emitter_t *e, const char *s, bool quoted_if_needed)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	    (int)strlen(s), 1, 1, quoted_if_needed ?
	    YAML_ANY_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
	return emit(e, &ev);
}

/*
 * A string that would read back as another type ("80", "true", "yes" to a
 * YAML 1.1 reader) must be quoted; libyaml picks plain style whenever the
 * characters allow it, so plain is requested only for words that can only
 * be strings.
 */
static bool
plain_is_string(const char *s)
{
	static const char *const words[] = { "true", "false", "null", "yes",
	    "no", "on", "off", "y", "n", NULL };
	const char *const *w;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '/'))
		return false;
	if (s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/_.-")] != '\0')
		return false;
	for (w = words; *w != NULL; w++)
		if (strcasecmp(s, *w) == 0)
			return false;
	return true;
}

static int
emit_string(yaml_emitter_t *e, const char *s)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	    (int)strlen(s), 1, 1, plain_is_string(s) ?
	    YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return emit(e, &ev);
}

static int
emit_json(yaml_emitter_t *e, json_object *o)
{
	yaml_event_t	ev;
	size_t		i, n;
	char		num[32];

	switch (json_object_get_type(o)) {
	case json_type_object:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
		if (emit(e, &ev) == -1)
			return -1;
		json_object_object_foreach(o, k, v) {
			if (emit_string(e, k) == -1 || emit_json(e, v) == -1)
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return emit(e, &ev);
	case json_type_array:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE);
		if (emit(e, &ev) == -1)
			return -1;
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (emit_json(e, json_object_array_get_idx(o, i)) == -1)
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return emit(e, &ev);
	case json_type_string:
		return emit_string(e, json_object_get_string(o));
	case json_type_boolean:
		return emit_scalar(e, json_object_get_boolean(o) ? "true" :
		    "false", false);
	case json_type_int:
		snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(o));
		return emit_scalar(e, num, false);
	default:
		fatalx("output: unexpected JSON type");
	}
}

static int
write_yaml(FILE *fp, json_object *o, bool first)
{
	yaml_emitter_t	e;
	yaml_event_t	ev;
	int		ret = -1;

	if (!yaml_emitter_initialize(&e))
		fatalx("yaml_emitter_initialize");
	yaml_emitter_set_output_file(&e, fp);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit(&e, &ev) == -1)
		goto out;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, first);
	if (emit(&e, &ev) == -1 || emit_json(&e, o) == -1)
		goto out;
	yaml_document_end_event_initialize(&ev, 1);
	if (emit(&e, &ev) == -1)
		goto out;
	yaml_stream_end_event_initialize(&ev);
	if (emit(&e, &ev) == -1)
		goto out;
	ret = 0;
out:
	yaml_emitter_delete(&e);
	return ret;
}

int
output_pods(FILE *fp, enum output_format fmt, const struct validated *v,
    size_t n)
{
	json_object	*o, *list = NULL;
	size_t		 i;
	int		 ret = 0;

	if (fmt == OUT_NONE)
		return 0;
	if (fmt == OUT_NAME) {
		for (i = 0; i < n; i++)
			fprintf(fp, "%s/%s\n", v[i].pp->pod->metadata->namespace_,
			    v[i].pp->pod->metadata->name);
		return 0;
	}
	if (fmt == OUT_JSON && n != 1) {
		list = json_object_new_object();
		json_object_object_add(list, "apiVersion",
		    json_object_new_string("v1"));
		json_object_object_add(list, "kind",
		    json_object_new_string("List"));
		json_object_object_add(list, "items", json_object_new_array());
	}
	for (i = 0; i < n; i++) {
		o = pod_to_json(&v[i]);
		if (list != NULL) {
			json_object_array_add(json_object_object_get(list,
			    "items"), o);
			continue;
		}
		if (fmt == OUT_JSON)
			fprintf(fp, "%s\n", json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
		else if (write_yaml(fp, o, i == 0) == -1)
			ret = -1;
		json_object_put(o);
	}
	if (list != NULL) {
		fprintf(fp, "%s\n", json_object_to_json_string_ext(list,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(list);
	}
	return ret;
}

int
output_format_parse(const char *s, enum output_format *fmt)
{
	if (strcmp(s, "name") == 0)
		*fmt = OUT_NAME;
	else if (strcmp(s, "json") == 0)
		*fmt = OUT_JSON;
	else if (strcmp(s, "yaml") == 0)
		*fmt = OUT_YAML;
	else if (strcmp(s, "none") == 0)
		*fmt = OUT_NONE;
	else
		return -1;
	return 0;
}
