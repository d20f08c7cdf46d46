/*
 * cli_config.h - the program's configuration: a --config YAML file
 * (SGObjectStorage, optionally an SGCluster) and SGBACKUP_* environment
 * variables, the file winning over the environment.
 */
#ifndef SG_CLI_CONFIG_H
#define SG_CLI_CONFIG_H

#include "config.h"

/* load the configuration; config_path may be NULL */
extern bool cli_load_config(const char *config_path, sg_config *o, sg_error *err);

/* print err to stderr as "sgbackup: msg" with DETAIL and HINT lines */
extern void cli_report(const sg_error *err);

#endif							/* SG_CLI_CONFIG_H */
