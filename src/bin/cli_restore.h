/*
 * cli_restore.h - the commands that read whole backups back:
 * `sgbackup restore` (cli_restore.c) and `sgbackup verify`
 * (cli_verify.c).  Each takes the arguments from its command name on and
 * parses its own options.
 */
#ifndef SG_CLI_RESTORE_H
#define SG_CLI_RESTORE_H

extern int	cmd_restore(int argc, char **argv, const char *config_path);
extern int	cmd_verify(int argc, char **argv, const char *config_path);

#endif							/* SG_CLI_RESTORE_H */
