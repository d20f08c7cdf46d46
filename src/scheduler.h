/*
 * scheduler.h - the background worker that takes backups on the cron
 * schedule (sgbackup.cron_schedule or an applied SGCluster's cronSchedule)
 * and applies retention after each, in the shape of pg_cron's launcher.
 */
#ifndef SGBACKUP_SCHEDULER_H
#define SGBACKUP_SCHEDULER_H

/* register the worker; from _PG_init while preloading */
extern void sgb_register_scheduler(void);

#endif							/* SGBACKUP_SCHEDULER_H */
