/*
 * cron.c - parsing five-field cron schedules and finding their next run
 * time in UTC (see cron.h).  Besides the five fields, the usual macros
 * (@hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually) are
 * accepted; '?' is read as '*' in the two day fields, as Kubernetes does.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE			/* timegm */
#endif

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

#define CRON_HINT "A cron schedule has five fields: minute hour day-of-month month day-of-week, e.g. \"0 5 * * *\" for 05:00 UTC every day."

/* what one of the five fields accepts */
typedef struct cron_field
{
	const char *name;			/* as in messages: "day-of-week" */
	int			min;
	int			max;
	const char *const *names;	/* three-letter names, or NULL */
	int			name_base;		/* value of names[0] */
	const char *range;			/* sentence giving the allowed values */
} cron_field;

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};

static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const cron_field fields[5] = {
	{"minute", 0, 59, NULL, 0, "Minute must be 0-59."},
	{"hour", 0, 23, NULL, 0, "Hour must be 0-23."},
	{"day-of-month", 1, 31, NULL, 0, "Day of month must be 1-31."},
	{"month", 1, 12, month_names, 1, "Month must be 1-12 or jan-dec."},
	{"day-of-week", 0, 7, day_names, 0, "Day of week must be 0-7 or sun-sat."},
};

static const struct
{
	const char *name;
	const char *fields;
}			macros[] = {
	{"@hourly", "0 * * * *"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@weekly", "0 0 * * 0"},
	{"@monthly", "0 0 1 * *"},
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
};

/* the field being parsed, for error messages */
typedef struct cron_ctx
{
	const char *text;			/* whole schedule as written, trimmed */
	int			textlen;
	const cron_field *f;
	const char *ftext;			/* the field's text */
	int			flen;
	sg_error   *err;
} cron_ctx;

static bool
field_error(cron_ctx *cx, const char *fmt,...)
	__attribute__((format(printf, 2, 3)));

/* report a bad field: the reason (printf style) followed by the field's range */
static bool
field_error(cron_ctx *cx, const char *fmt,...)
{
	char		reason[256];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sg_error_set(cx->err, SG_ERR_CONFIG,
				 "invalid %s field \"%.*s\" in cron schedule \"%.*s\"",
				 cx->f->name, cx->flen, cx->ftext, cx->textlen, cx->text);
	sg_error_detail(cx->err, "%s %s", reason, cx->f->range);
	sg_error_hint(cx->err, "%s", CRON_HINT);
	return false;
}

/* read a number or a name at *p (before end) into *val, and check its range */
static bool
parse_value(cron_ctx *cx, const char **p, const char *end, int *val)
{
	const char *s = *p;
	const cron_field *f = cx->f;

	if (s < end && isdigit((unsigned char) *s))
	{
		long		v = 0;

		while (s < end && isdigit((unsigned char) *s))
		{
			if (v < 100000)
				v = v * 10 + (*s - '0');
			s++;
		}
		if (v < f->min || v > f->max)
			return field_error(cx, "Value %.*s is out of range.",
							   (int) (s - *p), *p);
		*val = (int) v;
	}
	else if (s < end && isalpha((unsigned char) *s))
	{
		int			i;

		while (s < end && isalpha((unsigned char) *s))
			s++;
		if (f->names == NULL)
			return field_error(cx, "Names like \"%.*s\" are only allowed in the month and day-of-week fields.",
							   (int) (s - *p), *p);
		for (i = 0; f->names[i]; i++)
			if (s - *p == 3 && strncasecmp(*p, f->names[i], 3) == 0)
				break;
		if (f->names[i] == NULL)
			return field_error(cx, "\"%.*s\" is not a known name.",
							   (int) (s - *p), *p);
		*val = f->name_base + i;
	}
	else if (s < end)
		return field_error(cx, "Expected a number%s at \"%.*s\".",
						   f->names ? " or a name" : "",
						   (int) (end - s), s);
	else
		return field_error(cx, "A number%s is missing.",
						   f->names ? " or a name" : "");
	*p = s;
	return true;
}

/*
 * Parse one list item ("*", "5", "1-5", "*\/10", "0-30/10", "5/15",
 * "mon-fri") into *bits; *any is set when the item is a plain '*'.
 */
static bool
parse_item(cron_ctx *cx, const char *s, const char *end, uint64_t *bits,
		   bool *any)
{
	const cron_field *f = cx->f;
	const char *p = s;
	int			lo;
	int			hi;
	int			step = 1;
	bool		star = false;
	int			v;

	if (s == end)
		return field_error(cx, "The list has an empty item.");
	if (*p == '*' || (*p == '?' && (f == &fields[2] || f == &fields[4])))
	{
		star = true;
		lo = f->min;
		hi = f->max;
		p++;
	}
	else
	{
		if (!parse_value(cx, &p, end, &lo))
			return false;
		hi = lo;
		if (p < end && *p == '-')
		{
			p++;
			if (!parse_value(cx, &p, end, &hi))
				return false;
			if (lo > hi)
				return field_error(cx, "Range %.*s goes backwards: its start is after its end.",
								   (int) (p - s), s);
		}
		else if (p < end && *p == '/')
			hi = f->max;		/* "a/n" means a through the maximum, step n */
	}
	if (p < end && *p == '/')
	{
		const char *d = ++p;
		long		n = 0;

		while (p < end && isdigit((unsigned char) *p))
		{
			if (n < 100000)
				n = n * 10 + (*p - '0');
			p++;
		}
		if (p == d || p < end)
			return field_error(cx, "The step after \"/\" in \"%.*s\" must be a whole number.",
							   (int) (end - s), s);
		if (n == 0)
			return field_error(cx, "The step in \"%.*s\" is 0; it must be at least 1.",
							   (int) (end - s), s);
		if (n > f->max)
			return field_error(cx, "The step in \"%.*s\" is larger than %d.",
							   (int) (end - s), s, f->max);
		step = (int) n;
	}
	if (p < end)
		return field_error(cx, "Unexpected \"%.*s\" after \"%.*s\".",
						   (int) (end - p), p, (int) (p - s), s);
	for (v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << v;
	if (star && step == 1)
		*any = true;
	return true;
}

/* parse a comma list of items */
static bool
parse_field(cron_ctx *cx, uint64_t *bits, bool *any)
{
	const char *s = cx->ftext;
	const char *end = cx->ftext + cx->flen;

	*bits = 0;
	*any = false;
	for (;;)
	{
		const char *comma = memchr(s, ',', end - s);
		const char *e = comma ? comma : end;

		if (!parse_item(cx, s, e, bits, any))
			return false;
		if (!comma)
			return true;
		s = comma + 1;
	}
}

/* expand a macro such as "@daily", or explain why it is refused */
static const char *
expand_macro(const char *text, int len, sg_error *err)
{
	size_t		i;

	for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
		if ((size_t) len == strlen(macros[i].name) &&
			strncasecmp(text, macros[i].name, len) == 0)
			return macros[i].fields;
	if (len == 7 && strncasecmp(text, "@reboot", 7) == 0)
	{
		sg_error_set(err, SG_ERR_CONFIG,
					 "cron schedule \"@reboot\" is not supported");
		sg_error_detail(err, "Backups are scheduled at times of day; \"@reboot\" does not name a time.");
	}
	else
	{
		sg_error_set(err, SG_ERR_CONFIG,
					 "invalid cron schedule \"%.*s\"", len, text);
		sg_error_detail(err, "Unknown macro \"%.*s\"; the known ones are @hourly, @daily, @midnight, @weekly, @monthly, @yearly and @annually.",
						len, text);
	}
	sg_error_hint(err, "%s", CRON_HINT);
	return NULL;
}

bool
sg_cron_parse(const char *text, sg_cron *out, sg_error *err)
{
	const char *start = text;
	const char *end;
	const char *p;
	const char *ftext[5];
	int			flen[5];
	int			nfields = 0;
	uint64_t	bits[5];
	bool		any[5];
	cron_ctx	cx;
	int			i;

	while (*start == ' ' || *start == '\t')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
						   end[-1] == '\n' || end[-1] == '\r'))
		end--;
	cx.text = start;
	cx.textlen = (int) (end - start);
	cx.err = err;

	p = start;
	if (p < end && *p == '@')
	{
		p = expand_macro(start, cx.textlen, err);
		if (p == NULL)
			return false;
		end = p + strlen(p);
	}

	/* split into fields */
	while (p < end)
	{
		const char *f = p;

		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (nfields < 5)
		{
			ftext[nfields] = f;
			flen[nfields] = (int) (p - f);
		}
		nfields++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
	}
	if (nfields != 5)
	{
		sg_error_set(err, SG_ERR_CONFIG, "invalid cron schedule \"%.*s\"",
					 cx.textlen, cx.text);
		sg_error_detail(err, "Found %d field%s, but five are needed: minute hour day-of-month month day-of-week.",
						nfields, nfields == 1 ? "" : "s");
		sg_error_hint(err, "%s", CRON_HINT);
		return false;
	}

	for (i = 0; i < 5; i++)
	{
		cx.f = &fields[i];
		cx.ftext = ftext[i];
		cx.flen = flen[i];
		if (!parse_field(&cx, &bits[i], &any[i]))
			return false;
	}

	/* Sunday may be written 7 */
	if (bits[4] & (UINT64_C(1) << 7))
		bits[4] = (bits[4] & ~(UINT64_C(1) << 7)) | 1;

	out->minutes = bits[0];
	out->hours = (uint32_t) bits[1];
	out->days = (uint32_t) bits[2];
	out->months = (uint16_t) bits[3];
	out->weekdays = (uint8_t) bits[4];
	out->days_any = any[2];
	out->weekdays_any = any[4];
	return true;
}

