/*
 * privileges.c - who may do what with sgbackup (see privileges.h).
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"

#include "privileges.h"

/* a member (with its privileges) of the named role; false if it does not exist */
static bool
has_role(const char *name)
{
	Oid			role = get_role_oid(name, true);

	return OidIsValid(role) && has_privs_of_role(GetUserId(), role);
}

bool
sgb_may_take_backups(void)
{
	return superuser() || has_role(SGB_OPERATOR_ROLE);
}

void
sgb_require_backup_privilege(const char *what)
{
	if (!sgb_may_take_backups())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", what),
				 errdetail("Only superusers and members of %s may start, delete and retain backups.",
						   SGB_OPERATOR_ROLE),
				 errhint("A superuser can GRANT %s TO the role.", SGB_OPERATOR_ROLE)));
}

void
sgb_require_read_privilege(const char *what)
{
	if (superuser() || has_role(SGB_OPERATOR_ROLE) ||
		has_privs_of_role(GetUserId(), ROLE_PG_MONITOR))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to read %s", what),
			 errdetail("Only superusers and members of pg_monitor or %s may see sgbackup's state, which names the bucket, its endpoint and failures.",
					   SGB_OPERATOR_ROLE)));
}

void
sgb_require_config_privilege(void)
{
	if (superuser())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to apply sgbackup configuration"),
			 errdetail("Only superusers may apply configuration: it decides where WAL and backups are stored."),
			 errhint("Ask a superuser to run sgbackup_apply.")));
}
