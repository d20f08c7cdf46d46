/*
 * privileges.h - who may do what with sgbackup, checked in C by every SQL
 * function (the SQL script grants the same, so a stray GRANT cannot widen
 * it):
 *
 *   superusers                 everything; only they apply configuration
 *   sgbackup_operator members  start, delete, retain backups; read the views
 *   pg_monitor members         read the views
 */
#ifndef SGBACKUP_PRIVILEGES_H
#define SGBACKUP_PRIVILEGES_H

#include <stdbool.h>

#define SGB_OPERATOR_ROLE "sgbackup_operator"

/* superuser or member of sgbackup_operator; needs catalog access */
extern bool sgb_may_take_backups(void);

/* ERROR unless the current user may start, delete or retain backups */
extern void sgb_require_backup_privilege(const char *what);

/* ERROR unless the current user may read the views */
extern void sgb_require_read_privilege(const char *what);

/* ERROR unless the current user is a superuser */
extern void sgb_require_config_privilege(void);

#endif							/* SGBACKUP_PRIVILEGES_H */
