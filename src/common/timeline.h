/*
 * timeline.h - WAL file names and timeline history files as PostgreSQL
 * writes them, read without I/O: which timeline and segment a name under
 * wal/ stands for, the text of a "NNNNNNNN.history" file, and the line of
 * history it describes (which timeline holds which segment).  Shared by
 * retention (backup_retention.h) and the choice of a backup for a restore
 * (backup_select.h).
 */
#ifndef SG_TIMELINE_H
#define SG_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

/* PostgreSQL's default WAL segment size */
#define WAL_DEFAULT_SEGMENT_SIZE	(16 * 1024 * 1024)

/* what a name under wal/ is */
typedef enum wal_file_kind
{
	WAL_FILE_OTHER,				/* not a name PostgreSQL archives */
	WAL_FILE_SEGMENT,			/* 000000010000000000000002 */
	WAL_FILE_PARTIAL,			/* 000000010000000000000002.partial */
	WAL_FILE_BACKUP,			/* 000000010000000000000002.00000028.backup */
	WAL_FILE_HISTORY			/* 00000002.history */
} wal_file_kind;

/*
 * What name is; *tli its timeline (all but OTHER) and, for a segment,
 * .partial or .backup file, *pos = log << 32 | seg from its name (the
 * order of segments whatever their size).  Either output may be NULL.
 */
extern wal_file_kind wal_file_parse(const char *name, uint32_t *tli, uint64_t *pos);

/*
 * Segment numbers for a segment size (a power of 2 from 1 MiB to 1 GiB;
 * wal_segment_size_valid says so): the number of the segment holding the
 * byte at lsn, and the name of segment segno on timeline tli.
 */
extern bool wal_segment_size_valid(uint64_t seg_size);
extern uint64_t wal_segno_of(uint64_t lsn, uint64_t seg_size);
extern void wal_segment_name(char out[25], uint32_t tli, uint64_t segno, uint64_t seg_size);
/* the segment number of *pos (wal_file_parse); false if seg_size cannot have named it */
extern bool wal_segno_of_pos(uint64_t pos, uint64_t seg_size, uint64_t *segno);

/* one ancestor in a history file: a timeline and where this line of history left it */
typedef struct timeline_parent
{
	uint32_t	tli;
	uint64_t	end;			/* the switch point: the child's WAL starts here */
} timeline_parent;

/* the history of timeline tli: its ancestors, oldest first */
typedef struct timeline_history
{
	uint32_t	tli;
	int			n;
	timeline_parent *parents;
} timeline_history;

/*
 * Parse one line (without its newline) as PostgreSQL writes it
 * (timeline.c): "parentTLI<TAB>switchpoint<TAB>reason", the reason
 * optional.  *skip for blank lines and comments.  False when it is neither.
 */
extern bool timeline_history_line(const char *s, size_t len, timeline_parent *out,
								  bool *skip);

/*
 * Parse the text of timeline tli's history file into out (free with
 * timeline_history_free).  False with err (SG_ERR_CORRUPT) when it is not
 * a valid one: a line that does not parse, or ancestors that are not in
 * ascending order, each below tli, as PostgreSQL requires.
 */
extern bool timeline_history_parse(const char *text, size_t len, uint32_t tli,
								   timeline_history *out, sg_error *err);
extern void timeline_history_free(timeline_history *h);

/* the ancestor entry of timeline tli in h, or NULL (h may be NULL) */
extern const timeline_parent *timeline_history_find(const timeline_history *h,
													uint32_t tli);

/*
 * The timeline whose WAL recovery along h reads for segment segno (h is
 * the history of the timeline recovery follows, NULL for one without
 * ancestors, whose tli is then given): the newest timeline of the line of
 * history whose WAL starts at or before that segment.  The segment
 * holding a switch point is read from the child, as PostgreSQL archives it
 * there.
 */
extern uint32_t timeline_of_segment(const timeline_history *h, uint32_t tli,
									uint64_t segno, uint64_t seg_size);

#endif							/* SG_TIMELINE_H */
