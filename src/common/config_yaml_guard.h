/*
 * config_yaml_guard.h - checks on a YAML text before libyaml's loader builds
 * documents from it: its size, its characters, and per document its
 * nesting depth, anchors, aliases and nodes.  Also the UTF-8 helpers the
 * configuration's own checks use to name a character.
 */
#ifndef SG_CONFIG_YAML_GUARD_H
#define SG_CONFIG_YAML_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_error.h"

/*
 * The limits, and why:
 * SG_YAML_MAX_BYTES: 1.5 MiB, the largest request etcd accepts by default
 *   (--max-request-bytes), so no Kubernetes resource is larger.
 * SG_YAML_MAX_DEPTH: nested mappings and lists, the document's own mapping
 *   counting as 1.  The deepest fields of an SGCluster (pod affinity
 *   terms) are about 12 deep.
 * SG_YAML_MAX_ALIASES: anchors, and aliases, per document.  StackGres
 *   resources use none; a hand-written file may use a few.
 * SG_YAML_MAX_NODES: mappings, lists and scalars (keys included) per
 *   document.  A large SGCluster as kubectl shows it has a few hundred.
 *   It bounds what the loader allocates: about 2 MB at this limit.
 */
#define SG_YAML_MAX_BYTES (1536 * 1024)
#define SG_YAML_MAX_DEPTH 32
#define SG_YAML_MAX_ALIASES 32
#define SG_YAML_MAX_NODES 10000

/*
 * Check yaml (len bytes) against the limits and for characters YAML does
 * not allow (or bytes that are not UTF-8).  False with err when one is
 * broken; the error names the field whose value holds a bad character.
 * Syntax errors are left to the loader, which reports them the same way.
 */
extern bool sg_yaml_guard(const char *yaml, size_t len, sg_error *err);

/*
 * The UTF-8 character at s (at most left bytes): its length, and *cp.
 * 0 when the bytes there are not a valid UTF-8 character (a stray or
 * missing continuation byte, an overlong form, a surrogate, or above
 * U+10FFFF).
 */
extern int	sg_utf8_char(const char *s, size_t left, unsigned *cp);

/*
 * Name the character at s for a message, e.g. "U+0085, a control
 * character" or "byte 0xFF, which is not part of a UTF-8 character".
 * Returns its length in bytes (1 for a bad byte).
 */
extern int	sg_describe_char(const char *s, size_t left, char *buf, size_t len);

#endif							/* SG_CONFIG_YAML_GUARD_H */
