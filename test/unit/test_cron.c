/*
 * test_cron.c - unit tests for cron.c: schedules that parse (and what they
 * parse to), each kind of bad schedule with the field named in the
 * message, next-run times worked out by hand, and a cross-check of
 * sg_cron_next against a naive minute-by-minute search.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE			/* timegm */
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "unit.h"

#define MINUTE 60
#define DAY (24 * 60 * 60)

static const char *const standard_hint = "A cron schedule has five fields: minute hour day-of-month month day-of-week, e.g. \"0 5 * * *\" for 05:00 UTC every day.";

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static const char *
show(time_t t)
{
	static char buf[4][32];
	static int	n = 0;
	struct tm	tm;
	char	   *b = buf[n++ % 4];

	if (t == (time_t) -1)
		return "never";
	gmtime_r(&t, &tm);
	strftime(b, 32, "%Y-%m-%d %H:%M:%S %a", &tm);
	return b;
}

/* ---- parsing ---- */

static void
parses(const char *text)
{
	sg_cron		c;
	sg_error	err;

	sg_error_clear(&err);
	UNIT_OK(sg_cron_parse(text, &c, &err), "parses: \"%s\"", text);
	if (err.msg[0])
		printf("# %s\n", err.msg);
}

/* text is refused, the message names field, and detail says something about why */
static void
refused(const char *text, const char *msg_part, const char *detail_part)
{
	sg_cron		c;
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	ok = sg_cron_parse(text, &c, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_CONFIG &&
			strstr(err.msg, msg_part) != NULL &&
			strstr(err.detail, detail_part) != NULL &&
			strcmp(err.hint, standard_hint) == 0,
			"refused: \"%s\"", text);
	if (ok || strstr(err.msg, msg_part) == NULL ||
		strstr(err.detail, detail_part) == NULL)
		printf("# msg: %s\n# detail: %s\n# want in msg: %s\n# want in detail: %s\n",
			   err.msg, err.detail, msg_part, detail_part);
}

static void
test_parse_fields(void)
{
	sg_cron		c;
	sg_error	err;

	sg_error_clear(&err);
	UNIT_OK(sg_cron_parse("*/15 0-6/2 1,15 jan-mar,DEC mon-fri", &c, &err),
			"parse a full schedule");
	UNIT_OK(c.minutes == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45)),
			"minutes */15 = 0,15,30,45");
	UNIT_OK(c.hours == ((1U << 0) | (1U << 2) | (1U << 4) | (1U << 6)),
			"hours 0-6/2 = 0,2,4,6");
	UNIT_OK(c.days == ((1U << 1) | (1U << 15)), "days 1,15");
	UNIT_OK(c.months == ((1 << 1) | (1 << 2) | (1 << 3) | (1 << 12)),
			"months jan-mar,DEC");
	UNIT_OK(c.weekdays == 0x3e, "weekdays mon-fri");
	UNIT_OK(!c.days_any && !c.weekdays_any, "both day fields restricted");

	UNIT_OK(sg_cron_parse("  \t0 5 * * *\t ", &c, &err), "surrounding whitespace");
	UNIT_OK(c.minutes == 1 && c.hours == (1U << 5) && c.days == 0xfffffffe &&
			c.months == 0x1ffe && c.weekdays == 0x7f && c.days_any && c.weekdays_any,
			"0 5 * * * parsed to the right bits");

	UNIT_OK(sg_cron_parse("0 0 * * 7", &c, &err) && c.weekdays == 1 &&
			c.days_any && !c.weekdays_any, "weekday 7 is Sunday");
	UNIT_OK(sg_cron_parse("0 0 * * 5-7", &c, &err) &&
			c.weekdays == ((1 << 5) | (1 << 6) | 1), "weekdays 5-7 = fri,sat,sun");
	UNIT_OK(sg_cron_parse("5/20 * * * *", &c, &err) &&
			c.minutes == ((1ULL << 5) | (1ULL << 25) | (1ULL << 45)),
			"5/20 = 5,25,45");
	UNIT_OK(sg_cron_parse("0 0 * * SuN,sat", &c, &err) &&
			c.weekdays == ((1 << 0) | (1 << 6)), "day names in any case");
	UNIT_OK(sg_cron_parse("0 0 ? * mon", &c, &err) && c.days_any &&
			c.weekdays == 2, "'?' read as '*' in day-of-month");
	UNIT_OK(sg_cron_parse("0 0 */2 * mon", &c, &err) && !c.days_any,
			"*/2 restricts day-of-month");

	UNIT_OK(sg_cron_parse("@daily", &c, &err) && c.minutes == 1 && c.hours == 1 &&
			c.days_any && c.weekdays_any, "@daily");
	UNIT_OK(sg_cron_parse(" @Weekly ", &c, &err) && c.weekdays == 1 && c.days_any,
			"@weekly, any case, whitespace");
	UNIT_OK(sg_cron_parse("@annually", &c, &err) && c.days == 2 && c.months == 2,
			"@annually");

	parses("* * * * *");
	parses("0-59 0-23 1-31 1-12 0-7");
	parses("59 23 31 12 6");
	parses("0 0 1 1 0");
	parses("1,2,3 4-5,7 */3 feb-nov/3 */2");
	parses("0\t\t0  * *    *");
	parses("0 0 * * sat-sat");
	parses("0 0 * * mon-7");
	parses("@hourly");
	parses("@midnight");
	parses("@monthly");
	parses("@yearly");
}

