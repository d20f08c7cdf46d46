/*
 * cli_target.h - the recovery target of `sgbackup restore`: the command
 * line's --target-* options (or an SGCluster's
 * spec.initialData.restore.fromBackup.pointInTimeRecovery), which backup
 * can reach it, the checks against the backup and the archived WAL, and
 * the recovery settings written for the server.
 */
#ifndef SG_CLI_TARGET_H
#define SG_CLI_TARGET_H

#include "backup_meta.h"
#include "backup_select.h"
#include "config.h"
#include "sg_buf.h"
#include "store.h"

typedef struct cli_target
{
	restore_target t;			/* what backup_select reads */
	int			ngiven;			/* --target-* options given (at most 1) */
	char	   *value;			/* the setting's value: the time in UTC, the LSN, ... */
	char	   *timeline;		/* "latest" (default), "current" or a number */
	bool		exclusive;
} cli_target;

extern void cli_target_init(cli_target *t);
extern void cli_target_free(cli_target *t);
/* one option of getopt (the letters of cli_restore.c's table) */
extern bool cli_target_option(cli_target *t, int opt, const char *arg, sg_error *err);
/* after the options: at most one target, --target-exclusive only with one */
extern bool cli_target_finish(cli_target *t, sg_error *err);
/*
 * The SGCluster's spec.initialData.restore: the backup name when *name is
 * NULL, the time when no target was given
 */
extern bool cli_target_from_config(cli_target *t, const sg_config *o,
								   const char **name, sg_error *err);
/* "time 2026-12-02 04:00:00+00", "immediate", "end of the archived WAL" */
extern const char *cli_target_text(const cli_target *t);

/*
 * The backup to restore: NAME, or LATEST = the newest completed backup
 * that can reach the target on the target timeline; refused when the
 * target is beyond the newest archived WAL.  Index into list, or -1.
 */
extern int	cli_choose_backup(sg_store *st, const backup_info *list, int n,
							  const char *name, cli_target *t, sg_error *err);

/* the backup's major version is that of the postgres found next to us or on PATH */
extern bool cli_check_server_version(const backup_info *b, sg_error *err);

/* postgresql.auto.conf lines: restore_command, the target, promote */
extern void cli_recovery_settings(const cli_target *t, const char *config_path,
								  const backup_info *b, sg_buf *out);

#endif							/* SG_CLI_TARGET_H */
