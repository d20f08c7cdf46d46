/*
 * config_yaml.c - the strict walker over libyaml documents (see
 * config_yaml.h): typed getters that refuse a wrong type, an unknown or
 * duplicate key, naming the field by its path and line.  What a field
 * means is config_stackgres.c's business; config_yaml_guard.c checks the
 * text before libyaml loads it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_storage.h"
#include "config_yaml.h"
#include "sg_buf.h"

static bool
str_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static void
replace_str(char **dst, const char *value)
{
	free(*dst);
	*dst = sg_strdup(value);
}

int
sg_yaml_line(const yaml_node_t *n)
{
	return (int) n->start_mark.line + 1;
}

static bool
is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
		n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *) n->data.scalar.value;
}

/* YAML 1.2 core schema null: empty, ~, null */
bool
sg_yaml_is_null(const yaml_node_t *n)
{
	const char *v;

	if (!is_plain(n))
		return false;
	v = scalar(n);
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
		strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static bool
plain_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0)
		*out = false;
	else
		return false;
	return true;
}

static bool
plain_int(const char *v, long long *out)
{
	char	   *end;

	if (!((*v >= '0' && *v <= '9') || ((*v == '-' || *v == '+') && v[1] >= '0' && v[1] <= '9')))
		return false;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return *end == '\0' && errno == 0;
}

/* a plain scalar that YAML reads as a number (int or float) */
static bool
plain_number(const char *v)
{
	char	   *end;

	if (strcmp(v, ".inf") == 0 || strcmp(v, "-.inf") == 0 || strcmp(v, "+.inf") == 0 ||
		strcmp(v, ".nan") == 0 || strcmp(v, ".NaN") == 0 || strcmp(v, ".NAN") == 0)
		return true;
	if (!((*v >= '0' && *v <= '9') || *v == '-' || *v == '+' || *v == '.'))
		return false;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'o'))
		return true;
	(void) strtod(v, &end);
	return end != v && *end == '\0';
}

/* how a value is shown in an error detail */
static const char *
describe(const yaml_node_t *n, char *buf, size_t len)
{
	char		vbuf[SG_SHOWN_SIZE];

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	snprintf(buf, len, "\"%s\"", sg_shown_value(scalar(n), vbuf, sizeof(vbuf)));
	return buf;
}

void
sg_yaml_join(char *buf, size_t len, const char *path, const char *key)
{
	if (path[0] == '\0')
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", path, key);
}

bool
sg_yaml_type_error(sg_yaml_walker *w, const char *path, const yaml_node_t *v, const char *expected)
{
	char		dbuf[SG_SHOWN_SIZE + 8];

	sg_error_set(w->err, SG_ERR_CONFIG, "field \"%s\" requires %s", path, expected);
	sg_error_detail(w->err, "The value at line %d is %s.", sg_yaml_line(v),
					describe(v, dbuf, sizeof(dbuf)));
	if (v->type != YAML_SCALAR_NODE)
		return false;
	if (strcmp(expected, "a string value") == 0)
		sg_error_hint(w->err, "Put the value in quotes to make it a string.");
	else if (strcmp(expected, "an integer value") == 0)
		sg_error_hint(w->err, "Write a whole number, without quotes.");
	else if (strncmp(expected, "a boolean", 9) == 0)
		sg_error_hint(w->err, "Write true or false, without quotes.");
	return false;
}

bool
sg_yaml_missing(sg_yaml_walker *w, const char *path, const char *key, const yaml_node_t *parent)
{
	char		fbuf[SG_PATH_LEN];

	sg_yaml_join(fbuf, sizeof(fbuf), path, key);
	sg_error_set(w->err, SG_ERR_CONFIG, "missing required field \"%s\"", fbuf);
	if (parent && path[0])
		sg_error_detail(w->err, "The %s section at line %d has no %s.", path,
						sg_yaml_line(parent), key);
	else if (parent)
		sg_error_detail(w->err, "The document at line %d has no %s.",
						sg_yaml_line(parent), key);
	return false;
}

/*
 * Every key of mapping map must be one of allowed, and appear once.
 * path is the mapping's own path ("" for a document).
 */
bool
sg_yaml_check_keys(sg_yaml_walker *w, const yaml_node_t *map, const char *path,
		   const char *const *allowed)
{
	yaml_node_pair_t *pair;
	yaml_node_pair_t *other;
	char		fbuf[SG_PATH_LEN];
	sg_buf		list;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *key = yaml_document_get_node(w->doc, pair->key);

		if (key->type != YAML_SCALAR_NODE)
		{
			sg_error_set(w->err, SG_ERR_CONFIG, "invalid field name in \"%s\"",
						 path[0] ? path : "document");
			sg_error_detail(w->err, "The field name at line %d is not a string.", sg_yaml_line(key));
			return false;
		}
		sg_yaml_join(fbuf, sizeof(fbuf), path, scalar(key));
		for (other = map->data.mapping.pairs.start; other < pair; other++)
		{
			yaml_node_t *okey = yaml_document_get_node(w->doc, other->key);

			if (okey->type == YAML_SCALAR_NODE && strcmp(scalar(okey), scalar(key)) == 0)
			{
				sg_error_set(w->err, SG_ERR_CONFIG, "duplicate field \"%s\"", fbuf);
				sg_error_detail(w->err, "The field appears at line %d and again at line %d.",
								sg_yaml_line(okey), sg_yaml_line(key));
				return false;
			}
		}
		if (str_in(scalar(key), allowed))
			continue;
		sg_buf_init(&list);
		for (const char *const *a = allowed; *a; a++)
			sg_buf_printf(&list, "%s%s", a == allowed ? "" : ", ", *a);
		sg_error_set(w->err, SG_ERR_CONFIG, "unknown field \"%s\"", fbuf);
		sg_error_detail(w->err, "The field is at line %d. The fields of %s are: %s.",
						sg_yaml_line(key), path[0] ? path : "a document", list.data);
		sg_error_hint(w->err, "Check the spelling and indentation against the StackGres documentation.");
		sg_buf_free(&list);
		return false;
	}
	return true;
}