static void
test_parse_errors(void)
{
	sg_cron		c;
	sg_error	err;

	/* the example from the brief, exactly */
	sg_error_clear(&err);
	UNIT_OK(!sg_cron_parse("0 0 * * 8", &c, &err), "0 0 * * 8 refused");
	UNIT_STREQ(err.msg, "invalid day-of-week field \"8\" in cron schedule \"0 0 * * 8\"",
			   "day-of-week message");
	UNIT_STREQ(err.detail, "Value 8 is out of range. Day of week must be 0-7 or sun-sat.",
			   "day-of-week detail");
	UNIT_STREQ(err.hint, standard_hint, "standard hint");

	/* field counts */
	sg_error_clear(&err);
	UNIT_OK(!sg_cron_parse("0 0 * *", &c, &err), "four fields refused");
	UNIT_STREQ(err.msg, "invalid cron schedule \"0 0 * *\"", "field count message");
	UNIT_STREQ(err.detail, "Found 4 fields, but five are needed: minute hour day-of-month month day-of-week.",
			   "field count detail");
	refused("", "invalid cron schedule \"\"", "Found 0 fields");
	refused("   ", "invalid cron schedule", "Found 0 fields");
	refused("5", "invalid cron schedule", "Found 1 field,");
	refused("0 0 * * * *", "invalid cron schedule", "Found 6 fields");
	refused("0 0 * * * 2025", "invalid cron schedule", "Found 6 fields");

	/* out of range, per field */
	refused("60 * * * *", "invalid minute field \"60\"", "Minute must be 0-59.");
	refused("* 24 * * *", "invalid hour field \"24\"", "Hour must be 0-23.");
	refused("* * 0 * *", "invalid day-of-month field \"0\"", "Day of month must be 1-31.");
	refused("* * 32 * *", "invalid day-of-month field \"32\"", "out of range");
	refused("* * * 0 *", "invalid month field \"0\"", "Month must be 1-12 or jan-dec.");
	refused("* * * 13 *", "invalid month field \"13\"", "out of range");
	refused("* * * * 8", "invalid day-of-week field \"8\"", "out of range");
	refused("0-60 * * * *", "invalid minute field \"0-60\"", "Value 60 is out of range");
	refused("99999999999999999999 * * * *", "invalid minute field", "out of range");
	refused("1,2,61 * * * *", "invalid minute field \"1,2,61\"", "Value 61");

	/* ranges, steps, lists */
	refused("* 5-3 * * *", "invalid hour field \"5-3\"", "Range 5-3 goes backwards");
	refused("0 0 * * fri-mon", "invalid day-of-week field \"fri-mon\"", "goes backwards");
	refused("0 0 * dec-jan *", "invalid month field", "goes backwards");
	refused("*/0 * * * *", "invalid minute field \"*/0\"", "is 0");
	refused("0-30/0 * * * *", "invalid minute field", "is 0");
	refused("*/ * * * *", "invalid minute field \"*/\"", "whole number");
	refused("*/x * * * *", "invalid minute field", "whole number");
	refused("*/5/2 * * * *", "invalid minute field", "whole number");
	refused("*/60 * * * *", "invalid minute field", "larger than 59");
	refused("1,,2 * * * *", "invalid minute field \"1,,2\"", "empty item");
	refused(",1 * * * *", "invalid minute field", "empty item");
	refused("1, * * * *", "invalid minute field", "empty item");
	refused("1- * * * *", "invalid minute field \"1-\"", "missing");
	refused("-1 * * * *", "invalid minute field \"-1\"", "Expected a number");
	refused("1-2-3 * * * *", "invalid minute field", "Unexpected \"-3\"");
	refused("** * * * *", "invalid minute field \"**\"", "Unexpected");
	refused("*-5 * * * *", "invalid minute field", "Unexpected");
	refused("5x * * * *", "invalid minute field \"5x\"", "Unexpected \"x\"");
	refused("1.5 * * * *", "invalid minute field", "Unexpected");
	refused("? * * * *", "invalid minute field \"?\"", "Expected a number");
	refused("* * * ? *", "invalid month field", "Expected a number or a name");

	/* names */
	refused("mon * * * *", "invalid minute field \"mon\"", "only allowed in the month and day-of-week");
	refused("* noon * * *", "invalid hour field", "only allowed");
	refused("* * first * *", "invalid day-of-month field", "only allowed");
	refused("* * * * jan", "invalid day-of-week field \"jan\"", "not a known name");
	refused("* * * mon *", "invalid month field \"mon\"", "not a known name");
	refused("* * * * monday", "invalid day-of-week field", "not a known name");
	refused("* * * january *", "invalid month field", "not a known name");

	/* macros */
	refused("@reboot", "cron schedule \"@reboot\" is not supported", "does not name a time");
	refused("@fortnightly", "invalid cron schedule \"@fortnightly\"", "Unknown macro");
	refused("@daily 5", "invalid cron schedule \"@daily 5\"", "Unknown macro");
	refused("@", "invalid cron schedule \"@\"", "Unknown macro");

	/* the output is untouched on error */
	memset(&c, 0xaa, sizeof(c));
	sg_cron_parse("0 0 * * 9", &c, &err);
	UNIT_OK(c.minutes == 0xaaaaaaaaaaaaaaaaULL, "output untouched on error");
}

