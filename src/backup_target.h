/*
 * backup_target.h - the base backup target "sgbackup".
 *
 * BASE_BACKUP (TARGET 'sgbackup', TARGET_DETAIL '<name>[:permanent]')
 * makes the server's own base backup (tar archives, already compressed by
 * the server, and backup_manifest) flow into a sink that uploads each
 * archive to backups/<name>/ with parallel multipart uploads, then writes
 * metadata.json last.  The output is exactly pg_basebackup's tar format,
 * so pg_verifybackup checks a downloaded copy.
 */
#ifndef SGBACKUP_BACKUP_TARGET_H
#define SGBACKUP_BACKUP_TARGET_H

/* register the target; from _PG_init of a preloaded library */
extern void sgb_register_backup_target(void);

#endif							/* SGBACKUP_BACKUP_TARGET_H */
