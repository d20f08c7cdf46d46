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

/* letters, digits, '-', '_', '.'; 1 to 200 characters */
extern bool sgb_backup_name_ok(const char *name, size_t len);

#endif							/* SGBACKUP_BACKUP_CONTROL_H */