/* ---- next run ---- */

static void
next_is(const char *sched, time_t after, time_t want)
{
	sg_cron		c;
	sg_error	err;
	time_t		got;

	sg_error_clear(&err);
	if (!sg_cron_parse(sched, &c, &err))
	{
		UNIT_OK(false, "\"%s\" parses: %s", sched, err.msg);
		return;
	}
	got = sg_cron_next(&c, after);
	UNIT_OK(got == want, "\"%s\" after %s: %s", sched, show(after), show(want));
	if (got != want)
		printf("# got %s\n", show(got));
}

static void
test_next(void)
{
	/* 2025-06-13 is a Friday; 2025-06-15 a Sunday */
	next_is("* * * * *", utc(2025, 1, 1, 0, 0, 0), utc(2025, 1, 1, 0, 1, 0));
	next_is("* * * * *", utc(2025, 1, 1, 0, 0, 30), utc(2025, 1, 1, 0, 1, 0));
	next_is("* * * * *", utc(2025, 1, 1, 0, 0, 59), utc(2025, 1, 1, 0, 1, 0));
	next_is("* * * * *", utc(2025, 12, 31, 23, 59, 59), utc(2026, 1, 1, 0, 0, 0));
	next_is("*/5 * * * *", utc(2025, 6, 10, 10, 3, 0), utc(2025, 6, 10, 10, 5, 0));
	next_is("*/5 * * * *", utc(2025, 6, 10, 10, 5, 0), utc(2025, 6, 10, 10, 10, 0));
	next_is("*/5 * * * *", utc(2025, 6, 10, 10, 57, 12), utc(2025, 6, 10, 11, 0, 0));
	next_is("*/5 * * * *", utc(2025, 6, 10, 23, 55, 0), utc(2025, 6, 11, 0, 0, 0));

	next_is("0 3 * * *", utc(2025, 6, 10, 2, 59, 59), utc(2025, 6, 10, 3, 0, 0));
	next_is("0 3 * * *", utc(2025, 6, 10, 3, 0, 0), utc(2025, 6, 11, 3, 0, 0));
	next_is("0 3 * * *", utc(2025, 6, 30, 3, 0, 1), utc(2025, 7, 1, 3, 0, 0));

	/* weekdays across a weekend */
	next_is("0 9 * * mon-fri", utc(2025, 6, 13, 8, 0, 0), utc(2025, 6, 13, 9, 0, 0));
	next_is("0 9 * * mon-fri", utc(2025, 6, 13, 9, 0, 0), utc(2025, 6, 16, 9, 0, 0));
	next_is("0 9 * * mon-fri", utc(2025, 6, 14, 12, 0, 0), utc(2025, 6, 16, 9, 0, 0));
	next_is("0 9 * * 1-5", utc(2025, 6, 16, 9, 0, 0), utc(2025, 6, 17, 9, 0, 0));

	/* first of the month across month and year ends */
	next_is("0 0 1 * *", utc(2025, 1, 31, 12, 0, 0), utc(2025, 2, 1, 0, 0, 0));
	next_is("0 0 1 * *", utc(2025, 2, 1, 0, 0, 0), utc(2025, 3, 1, 0, 0, 0));
	next_is("0 0 1 * *", utc(2025, 4, 30, 23, 59, 0), utc(2025, 5, 1, 0, 0, 0));
	next_is("0 0 1 * *", utc(2025, 12, 15, 0, 0, 0), utc(2026, 1, 1, 0, 0, 0));

	/* leap days */
	next_is("0 0 29 2 *", utc(2025, 3, 1, 0, 0, 0), utc(2028, 2, 29, 0, 0, 0));
	next_is("0 0 29 2 *", utc(2024, 1, 1, 0, 0, 0), utc(2024, 2, 29, 0, 0, 0));
	next_is("0 0 29 feb *", utc(2024, 2, 29, 0, 0, 0), utc(2028, 2, 29, 0, 0, 0));
	next_is("0 0 31 * *", utc(2025, 4, 1, 0, 0, 0), utc(2025, 5, 31, 0, 0, 0));

	/* both day fields restricted: the 13th or any Friday (2025-11-13 is a Thursday) */
	next_is("0 0 13 * fri", utc(2025, 6, 1, 0, 0, 0), utc(2025, 6, 6, 0, 0, 0));
	next_is("0 0 13 * fri", utc(2025, 6, 6, 0, 0, 0), utc(2025, 6, 13, 0, 0, 0));
	next_is("0 0 13 * fri", utc(2025, 6, 13, 0, 0, 0), utc(2025, 6, 20, 0, 0, 0));
	next_is("0 0 13 * fri", utc(2025, 11, 10, 0, 0, 0), utc(2025, 11, 13, 0, 0, 0));
	next_is("0 0 13 * fri", utc(2025, 11, 13, 0, 0, 0), utc(2025, 11, 14, 0, 0, 0));
	/* only one restricted: day-of-month alone, then day-of-week alone */
	next_is("0 0 13 * *", utc(2025, 6, 1, 0, 0, 0), utc(2025, 6, 13, 0, 0, 0));
	next_is("0 0 * * fri", utc(2025, 6, 7, 0, 0, 0), utc(2025, 6, 13, 0, 0, 0));

	/* Sunday as 7 and as 0 */
	next_is("30 2 * * 7", utc(2025, 6, 9, 0, 0, 0), utc(2025, 6, 15, 2, 30, 0));
	next_is("30 2 * * 0", utc(2025, 6, 9, 0, 0, 0), utc(2025, 6, 15, 2, 30, 0));
	next_is("30 2 * * sun", utc(2025, 6, 15, 2, 30, 0), utc(2025, 6, 22, 2, 30, 0));

	/* month names */
	next_is("0 0 1 jan,jul *", utc(2025, 2, 1, 0, 0, 0), utc(2025, 7, 1, 0, 0, 0));
	next_is("0 0 1 jan,jul *", utc(2025, 7, 1, 0, 0, 0), utc(2026, 1, 1, 0, 0, 0));
	next_is("15 12 * JUN-Aug *", utc(2025, 8, 31, 12, 15, 0), utc(2026, 6, 1, 12, 15, 0));

	/* ranges with steps */
	next_is("0-30/10 * * * *", utc(2025, 6, 10, 10, 5, 0), utc(2025, 6, 10, 10, 10, 0));
	next_is("0-30/10 * * * *", utc(2025, 6, 10, 10, 30, 0), utc(2025, 6, 10, 11, 0, 0));
	next_is("5/20 1-5/2 * * *", utc(2025, 6, 10, 5, 45, 0), utc(2025, 6, 11, 1, 5, 0));

	/* macros */
	next_is("@hourly", utc(2025, 6, 10, 10, 0, 0), utc(2025, 6, 10, 11, 0, 0));
	next_is("@daily", utc(2025, 6, 10, 10, 0, 0), utc(2025, 6, 11, 0, 0, 0));
	next_is("@midnight", utc(2025, 12, 31, 0, 0, 0), utc(2026, 1, 1, 0, 0, 0));
	next_is("@weekly", utc(2025, 6, 10, 10, 0, 0), utc(2025, 6, 15, 0, 0, 0));
	next_is("@monthly", utc(2025, 6, 10, 10, 0, 0), utc(2025, 7, 1, 0, 0, 0));
	next_is("@yearly", utc(2025, 6, 10, 10, 0, 0), utc(2026, 1, 1, 0, 0, 0));

	/* never */
	next_is("0 0 30 2 *", utc(2025, 1, 1, 0, 0, 0), (time_t) -1);
	next_is("0 0 31 4,6,9,11 *", utc(2025, 1, 1, 0, 0, 0), (time_t) -1);
	/* 2096-02-29 is followed by 2104-02-29, more than five years later */
	next_is("0 0 29 2 *", utc(2096, 3, 1, 0, 0, 0), (time_t) -1);

	/* before 1970 */
	next_is("0 0 * * *", utc(1969, 12, 31, 12, 0, 30), utc(1970, 1, 1, 0, 0, 0));
}

