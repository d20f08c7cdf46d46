/*
 * config_yaml_guard.c - checks on a YAML text before libyaml's loader builds
 * documents from it (see config_yaml_guard.h).
 *
 * Why a first pass: libyaml's scanner does work proportional to the
 * nesting depth for every token, so a deeply nested text costs the square
 * of its size (100000 levels of '[' take about 40 s, which nothing can
 * interrupt).  Its event parser, run here first, is stopped as soon as a
 * limit is passed; its look-ahead is bounded, so by then it has read little.
 *
 * Characters: YAML allows only printable characters in a text, and
 * libyaml refuses anything else with a byte offset only.  So this file
 * finds the first such character (or a byte that is not UTF-8) itself, and
 * to name the field whose value holds it, runs the event parser over a
 * copy in which every bad character is replaced by a letter, following the
 * path of mappings and lists to the scalar that covers it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "sg_buf.h"
#include "config_yaml_guard.h"

#define KEY_LEN 64				/* longest key kept for a field path */
#define PATH_LEN 256
#define NO_TARGET SIZE_MAX

/* a mapping or list that the event being read is inside */
typedef struct frame
{
	bool		mapping;
	bool		want_key;		/* mapping: its next node is a key */
	int			next;			/* list: index of its next item */
	int			item;			/* list: index of the current item */
	char		key[KEY_LEN];	/* mapping: the current key */
} frame;

/* the state of one pass over the events */
typedef struct walk
{
	frame		stack[SG_YAML_MAX_DEPTH];
	int			depth;
	int			nodes;			/* counts of the current document */
	int			anchors;
	int			aliases;
	size_t		target;			/* character index to look for, or NO_TARGET */
	bool		found;			/* a value scalar covers target */
	char		path[PATH_LEN];	/* that value's field */
	int			line;			/* and its line */
	sg_error   *err;
} walk;

/* ------------------------------------------------------------------------
 * characters
 * ------------------------------------------------------------------------ */

