/*
 * config_yaml.h - a strict walker over a libyaml document: each getter
 * takes a mapping, the mapping's field path ("spec.s3") and a key, and
 * either fills its output (left alone when the key is absent or null) or
 * fails with an sg_error naming the field's path and line: a wrong type,
 * an unknown or duplicate key, a missing required field.
 */
#ifndef SG_CONFIG_YAML_H
#define SG_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "sg_error.h"

/* the YAML document being read and where its errors go */
typedef struct sg_yaml_walker
{
	yaml_document_t *doc;
	sg_error   *err;
} sg_yaml_walker;

/* the 1-based line where n starts */
extern int	sg_yaml_line(const yaml_node_t *n);

/* YAML 1.2 core schema null: empty, ~, null */
extern bool sg_yaml_is_null(const yaml_node_t *n);

/* "path.key", or "key" when path is "" */
extern void sg_yaml_join(char *buf, size_t len, const char *path, const char *key);

/* "field path requires expected" with the value's line; returns false */
extern bool sg_yaml_type_error(sg_yaml_walker *w, const char *path,
							   const yaml_node_t *v, const char *expected);

/* "missing required field path.key" (parent: where it was looked for); false */
extern bool sg_yaml_missing(sg_yaml_walker *w, const char *path, const char *key,
							const yaml_node_t *parent);

/* every key of map is one of allowed (NULL-terminated), and appears once */
extern bool sg_yaml_check_keys(sg_yaml_walker *w, const yaml_node_t *map,
							   const char *path, const char *const *allowed);

/* the value of key in map, NULL when absent or null */
extern yaml_node_t *sg_yaml_lookup(sg_yaml_walker *w, const yaml_node_t *map,
								   const char *key);

/* *out: the mapping at key, NULL when absent; false if not a mapping */
extern bool sg_yaml_get_map(sg_yaml_walker *w, const yaml_node_t *map,
							const char *path, const char *key, yaml_node_t **out);

/* *out: a malloc'ed copy of the string at key; *line (may be NULL) its line */
extern bool sg_yaml_get_string(sg_yaml_walker *w, const yaml_node_t *map,
							   const char *path, const char *key,
							   char **out, int *line);
extern bool sg_yaml_get_bool(sg_yaml_walker *w, const yaml_node_t *map,
							 const char *path, const char *key,
							 bool *out, int *line);
/* an integer from min to INT_MAX */
extern bool sg_yaml_get_int(sg_yaml_walker *w, const yaml_node_t *map,
							const char *path, const char *key,
							long long min, int *out);

/* err from a parser that failed to load a document; returns false */
extern bool sg_yaml_problem(yaml_parser_t *p, sg_error *err);

#endif							/* SG_CONFIG_YAML_H */