/* does the day in tm match?  Vixie rule: either day field if both are restricted */
static bool
day_matches(const sg_cron *c, const struct tm *tm)
{
	bool		dom = (c->days >> tm->tm_mday) & 1;
	bool		dow = (c->weekdays >> tm->tm_wday) & 1;

	if (c->days_any || c->weekdays_any)
		return dom && dow;
	return dom || dow;
}

/* lowest set bit at or above from, up to max; -1 if none */
static int
next_bit(uint64_t bits, int from, int max)
{
	int			i;

	for (i = from; i <= max; i++)
		if ((bits >> i) & 1)
			return i;
	return -1;
}

time_t
sg_cron_next(const sg_cron *c, time_t t)
{
	struct tm	tm;
	struct tm	lim;
	time_t		cur;
	time_t		limit;
	int			n;

	/* the whole minute after t (floor, also for times before 1970) */
	cur = t - ((t % 60) + 60) % 60 + 60;
	if (gmtime_r(&cur, &tm) == NULL)
		return (time_t) -1;
	lim = tm;
	lim.tm_year += 5;
	limit = timegm(&lim);

	while (cur != (time_t) -1 && cur <= limit)
	{
		if (!((c->months >> (tm.tm_mon + 1)) & 1))
		{
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		}
		else if (!day_matches(c, &tm))
		{
			tm.tm_mday++;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		}
		else if ((n = next_bit(c->hours, tm.tm_hour, 23)) != tm.tm_hour)
		{
			/* a later hour today, or else the next day */
			if (n < 0)
			{
				tm.tm_mday++;
				tm.tm_hour = 0;
			}
			else
				tm.tm_hour = n;
			tm.tm_min = 0;
		}
		else if ((n = next_bit(c->minutes, tm.tm_min, 59)) != tm.tm_min)
		{
			if (n < 0)
			{
				tm.tm_hour++;
				tm.tm_min = 0;
			}
			else
				tm.tm_min = n;
		}
		else
			return cur;
		tm.tm_sec = 0;
		tm.tm_isdst = 0;
		cur = timegm(&tm);		/* also normalizes tm and sets tm_wday */
	}
	return (time_t) -1;
}
