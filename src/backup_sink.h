/*
 * backup_sink.h - declarations of PostgreSQL's base backup sink and target
 * API (src/include/backup/basebackup_sink.h and basebackup_target.h),
 * which PostgreSQL 15 to 17 do not install.  The layouts below are those
 * of 15, 16 and 17; check them again for each new major version.
 */
#ifndef SGBACKUP_BACKUP_SINK_H
#define SGBACKUP_BACKUP_SINK_H

#include "access/xlogdefs.h"
#include "nodes/pg_list.h"

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 180000
#error "the base backup sink layout is only known for PostgreSQL 15 to 17"
#endif

typedef struct bbsink bbsink;
typedef struct bbsink_ops bbsink_ops;

typedef struct bbsink_state
{
	List	   *tablespaces;
	int			tablespace_num;
	uint64		bytes_done;
	uint64		bytes_total;
	bool		bytes_total_is_valid;
	XLogRecPtr	startptr;
	TimeLineID	starttli;
} bbsink_state;

struct bbsink
{
	const bbsink_ops *bbs_ops;
	char	   *bbs_buffer;
	size_t		bbs_buffer_length;
	bbsink	   *bbs_next;
	bbsink_state *bbs_state;
};

struct bbsink_ops
{
	void		(*begin_backup) (bbsink *sink);
	void		(*begin_archive) (bbsink *sink, const char *archive_name);
	void		(*archive_contents) (bbsink *sink, size_t len);
	void		(*end_archive) (bbsink *sink);
	void		(*begin_manifest) (bbsink *sink);
	void		(*manifest_contents) (bbsink *sink, size_t len);
	void		(*end_manifest) (bbsink *sink);
	void		(*end_backup) (bbsink *sink, XLogRecPtr endptr, TimeLineID endtli);
	void		(*cleanup) (bbsink *sink);
};

extern void bbsink_forward_begin_backup(bbsink *sink);
extern void bbsink_forward_begin_archive(bbsink *sink, const char *archive_name);
extern void bbsink_forward_archive_contents(bbsink *sink, size_t len);
extern void bbsink_forward_end_archive(bbsink *sink);
extern void bbsink_forward_begin_manifest(bbsink *sink);
extern void bbsink_forward_manifest_contents(bbsink *sink, size_t len);
extern void bbsink_forward_end_manifest(bbsink *sink);
extern void bbsink_forward_end_backup(bbsink *sink, XLogRecPtr endptr,
									  TimeLineID endtli);
extern void bbsink_forward_cleanup(bbsink *sink);

extern void BaseBackupAddTarget(char *name,
								void *(*check_detail) (char *, char *),
								bbsink *(*get_sink) (bbsink *, void *));

#endif							/* SGBACKUP_BACKUP_SINK_H */
