/*
 * cron.h - five-field cron schedules (minute hour day-of-month month
 * day-of-week), evaluated in UTC: '*', lists, ranges, steps, and month and
 * day names (jan..dec, sun..sat).  As in Vixie cron, when both day fields
 * are restricted a day matches if either does.  Errors point at the field.
 */
#ifndef SG_CRON_H
#define SG_CRON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sg_error.h"

typedef struct sg_cron
{
	uint64_t	minutes;		/* bit n: minute n (0-59) */
	uint32_t	hours;			/* 0-23 */
	uint32_t	days;			/* bit n: day n (1-31) */
	uint16_t	months;			/* bit n: month n (1-12) */
	uint8_t		weekdays;		/* bit n: weekday n (0-6, Sunday 0; 7 read as 0) */
	bool		days_any;		/* day-of-month field was '*' */
	bool		weekdays_any;	/* day-of-week field was '*' */
} sg_cron;

/*
 * Parse a schedule such as "*\/5 * * * *" or "0 3 * * mon-fri".  On error
 * err->msg names the field ("invalid minute field \"61\" in cron schedule
 * \"61 * * * *\"") and the hint gives its range.
 */
extern bool sg_cron_parse(const char *text, sg_cron *out, sg_error *err);

/* first minute strictly after t (UTC) that matches; (time_t) -1 if none within 5 years */
extern time_t sg_cron_next(const sg_cron *c, time_t t);

#endif							/* SG_CRON_H */
