/*
 * settings.h - the sgbackup.* settings (GUCs) of the server, and the
 * configuration in force built from them and from documents applied with
 * sgbackup_apply().
 */
#ifndef SGBACKUP_SETTINGS_H
#define SGBACKUP_SETTINGS_H

#include "s3_client.h"
#include "sg_error.h"
#include "sg_settings.h"

extern char *sgb_database;

/* define every sgbackup.* setting; called from _PG_init */
extern void sgb_define_settings(void);

/*
 * Build the configuration in force from the settings and the applied
 * documents (read from the data directory, so it works in processes
 * without catalog access such as the archiver).
 */
extern bool sgb_load_options(sg_options *o, sg_error *err);

/* load the configuration in force and connect; ERROR on failure */
extern s3_client *sgb_connect(sg_options *o);

/* report an sg_error at elevel, with errdetail and errhint */
extern void sgb_report(int elevel, const sg_error *err);

#endif							/* SGBACKUP_SETTINGS_H */
