/*
 * config_emit.h - StackGres documents written back as YAML (libyaml's
 * emitter), in the form config_stackgres.h reads to an equal one.
 */
#ifndef SG_CONFIG_EMIT_H
#define SG_CONFIG_EMIT_H

#include "config_stackgres.h"

/*
 * Serialize a storage spec to a small YAML SGObjectStorage document that
 * sg_parse_documents reads back identically (used to hand a spec applied
 * with sgbackup_apply to the archiver through a file).  s->name must be
 * set; ca_file has no SGObjectStorage field and is not written.  NULL only
 * if libyaml fails.
 */
extern char *sg_storage_to_yaml(const sg_storage *s);

/*
 * Serialize a backups section to a minimal SGCluster document (metadata.name
 * "applied") that sg_parse_documents reads back to an equal one
 * (sg_cluster_backups_equal).  NULL if c->object_storage is not set, or if
 * libyaml fails.
 */
extern char *sg_cluster_backups_to_yaml(const sg_cluster_backups *c);

#endif							/* SG_CONFIG_EMIT_H */
