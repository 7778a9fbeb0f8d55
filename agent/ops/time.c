/*
 * time: the stamps of the annotations (RFC 3339, UTC, fixed width) and kubectl's ages,
 * so that `tether get` and `tether events` read like `kubectl get`.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ops.h"

int64_t ops_parse_time(const char *s)
{
	struct tm tm;
	const char *rest;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (!(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++)
			;
	if (strcmp(rest, "Z") != 0)
		return -1; /* the API server writes UTC, and so does tether */
	return (int64_t)timegm(&tm);
}

/* apimachinery's duration.HumanDuration, from three hours up. */
static void age_long(int64_t hours, char *out, size_t n)
{
	int64_t days = hours / 24;

	if (hours < 48)
		snprintf(out, n, "%lldh", (long long)hours);
	else if (hours < 24 * 8 && hours % 24)
		snprintf(out, n, "%lldd%lldh", (long long)days, (long long)(hours % 24));
	else if (hours < 24 * 365 * 2)
		snprintf(out, n, "%lldd", (long long)days);
	else if (hours < 24 * 365 * 8 && days % 365)
		snprintf(out, n, "%lldy%lldd", (long long)(days / 365), (long long)(days % 365));
	else
		snprintf(out, n, "%lldy", (long long)(days / 365));
}

void ops_age(int64_t s, char *out, size_t n)
{
	int64_t m = s / 60;

	if (s < -1)
		snprintf(out, n, "<invalid>");
	else if (s < 0)
		snprintf(out, n, "0s");
	else if (s < 120)
		snprintf(out, n, "%llds", (long long)s);
	else if (m < 10 && s % 60)
		snprintf(out, n, "%lldm%llds", (long long)m, (long long)(s % 60));
	else if (m < 180)
		snprintf(out, n, "%lldm", (long long)m);
	else if (m < 480 && m % 60)
		snprintf(out, n, "%lldh%lldm", (long long)(m / 60), (long long)(m % 60));
	else
		age_long(m / 60, out, n);
}

void ops_age_of(const char *s, char *out, size_t n)
{
	int64_t t = ops_parse_time(s);

	if (t < 0)
		snprintf(out, n, "-");
	else
		ops_age((int64_t)time(NULL) - t, out, n);
}
