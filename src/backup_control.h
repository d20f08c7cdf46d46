/*
 * backup_control.h - server-side pieces of a backup's metadata: the
 * pg_controldata fields, the object storage used (without secrets), and
 * the check of backup names shared by the SQL functions and the target.
 */
#ifndef SGBACKUP_BACKUP_CONTROL_H
#define SGBACKUP_BACKUP_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "config_storage.h"

/* malloc'ed JSON objects */
extern char *sgb_controldata_json(void);
extern char *sgb_storage_json(const sg_storage *s);

#endif							/* SGBACKUP_BACKUP_CONTROL_H */
