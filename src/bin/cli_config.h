/*
 * cli_config.h - the program's configuration: a --config YAML file
 * (SGObjectStorage, optionally an SGCluster) and SGBACKUP_* environment
 * variables, the file winning over the environment.
 */
#ifndef SGBACKUP_CLI_CONFIG_H
#define SGBACKUP_CLI_CONFIG_H

#include "sg_settings.h"

/* load the configuration; config_path may be NULL */
extern bool cli_load_options(const char *config_path, sg_options *o, sg_error *err);

/* print err to stderr as "sgbackup: msg" with DETAIL and HINT lines */
extern void cli_report(const sg_error *err);

#endif							/* SGBACKUP_CLI_CONFIG_H */