/* ---- cross-check against a naive search ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	return unit_rng(&rng_state);
}

/* does minute-aligned t match c?  Written straight from the rules */
static bool
naive_match(const sg_cron *c, const struct tm *tm)
{
	bool		dom = (c->days >> tm->tm_mday) & 1;
	bool		dow = (c->weekdays >> tm->tm_wday) & 1;
	bool		day = (c->days_any || c->weekdays_any) ? (dom && dow) : (dom || dow);

	return ((c->minutes >> tm->tm_min) & 1) && ((c->hours >> tm->tm_hour) & 1) &&
		((c->months >> (tm->tm_mon + 1)) & 1) && day;
}

/* step minute by minute from after t, for up to two years; -1 if none */
static time_t
naive_next(const sg_cron *c, time_t t)
{
	time_t		m = t - ((t % 60) + 60) % 60 + MINUTE;
	time_t		stop = t + 2 * 366 * (time_t) DAY;
	struct tm	tm;

	gmtime_r(&m, &tm);
	for (; m <= stop; m += MINUTE)
	{
		/* advance the broken-down time by hand, calling gmtime_r once a day */
		if (tm.tm_min == 60)
		{
			tm.tm_min = 0;
			if (++tm.tm_hour == 24)
				gmtime_r(&m, &tm);
		}
		if (naive_match(c, &tm))
			return m;
		tm.tm_min++;
	}
	return (time_t) -1;
}

