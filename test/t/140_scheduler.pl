# 140_scheduler.pl - the scheduler: a sgbackup.database that does not exist
# makes it wait quietly, with one log line, until the database is created
# (no FATAL restart loop); and while a scheduled backup runs it holds no
# transaction and no snapshot (backend_xmin is not pinned, VACUUM is not
# held back).  Against the RADOS Gateway.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('scheduler');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $st = gateway_storage($s3, 'backups', $prefix, $tmp);

my $node = PostgreSQL::Test::Cluster->new('scheduler');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'sgbackup'
archive_mode = on
archive_library = 'sgbackup'
sgbackup.database = 'backupdb'
sgbackup.secrets_directory = '$st->{secrets}'
sgbackup.object_storage = 'backups'
});
$node->start;
ok($node->wait_for_log(qr/sgbackup scheduler is waiting for database "backupdb" to exist/),
	'with sgbackup.database missing, the scheduler says it waits');
$node->safe_psql('postgres', 'CREATE DATABASE backupdb');
$node->safe_psql('backupdb', 'CREATE EXTENSION sgbackup');
$node->safe_psql('backupdb', "SELECT sgbackup_apply(\$y\$$st->{yaml}\$y\$)");
ok($node->wait_for_log(qr/sgbackup scheduler started in database "backupdb"/),
	'once the database exists, the scheduler starts in it');
my $log = slurp($node->logfile);
my $waits = () = $log =~ /waiting for database "backupdb"/g;
is($waits, 1, 'it said so once');
unlike($log, qr/FATAL:  database "backupdb" does not exist/, 'no FATAL for the missing database');
unlike($log, qr/sgbackup (scheduler|launcher).*exited with exit code/, 'no restart loop');

# --- a scheduled backup: no transaction held while waiting for it -----------------------
$node->safe_psql('backupdb', q{CREATE TABLE r AS
	SELECT g, decode(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex') AS b
	FROM generate_series(1, 1000000) g});
$node->safe_psql('backupdb', q{ALTER SYSTEM SET sgbackup.cron_schedule = '* * * * *'; SELECT pg_reload_conf()});
my $state = q{SELECT coalesce(string_agg(coalesce(xact_start::text, 'none') || ' ' || coalesce(backend_xmin::text, 'none'), ','), 'no scheduler')
	FROM pg_stat_activity WHERE backend_type = 'sgbackup scheduler'};
my $seen = '';
for (1 .. 1500)
{
	my $running = $node->safe_psql('backupdb', 'SELECT count(*) FROM pg_stat_progress_basebackup');
	$seen = $node->safe_psql('backupdb', $state);
	last if $running > 0;
	$seen = '';
	select(undef, undef, undef, 0.1);
}
isnt($seen, '', 'a scheduled backup runs');
is($seen, 'none none', 'while it runs, the scheduler has no transaction and no snapshot');
ok($node->wait_for_log(qr/scheduled backup "backup-[0-9-]+" completed/), 'the scheduled backup completes');

$node->stop;
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