/* the value of key in map, NULL when absent or null */
yaml_node_t *
sg_yaml_lookup(sg_yaml_walker *w, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v;

		if (k->type != YAML_SCALAR_NODE || strcmp(scalar(k), key) != 0)
			continue;
		v = yaml_document_get_node(w->doc, pair->value);
		return (v == NULL || sg_yaml_is_null(v)) ? NULL : v;
	}
	return NULL;
}

/* *out: the mapping at key, NULL when absent; false if not a mapping */
bool
sg_yaml_get_map(sg_yaml_walker *w, const yaml_node_t *map,
				const char *path, const char *key,
		yaml_node_t **out)
{
	yaml_node_t *v = sg_yaml_lookup(w, map, key);
	char		fbuf[SG_PATH_LEN];

	*out = NULL;
	if (v == NULL)
		return true;
	sg_yaml_join(fbuf, sizeof(fbuf), path, key);
	if (v->type != YAML_MAPPING_NODE)
		return sg_yaml_type_error(w, fbuf, v, "a mapping");
	*out = v;
	return true;
}

/* *out: a copy of the string at key, left alone when absent */
bool
sg_yaml_get_string(sg_yaml_walker *w, const yaml_node_t *map,
				const char *path, const char *key,
		   char **out, int *line)
{
	yaml_node_t *v = sg_yaml_lookup(w, map, key);
	char		fbuf[SG_PATH_LEN];
	bool		b;

	if (v == NULL)
		return true;
	sg_yaml_join(fbuf, sizeof(fbuf), path, key);
	if (v->type != YAML_SCALAR_NODE ||
		(is_plain(v) && (plain_bool(scalar(v), &b) || plain_number(scalar(v)))))
		return sg_yaml_type_error(w, fbuf, v, "a string value");
	replace_str(out, scalar(v));
	if (line)
		*line = sg_yaml_line(v);
	return true;
}

bool
sg_yaml_get_bool(sg_yaml_walker *w, const yaml_node_t *map,
				const char *path, const char *key,
		 bool *out, int *line)
{
	yaml_node_t *v = sg_yaml_lookup(w, map, key);
	char		fbuf[SG_PATH_LEN];

	if (v == NULL)
		return true;
	sg_yaml_join(fbuf, sizeof(fbuf), path, key);
	if (!is_plain(v) || !plain_bool(scalar(v), out))
		return sg_yaml_type_error(w, fbuf, v, "a boolean value (true or false)");
	if (line)
		*line = sg_yaml_line(v);
	return true;
}

/* an integer from min to INT_MAX; *out left alone when absent */
bool
sg_yaml_get_int(sg_yaml_walker *w, const yaml_node_t *map,
				const char *path, const char *key,
		long long min, int *out)
{
	yaml_node_t *v = sg_yaml_lookup(w, map, key);
	char		fbuf[SG_PATH_LEN];
	long long	n;

	if (v == NULL)
		return true;
	sg_yaml_join(fbuf, sizeof(fbuf), path, key);
	if (!is_plain(v) || !plain_int(scalar(v), &n))
		return sg_yaml_type_error(w, fbuf, v, "an integer value");
	if (n < min || n > INT_MAX)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "value for \"%s\" is out of range: %s",
					 fbuf, scalar(v));
		sg_error_detail(w->err, "The value at line %d must be from %lld to %d.",
						sg_yaml_line(v), min, INT_MAX);
		return false;
	}
	*out = (int) n;
	return true;
}

bool
sg_yaml_problem(yaml_parser_t *p, sg_error *err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return sg_error_set(err, SG_ERR_INTERNAL, "out of memory while parsing YAML");
	sg_error_set(err, SG_ERR_CONFIG, "invalid YAML: %s",
				 p->problem ? p->problem : "unknown problem");
	if (p->error == YAML_READER_ERROR)
		sg_error_detail(err, "The problem is at byte offset %zu.", p->problem_offset);
	else if (p->context)
		sg_error_detail(err, "The problem is at line %zu, column %zu, %s at line %zu.",
						p->problem_mark.line + 1, p->problem_mark.column + 1,
						p->context, p->context_mark.line + 1);
	else
		sg_error_detail(err, "The problem is at line %zu, column %zu.",
						p->problem_mark.line + 1, p->problem_mark.column + 1);
	return false;
}