static void
test_cross_check(void)
{
	static const char *const schedules[] = {
		"* * * * *", "*/7 * * * *", "0 3 * * *", "0 9 * * mon-fri",
		"0 0 1 * *", "0 0 29 2 *", "0 0 13 * fri", "30 2 * * 7",
		"15,45 */6 1-7 * 1", "0 0 31 * *", "59 23 * dec sat",
		"0-30/10 8-17 * jan,apr,jul,oct *", "0 12 */10 * *", "@weekly",
		"0 0 1 1 *", "5 4 29-31 * 2-4",
	};
	int			i;
	int			j;
	int			bad = 0;
	int			total = 0;
	char		sched[128];

	for (i = 0; i < (int) (sizeof(schedules) / sizeof(schedules[0])) + 12; i++)
	{
		sg_cron		c;
		sg_error	err;
		const char *s;

		if (i < (int) (sizeof(schedules) / sizeof(schedules[0])))
			s = schedules[i];
		else
		{
			/* random restricted schedules */
			snprintf(sched, sizeof(sched), "%d-%d/%d %d,%d %d-%d %d-%d %d-%d",
					 (int) (rng() % 30), 30 + (int) (rng() % 30), 1 + (int) (rng() % 20),
					 (int) (rng() % 24), (int) (rng() % 24),
					 1 + (int) (rng() % 15), 15 + (int) (rng() % 17),
					 1 + (int) (rng() % 6), 6 + (int) (rng() % 7),
					 (int) (rng() % 4), 3 + (int) (rng() % 5));
			s = sched;
		}
		sg_error_clear(&err);
		if (!sg_cron_parse(s, &c, &err))
		{
			UNIT_OK(false, "cross-check schedule \"%s\" parses: %s", s, err.msg);
			continue;
		}
		for (j = 0; j < 6; j++)
		{
			/* start times in 2000-2037, with seconds */
			time_t		t = utc(2000, 1, 1, 0, 0, 0) +
				(time_t) (rng() % (38ULL * 365 * DAY));
			time_t		want = naive_next(&c, t);
			time_t		got = sg_cron_next(&c, t);

			total++;
			if (want == (time_t) -1 ? (got != -1 && got <= t + 2 * 366 * (time_t) DAY)
				: got != want)
			{
				bad++;
				printf("# \"%s\" after %s: got %s, naive %s\n",
					   s, show(t), show(got), show(want));
			}
		}
	}
	UNIT_OK(bad == 0, "sg_cron_next agrees with a naive search (%d cases)", total);
}

static void
test_speed(void)
{
	sg_cron		c;
	sg_error	err;
	clock_t		start = clock();
	time_t		t = utc(2025, 1, 1, 0, 0, 0);
	int			i;
	double		secs;

	sg_cron_parse("0 0 30 2 *", &c, &err);
	for (i = 0; i < 1000; i++)
		(void) sg_cron_next(&c, t + i * DAY);
	secs = (double) (clock() - start) / CLOCKS_PER_SEC;
	UNIT_OK(secs < 2.0, "1000 fruitless five-year searches in %.3f s", secs);
}

int
main(void)
{
	test_parse_fields();
	test_parse_errors();
	test_next();
	test_cross_check();
	test_speed();
	return UNIT_DONE();
}