int
sg_utf8_char(const char *s, size_t left, unsigned *cp)
{
	const unsigned char *u = (const unsigned char *) s;
	int			n;
	unsigned	c;
	unsigned	min;

	if (left == 0)
		return 0;
	if (u[0] < 0x80)
	{
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0)
		n = 2, c = u[0] & 0x1f, min = 0x80;
	else if ((u[0] & 0xf0) == 0xe0)
		n = 3, c = u[0] & 0x0f, min = 0x800;
	else if ((u[0] & 0xf8) == 0xf0)
		n = 4, c = u[0] & 0x07, min = 0x10000;
	else
		return 0;
	if ((size_t) n > left)
		return 0;
	for (int i = 1; i < n; i++)
	{
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int
sg_describe_char(const char *s, size_t left, char *buf, size_t len)
{
	unsigned	cp;
	int			n = sg_utf8_char(s, left, &cp);

	if (n == 0)
	{
		snprintf(buf, len, "byte 0x%02X, which is not part of a UTF-8 character",
				 (unsigned char) s[0]);
		return 1;
	}
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		snprintf(buf, len, "U+%04X, a control character", cp);
	else if (cp == 0x2028)
		snprintf(buf, len, "U+2028, a line separator");
	else if (cp == 0x2029)
		snprintf(buf, len, "U+2029, a paragraph separator");
	else if (cp >= 0x20 && cp < 0x7f)
		snprintf(buf, len, "'%c'", (char) cp);
	else
		snprintf(buf, len, "U+%04X", cp);
	return n;
}

/* what YAML 1.1 allows in a text (libyaml's reader refuses the rest) */
static bool
yaml_printable(unsigned cp)
{
	return cp == 0x09 || cp == 0x0a || cp == 0x0d ||
		(cp >= 0x20 && cp <= 0x7e) || cp == 0x85 ||
		(cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
		(cp >= 0x10000 && cp <= 0x10ffff);
}

/* length of the character at s if YAML allows it there, else 0 */
static int
good_char(const char *s, size_t left)
{
	unsigned	cp;
	int			n = sg_utf8_char(s, left, &cp);

	return (n > 0 && yaml_printable(cp)) ? n : 0;
}

/* byte offset of the first bad character, or len if there is none */
static size_t
first_bad_char(const char *yaml, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		int			n = good_char(yaml + i, len - i);

		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

/* where offset is, as libyaml counts: characters after a leading BOM */
static size_t
char_index(const char *yaml, size_t offset)
{
	size_t		i = 0;
	size_t		index = 0;

	if (offset >= 3 && memcmp(yaml, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < offset)
	{
		i += good_char(yaml + i, offset - i);
		index++;
	}
	return index;
}

/* a copy of yaml with each byte of every bad character replaced by 'q' */
static char *
letters_for_bad_chars(const char *yaml, size_t len)
{
	char	   *copy = sg_malloc(len + 1);
	size_t		i = 0;

	memcpy(copy, yaml, len);
	copy[len] = '\0';
	while (i < len)
	{
		int			n = good_char(yaml + i, len - i);
		unsigned	cp;

		if (n > 0)
		{
			i += n;
			continue;
		}
		n = sg_utf8_char(yaml + i, len - i, &cp);
		if (n == 0)
			n = 1;
		memset(copy + i, 'q', n);
		i += n;
	}
	return copy;
}

/* ------------------------------------------------------------------------
 * the pass over the events
 * ------------------------------------------------------------------------ */

/* the path of the node being read, as sg_config names fields */
static void
build_path(const walk *w, char *buf, size_t len)
{
	size_t		n = 0;

	buf[0] = '\0';
	for (int i = 0; i < w->depth && n < len; i++)
	{
		const frame *f = &w->stack[i];

		if (f->mapping)
			n += snprintf(buf + n, len - n, "%s%s", n ? "." : "", f->key);
		else
			n += snprintf(buf + n, len - n, "[%d]", f->item);
	}
}

/*
 * A node starts: it takes its place in its parent.  Returns true when it
 * is a mapping key (then a scalar key's text is kept for the path).
 */
static bool
place_node(walk *w, const yaml_event_t *ev)
{
	frame	   *parent = w->depth > 0 ? &w->stack[w->depth - 1] : NULL;

	if (parent == NULL)
		return false;
	if (!parent->mapping)
	{
		parent->item = parent->next++;
		return false;
	}
	if (parent->want_key)
	{
		parent->want_key = false;
		snprintf(parent->key, sizeof(parent->key), "%s",
				 ev->type == YAML_SCALAR_EVENT ? (const char *) ev->data.scalar.value : "?");
		return true;
	}
	parent->want_key = true;
	return false;
}

/*
 * One more of what a document may hold at most limit of (count counts
 * them): false with err once there are too many.
 */
static bool
one_more(walk *w, const yaml_event_t *ev, int *count, int limit,
		 const char *what, const char *plural, const char *hint)
{
	if (++*count <= limit)
		return true;
	sg_error_set(w->err, SG_ERR_CONFIG, "YAML document has too many %s", plural);
	sg_error_detail(w->err, "The %s at line %zu, column %zu is number %d of its document; sgbackup allows %d, more than a StackGres resource needs.",
					what, ev->start_mark.line + 1, ev->start_mark.column + 1, *count, limit);
	sg_error_hint(w->err, "%s", hint);
	return false;
}

static bool
count_node(walk *w, const yaml_event_t *ev, const yaml_char_t *anchor)
{
	return (anchor == NULL ||
			one_more(w, ev, &w->anchors, SG_YAML_MAX_ALIASES, "anchor", "anchors",
					 "An anchor (&name) is needed only where an alias (*name) refers to it.")) &&
		one_more(w, ev, &w->nodes, SG_YAML_MAX_NODES, "node", "nodes",
				 "Every mapping, list, key and value is a node.");
}

static bool
enter_collection(walk *w, const yaml_event_t *ev, bool mapping)
{
	frame	   *f;

	if (w->depth == SG_YAML_MAX_DEPTH)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "YAML document is nested too deeply");
		sg_error_detail(w->err, "The %s at line %zu, column %zu is nested %d levels deep; sgbackup allows %d, more than a StackGres resource needs.",
						mapping ? "mapping" : "list", ev->start_mark.line + 1,
						ev->start_mark.column + 1, w->depth + 1, SG_YAML_MAX_DEPTH);
		sg_error_hint(w->err, "Check the document's brackets and indentation.");
		return false;
	}
	f = &w->stack[w->depth++];
	memset(f, 0, sizeof(*f));
	f->mapping = mapping;
	f->want_key = true;
	return true;
}

/* a scalar: is it the value that holds the target character? */
static void
look_for_target(walk *w, const yaml_event_t *ev, bool is_key)
{
	if (w->target == NO_TARGET || is_key ||
		w->target < ev->start_mark.index || w->target >= ev->end_mark.index)
		return;
	build_path(w, w->path, sizeof(w->path));
	w->line = (int) ev->start_mark.line + 1;
	w->found = true;
}

/* one event: false to stop (a limit passed, with err set, or target found) */
static bool
walk_event(walk *w, const yaml_event_t *ev)
{
	bool		is_key;

	switch (ev->type)
	{
		case YAML_DOCUMENT_START_EVENT:
			w->nodes = w->anchors = w->aliases = 0;
			return true;
		case YAML_ALIAS_EVENT:
			place_node(w, ev);
			return one_more(w, ev, &w->aliases, SG_YAML_MAX_ALIASES, "alias", "aliases",
							"Write the values out instead of referring to them with *aliases.");
		case YAML_SCALAR_EVENT:
			is_key = place_node(w, ev);
			look_for_target(w, ev, is_key);
			return !w->found && count_node(w, ev, ev->data.scalar.anchor);
		case YAML_SEQUENCE_START_EVENT:
			place_node(w, ev);
			return count_node(w, ev, ev->data.sequence_start.anchor) &&
				enter_collection(w, ev, false);
		case YAML_MAPPING_START_EVENT:
			place_node(w, ev);
			return count_node(w, ev, ev->data.mapping_start.anchor) &&
				enter_collection(w, ev, true);
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			w->depth--;
			return true;
		default:
			return true;
	}
}

/*
 * Run the event parser over yaml.  False only when a limit is passed (err
 * set); a syntax error ends the pass quietly, for the loader to report.
 */
static bool
walk_events(walk *w, const char *yaml, size_t len)
{
	yaml_parser_t parser;
	bool		ok = true;

	if (!yaml_parser_initialize(&parser))
		return sg_error_set(w->err, SG_ERR_INTERNAL, "could not initialize the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *) yaml, len);
	for (;;)
	{
		yaml_event_t ev;
		bool		end;

		if (!yaml_parser_parse(&parser, &ev))
			break;
		end = ev.type == YAML_STREAM_END_EVENT;
		ok = walk_event(w, &ev);
		yaml_event_delete(&ev);
		if (!ok || end)
			break;
	}
	yaml_parser_delete(&parser);
	return ok || w->found;
}

/* ------------------------------------------------------------------------
 * the checks
 * ------------------------------------------------------------------------ */

/* line and column (1-based, in characters) of offset, counting '\n' */
static void
line_and_column(const char *yaml, size_t offset, int *line, int *column)
{
	size_t		i = 0;

	*line = 1;
	*column = 1;
	while (i < offset)
	{
		int			n = good_char(yaml + i, offset - i);

		if (yaml[i] == '\n')
		{
			(*line)++;
			*column = 0;
		}
		i += n > 0 ? n : 1;
		(*column)++;
	}
}

/* the text holds a bad character at offset: name its field if it can */
static bool
bad_char_error(const char *yaml, size_t len, size_t offset, sg_error *err)
{
	char	   *copy = letters_for_bad_chars(yaml, len);
	char		what[96];
	walk		w;
	int			line;
	int			column;

	memset(&w, 0, sizeof(w));
	w.err = err;
	w.target = char_index(yaml, offset);
	sg_describe_char(yaml + offset, len - offset, what, sizeof(what));
	if (!walk_events(&w, copy, len))
	{
		free(copy);
		return false;			/* a limit, which the text breaks as well */
	}
	free(copy);
	if (w.found)
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid value for \"%s\"", w.path);
		sg_error_detail(err, "The value at line %d holds %s; YAML allows only printable UTF-8 characters in a document.",
						w.line, what);
	}
	else
	{
		line_and_column(yaml, offset, &line, &column);
		sg_error_set(err, SG_ERR_CONFIG, "invalid YAML: the text holds a character YAML does not allow");
		sg_error_detail(err, "At line %d, column %d the text holds %s.", line, column, what);
	}
	sg_error_hint(err, "Save the file as UTF-8; in a double-quoted string, write other characters as escapes such as \"\\t\".");
	return false;
}

/* UTF-16 with a byte order mark: libyaml reads it, the checks here do not */
static bool
is_utf16(const char *yaml, size_t len)
{
	return len >= 2 && (memcmp(yaml, "\xff\xfe", 2) == 0 || memcmp(yaml, "\xfe\xff", 2) == 0);
}

bool
sg_yaml_guard(const char *yaml, size_t len, sg_error *err)
{
	walk		w;
	size_t		bad;

	if (len > SG_YAML_MAX_BYTES)
	{
		sg_error_set(err, SG_ERR_CONFIG, "YAML text is too large");
		sg_error_detail(err, "It is %zu bytes; sgbackup reads at most %d bytes (1.5 MiB), the largest resource Kubernetes stores.",
						len, SG_YAML_MAX_BYTES);
		return false;
	}
	if (!is_utf16(yaml, len) && (bad = first_bad_char(yaml, len)) < len)
		return bad_char_error(yaml, len, bad, err);
	memset(&w, 0, sizeof(w));
	w.err = err;
	w.target = NO_TARGET;
	return walk_events(&w, yaml, len);
}
