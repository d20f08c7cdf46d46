/*
 * backend.c - src/common's reports and requests in the backend (see
 * backend.h): sg_error to ereport, S3 limits that stop on cancel or exit,
 * the preload check.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "backend.h"

static int
errcode_for(const sg_error *err)
{
	switch (err->kind)
	{
		case SG_ERR_CONFIG:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case SG_ERR_CREDENTIALS:
			return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
		case SG_ERR_PERMISSION:
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		case SG_ERR_NOT_FOUND:
			return ERRCODE_UNDEFINED_OBJECT;
		case SG_ERR_CONFLICT:
			return ERRCODE_DUPLICATE_OBJECT;
		case SG_ERR_CORRUPT:
			return ERRCODE_DATA_CORRUPTED;
		case SG_ERR_NETWORK:
			return ERRCODE_CONNECTION_FAILURE;
		case SG_ERR_SERVER:
			return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
		case SG_ERR_IO:
			return ERRCODE_IO_ERROR;
		default:
			return ERRCODE_INTERNAL_ERROR;
	}
}

void
sgb_require_preloaded(const void *shared_state)
{
	if (shared_state == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("sgbackup is not in shared_preload_libraries"),
				 errhint("Add sgbackup to shared_preload_libraries and restart the server.")));
}

/* cancel_fn of sgb_backend_limits: only reads the flags signal handlers set */
static bool
interrupted(void *arg)
{
	return QueryCancelPending || ProcDiePending;
}

s3_limits
sgb_backend_limits(void)
{
	s3_limits	limits = {0};

	limits.cancel_fn = interrupted;
	return limits;
}

void
sgb_report(int elevel, const sg_error *err)
{
	if (elevel >= ERROR)
		CHECK_FOR_INTERRUPTS();
	ereport(elevel,
			(errcode(errcode_for(err)),
			 errmsg("%s", err->msg),
			 err->detail[0] ? errdetail("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
}
