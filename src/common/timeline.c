/*
 * timeline.c - WAL file names and timeline history files (see timeline.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_meta.h"
#include "sg_buf.h"
#include "timeline.h"

/* ---------------------------------------------------------------- */
/* WAL file names */

static bool
is_hex(const char *s, size_t len)
{
	return strspn(s, "0123456789ABCDEF") >= len;
}

wal_file_kind
wal_file_parse(const char *name, uint32_t *tli, uint64_t *pos)
{
	size_t		len = strlen(name);
	uint32_t	t,
				log,
				seg;
	wal_file_kind kind;

	if (len == 16 && is_hex(name, 8) && strcmp(name + 8, ".history") == 0)
	{
		if (!sg_parse_hex32(name, 8, &t))
			return WAL_FILE_OTHER;
		if (tli)
			*tli = t;
		return WAL_FILE_HISTORY;
	}
	if (len < 24 || !is_hex(name, 24))
		return WAL_FILE_OTHER;
	if (len == 24)
		kind = WAL_FILE_SEGMENT;
	else if (len == 32 && strcmp(name + 24, ".partial") == 0)
		kind = WAL_FILE_PARTIAL;
	else if (len == 40 && name[24] == '.' && is_hex(name + 25, 8) &&
			 strcmp(name + 33, ".backup") == 0)
		kind = WAL_FILE_BACKUP;
	else
		return WAL_FILE_OTHER;
	if (!sg_parse_hex32(name, 8, &t) ||
		!sg_parse_hex32(name + 8, 8, &log) ||
		!sg_parse_hex32(name + 16, 8, &seg))
		return WAL_FILE_OTHER;
	if (tli)
		*tli = t;
	if (pos)
		*pos = ((uint64_t) log << 32) | seg;
	return kind;
}

bool
wal_segment_size_valid(uint64_t seg_size)
{
	return seg_size >= (1u << 20) && seg_size <= (1u << 30) &&
		(seg_size & (seg_size - 1)) == 0;
}

uint64_t
wal_segno_of(uint64_t lsn, uint64_t seg_size)
{
	return lsn / seg_size;
}

/* segments per "log" (the middle 8 hex digits of a name) */
static uint64_t
segments_per_log(uint64_t seg_size)
{
	return UINT64_C(0x100000000) / seg_size;
}

void
wal_segment_name(char out[25], uint32_t tli, uint64_t segno, uint64_t seg_size)
{
	uint64_t	per = segments_per_log(seg_size);

	snprintf(out, 25, "%08X%08X%08X", tli, (uint32_t) (segno / per),
			 (uint32_t) (segno % per));
}

bool
wal_segno_of_pos(uint64_t pos, uint64_t seg_size, uint64_t *segno)
{
	uint64_t	per = segments_per_log(seg_size);
	uint64_t	seg = pos & 0xFFFFFFFF;

	if (seg >= per)
		return false;
	*segno = (pos >> 32) * per + seg;
	return true;
}

/* ---------------------------------------------------------------- */
/* history files */

bool
timeline_history_line(const char *s, size_t len, timeline_parent *out, bool *skip)
{
	const char *end = s + len;
	const char *tab;
	uint64_t	parent = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*skip = s == end || *s == '#';
	if (*skip)
		return true;
	for (; s < end && *s >= '0' && *s <= '9'; s++)
	{
		parent = parent * 10 + (*s - '0');
		if (parent > UINT32_MAX)
			return false;
	}
	if (s == end || *s != '\t')
		return false;
	s++;
	tab = memchr(s, '\t', end - s);
	out->tli = (uint32_t) parent;
	return sg_parse_lsn(s, (tab ? tab : end) - s, &out->end);
}

static bool
history_invalid(sg_error *err, uint32_t tli, int line, const char *why)
{
	sg_error_set(err, SG_ERR_CORRUPT, "invalid history file %08X.history", tli);
	sg_error_detail(err, "Line %d %s.", line, why);
	return false;
}

bool
timeline_history_parse(const char *text, size_t len, uint32_t tli,
					   timeline_history *out, sg_error *err)
{
	const char *end = text + len;
	size_t		cap = 0;
	int			line = 0;

	memset(out, 0, sizeof(*out));
	out->tli = tli;
	for (const char *p = text; p < end;)
	{
		const char *eol = memchr(p, '\n', end - p);
		const char *line_end = eol ? eol : end;
		timeline_parent e;
		bool		skip;
		bool		ok;

		line++;
		ok = timeline_history_line(p, line_end - p, &e, &skip);
		p = eol ? eol + 1 : end;
		if (ok && skip)
			continue;
		if (!ok)
			history_invalid(err, tli, line, "is not \"parentTLI<tab>switchpoint<tab>reason\"");
		else if (out->n > 0 && e.tli <= out->parents[out->n - 1].tli)
			ok = history_invalid(err, tli, line, "names a timeline not above the one before it");
		else if (e.tli == 0 || e.tli >= tli)
			ok = history_invalid(err, tli, line, "names a timeline that cannot be an ancestor");
		if (!ok)
		{
			timeline_history_free(out);
			return false;
		}
		out->parents = sg_array_grow(out->parents, sizeof(timeline_parent), out->n, &cap, 4);
		out->parents[out->n++] = e;
	}
	return true;
}

void
timeline_history_free(timeline_history *h)
{
	free(h->parents);
	memset(h, 0, sizeof(*h));
}

const timeline_parent *
timeline_history_find(const timeline_history *h, uint32_t tli)
{
	for (int i = 0; h != NULL && i < h->n; i++)
	{
		if (h->parents[i].tli == tli)
			return &h->parents[i];
	}
	return NULL;
}

uint32_t
timeline_of_segment(const timeline_history *h, uint32_t tli, uint64_t segno,
					uint64_t seg_size)
{
	int			n = h ? h->n : 0;

	/* entry i's WAL starts where entry i - 1 left off; the first at 0 */
	if (n == 0 || wal_segno_of(h->parents[n - 1].end, seg_size) <= segno)
		return h ? h->tli : tli;
	for (int i = n - 1; i > 0; i--)
	{
		if (wal_segno_of(h->parents[i - 1].end, seg_size) <= segno)
			return h->parents[i].tli;
	}
	return h->parents[0].tli;
}
