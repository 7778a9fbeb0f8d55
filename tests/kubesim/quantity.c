/*
 * quantity: parsing and canonical printing of resource quantities (apimachinery
 * pkg/api/resource), reduced to the thousandth precision the quota arithmetic needs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quantity.h"

static const struct {
	const char *suffix;
	double scale;
} scales[] = {{"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50},
	      {"Ei", 0x1p60}, {"n", 1e-9},    {"u", 1e-6},    {"m", 1e-3},    {"k", 1e3},
	      {"M", 1e6},     {"G", 1e9},     {"T", 1e12},    {"P", 1e15},    {"E", 1e18}};

double quantity_value(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++)
		if (strcmp(end, scales[i].suffix) == 0)
			return d * scales[i].scale;
	return d;
}

int64_t quantity_milli(const cJSON *q, bool *binary)
{
	double v = 0;

	if (binary)
		*binary = cJSON_IsString(q) && strchr(q->valuestring, 'i') != NULL;
	if (cJSON_IsString(q))
		v = quantity_value(q->valuestring);
	else if (cJSON_IsNumber(q))
		v = q->valuedouble;
	v = ceil(v * 1000 - 1e-6); /* the server rounds up to its precision */
	return v > 9e18 ? INT64_MAX : v < -9e18 ? INT64_MIN : (int64_t)v;
}

void quantity_format(int64_t milli, bool binary, char *out, size_t n)
{
	static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	static const char *const dec[] = {"", "k", "M", "G", "T", "P", "E"};
	int64_t v;
	int k = 0;

	if (milli == 0) {
		snprintf(out, n, "0");
		return;
	}
	if (milli % 1000 != 0) {
		snprintf(out, n, "%lldm", (long long)milli);
		return;
	}
	v = milli / 1000;
	if (binary && v % 1024 == 0) {
		while (k < 6 && v % 1024 == 0) {
			v /= 1024;
			k++;
		}
		snprintf(out, n, "%lld%s", (long long)v, bin[k]);
		return;
	}
	while (k < 6 && v % 1000 == 0) {
		v /= 1000;
		k++;
	}
	snprintf(out, n, "%lld%s", (long long)v, dec[k]);
}
