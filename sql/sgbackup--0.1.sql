-- sgbackup 0.1: WAL archiving and base backups to S3.
\echo Use "CREATE EXTENSION sgbackup" to load this file. \quit

-- Like pg_cron: the functions live in pg_catalog so that they can be called
-- unqualified; tables and views live in the schema sgbackup.
--
-- Who may do what (nothing is executable by PUBLIC):
--   superusers                 everything; only they apply configuration
--   sgbackup_operator members  start, delete and retain backups; read the views
--   pg_monitor members         read the views (they show bucket, prefix,
--                              endpoint and failure texts, like pg_stat_archiver
--                              and the settings pg_monitor already reads)
-- The C functions check the same rules, so a stray GRANT cannot widen them.
CREATE SCHEMA sgbackup;
GRANT USAGE ON SCHEMA sgbackup TO PUBLIC;

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sgbackup_operator') THEN
		CREATE ROLE sgbackup_operator NOLOGIN;
	END IF;
END
$$;

-- The configuration applied with sgbackup_apply(): SGObjectStorage specs by
-- metadata.name, and the backups section of the SGCluster.  These tables
-- are the source of truth and what SELECT shows is what is in force: the
-- archiver (which has no database connection) reads copies in
-- $PGDATA/sgbackup/ that are written when the applying transaction commits.
-- The specs hold secret key selectors (names of files), never secret values.
CREATE TABLE sgbackup.object_storage (
	name text PRIMARY KEY,
	spec text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sgbackup.cluster_backups (
	spec text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cluster_backups_one_row ON sgbackup.cluster_backups ((true));
REVOKE ALL ON sgbackup.object_storage, sgbackup.cluster_backups FROM PUBLIC;

-- any change to them (sgbackup_apply, or a superuser's DELETE) rewrites the
-- files at commit, checked first
CREATE FUNCTION sgbackup.config_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'sgbackup_config_changed'
LANGUAGE C;
REVOKE ALL ON FUNCTION sgbackup.config_changed() FROM PUBLIC;
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON sgbackup.object_storage FOR EACH STATEMENT EXECUTE FUNCTION sgbackup.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON sgbackup.cluster_backups FOR EACH STATEMENT EXECUTE FUNCTION sgbackup.config_changed();

CREATE FUNCTION pg_catalog.sgbackup_apply(manifest text)
RETURNS text
AS 'MODULE_PATHNAME', 'sgbackup_apply'
LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION pg_catalog.sgbackup_apply(text) FROM PUBLIC;
-- only superusers may apply (checked in C); operators may call it so that
-- the refusal tells them why
GRANT EXECUTE ON FUNCTION pg_catalog.sgbackup_apply(text) TO sgbackup_operator;

CREATE FUNCTION sgbackup.archiver_status(
	OUT last_archived_wal text,
	OUT last_archived_time timestamptz,
	OUT last_failed_wal text,
	OUT last_failed_time timestamptz,
	OUT last_failure text,
	OUT archived_count bigint,
	OUT already_stored_count bigint,
	OUT archived_bytes bigint,
	OUT stored_bytes bigint,
	OUT failed_count bigint,
	OUT backlog bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'sgbackup_archiver_status'
LANGUAGE C STRICT VOLATILE;

-- what the archive module did: last archived WAL and time, last failure
-- and its message, files and bytes pushed, and the backlog in pg_wal
CREATE VIEW sgbackup.archiver AS
	SELECT * FROM sgbackup.archiver_status();

-- base backups ---------------------------------------------------------------

CREATE FUNCTION pg_catalog.sgbackup_start(fast boolean DEFAULT true,
	permanent boolean DEFAULT false, wait boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'sgbackup_start'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION pg_catalog.sgbackup_apply_retention(OUT kind text, OUT name text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sgbackup_apply_retention'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION pg_catalog.sgbackup_delete(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sgbackup_delete'
LANGUAGE C STRICT VOLATILE;

-- the checks of `sgbackup verify NAME|LATEST`: one row per check
CREATE FUNCTION pg_catalog.sgbackup_verify(name text, OUT "check" text,
	OUT ok boolean, OUT detail text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sgbackup_verify'
LANGUAGE C STRICT VOLATILE;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY['sgbackup_start(boolean, boolean, boolean)',
							 'sgbackup_apply_retention()', 'sgbackup_delete(text)',
							 'sgbackup_verify(text)'] LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION pg_catalog.%s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION pg_catalog.%s TO sgbackup_operator', f);
	END LOOP;
END
$$;

CREATE FUNCTION sgbackup.backups_list(
	OUT name text, OUT status text, OUT permanent boolean,
	OUT start_lsn pg_lsn, OUT stop_lsn pg_lsn, OUT timeline bigint,
	OUT start_wal text, OUT stop_wal text,
	OUT size_bytes bigint, OUT compressed_bytes bigint,
	OUT started_at timestamptz, OUT finished_at timestamptz,
	OUT pg_version text, OUT system_identifier text, OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sgbackup_backups'
LANGUAGE C STRICT VOLATILE;

-- every backup in object storage, oldest first (newest last): completed
-- backups by when they finished, the others by when they started
CREATE VIEW sgbackup.backups AS
	SELECT * FROM sgbackup.backups_list();

-- the views: superusers, pg_monitor and sgbackup_operator
DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY['sgbackup.archiver_status()', 'sgbackup.backups_list()'] LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pg_monitor, sgbackup_operator', f);
	END LOOP;
	FOREACH f IN ARRAY ARRAY['sgbackup.archiver', 'sgbackup.backups'] LOOP
		EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', f);
		EXECUTE format('GRANT SELECT ON %s TO pg_monitor, sgbackup_operator', f);
	END LOOP;
END
$$;
