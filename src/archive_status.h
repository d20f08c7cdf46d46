/*
 * archive_status.h - what the archive module did, in shared memory, for
 * the sgbackup.archiver view.  Present only when sgbackup is in
 * shared_preload_libraries; without it the archive module still works
 * and the view says so.
 */
#ifndef SGBACKUP_ARCHIVE_STATUS_H
#define SGBACKUP_ARCHIVE_STATUS_H

#include <stdint.h>

/* called by the archive module after each file */
extern void sgb_archiver_report_success(const char *file, int64_t original_bytes,
										int64_t stored_bytes, bool already_stored);
extern void sgb_archiver_report_failure(const char *file, const char *message);

/* counted by a commit that applied configuration; read by the archive module */
extern void sgb_archiver_note_config_change(void);
extern bool sgb_archiver_config_changes(uint64_t *count);

#endif							/* SGBACKUP_ARCHIVE_STATUS_H */
