/*
 * backup_select.h - what a restore and a verify decide from the catalog
 * and the names under wal/, without I/O: the backup that can reach a
 * recovery target along the target timeline's history, the target
 * timeline "latest", and whether the WAL a backup needs is all archived
 * on the right timelines.  timeline.h reads the names and history files.
 */
#ifndef SG_BACKUP_SELECT_H
#define SG_BACKUP_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup_meta.h"
#include "sg_error.h"
#include "timeline.h"

/* the name that asks for the newest backup that can reach the target */
#define BACKUP_LATEST "LATEST"

typedef enum restore_target_kind
{
	RESTORE_TARGET_NONE,		/* replay all the archived WAL */
	RESTORE_TARGET_TIME,
	RESTORE_TARGET_LSN,
	RESTORE_TARGET_XID,
	RESTORE_TARGET_NAME,
	RESTORE_TARGET_IMMEDIATE	/* stop once consistent */
} restore_target_kind;

/* a recovery target, as recovery_target_* and recovery_target_timeline say */
typedef struct restore_target
{
	restore_target_kind kind;
	int64_t		time_usec;		/* TIME: Unix microseconds */
	uint64_t	lsn;			/* LSN */
	uint64_t	xid;			/* XID */
	const char *name;			/* NAME: a restore point */
	uint32_t	timeline;		/* the target timeline; 0: latest, resolved by the caller */
	bool		timeline_current;	/* "current": each backup's own timeline */
} restore_target;

/*
 * Can backup b reach target t?  Along the target timeline (history h: the
 * history of t->timeline, NULL when it has no ancestors) b's timeline must
 * be the target timeline, or an ancestor that the target's line of
 * history left at or after b's stop LSN; with timeline_current any
 * timeline will do.  A time target must come at or after b's finish time
 * (its recorded end, at or after its consistent point), an LSN target at
 * or after its stop LSN.  XID and restore point targets cannot be judged
 * from the metadata and are not.  False with why (a sentence) when not;
 * b's status is not looked at.
 */
extern bool backup_reaches_target(const backup_info *b, const restore_target *t,
								  const timeline_history *h, char *why, size_t whysize);

/*
 * The backup to restore for target t: name, or BACKUP_LATEST for the
 * newest completed backup (in the order of backup_order_cmp, by finish
 * time) that can reach it (backup_reaches_target).  A given name must be
 * a completed backup that can reach it.  Returns its index in backups, or
 * -1 with err: SG_ERR_NOT_FOUND for a name that does not exist or no
 * backup at all, SG_ERR_CONFIG for a backup that is not completed or
 * cannot reach the target (the reason in the detail).
 */
extern int	backup_select(const backup_info *backups, int n, const char *name,
						  const restore_target *t, const timeline_history *h,
						  sg_error *err);

/*
 * The target timeline "latest" given the names under wal/: the highest
 * timeline with a history file, else the highest timeline of a segment,
 * else 1.
 */
extern uint32_t wal_latest_timeline(char *const *wal_names, int n);

/*
 * The newest segment archived along the history h of timeline tli (h
 * NULL: on tli alone): of the segments named, the one with the highest
 * number that recovery along that history reads (timeline_of_segment).
 * False when there is none; else its name, and the LSN where its WAL ends.
 */
extern bool wal_newest_segment(char *const *wal_names, int n, uint64_t seg_size,
							   uint32_t tli, const timeline_history *h,
							   char name[25], uint64_t *end_lsn);

/* what wal_chain_check found */
typedef struct wal_chain
{
	bool		complete;		/* every segment from first to last is archived */
	char		first[25];		/* the first segment needed */
	char		last[25];		/* the last one: the stop's, or the newest archived */
	char		first_missing[25];	/* "" when complete */
	uint64_t	nsegments;		/* segments from first to last */
} wal_chain;

/*
 * Is the WAL from start_lsn on timeline start_tli to stop_lsn (exclusive:
 * the last segment needed holds the byte before it) on end_tli all under
 * wal/, each segment on the timeline that recovery along end_tli's
 * history h (NULL when end_tli has no ancestors) reads it from?  Segments
 * before a switch point come from the parent, the one holding it and
 * those after from the child.  stop_lsn 0: to the newest segment archived
 * along that history (wal_newest_segment), and at least the start's.
 * .partial files do not count.  False with err when the arguments do not
 * fit together (start_tli not on end_tli's line of history at start_lsn,
 * a stop before the start, a bad segment size).
 */
extern bool wal_chain_check(char *const *wal_names, int n, uint64_t seg_size,
							uint32_t start_tli, uint64_t start_lsn,
							uint32_t end_tli, uint64_t stop_lsn,
							const timeline_history *h, wal_chain *out,
							sg_error *err);

#endif							/* SG_BACKUP_SELECT_H */
