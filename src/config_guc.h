/*
 * config_guc.h - the sgbackup.* settings (GUCs) of the server, and the
 * configuration in force built from them and from documents applied with
 * sgbackup_apply().
 */
#ifndef SGBACKUP_CONFIG_GUC_H
#define SGBACKUP_CONFIG_GUC_H

#include "s3_client.h"
#include "store.h"
#include "sg_error.h"
#include "config.h"

extern char *sgb_database;

/*
 * Counts assignments of the settings the configuration is made from, in
 * this process (at start and at each reload): a change of it means that
 * the configuration may have changed.
 */
extern uint64 sgb_settings_changes;

/* define every sgbackup.* setting; called from _PG_init */
extern void sgb_define_settings(void);

/*
 * Build the configuration in force from the settings and the applied
 * documents (read from the data directory, so it works in processes
 * without catalog access such as the archiver).
 */
extern bool sgb_load_config(sg_config *o, sg_error *err);

/*
 * Load the configuration in force into o (initialized here; free it with
 * sg_config_free) and open its store: the directory
 * sgbackup.repository_path, else the bucket.  limits may be NULL.  NULL
 * with err on failure.
 */
extern sg_store *sgb_open_store(sg_config *o, const s3_limits *limits,
								sg_error *err);

/* most parts of one multipart upload (sgbackup.max_upload_parts) */
extern int	sgb_max_upload_parts;

#endif							/* SGBACKUP_CONFIG_GUC_H */
