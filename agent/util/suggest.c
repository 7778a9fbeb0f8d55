/*
 * suggest: "did you mean" for unknown commands and flags, as cobra does it: a name is
 * suggested when it is at most two edits away (optimal string alignment: insert,
 * delete, substitute, swap two neighbours) or when the typed word is its prefix.
 */
#include <string.h>

#include "util.h"

#define SUGGEST_MAX_LEN 64 /* longer words are never near a name of ours */

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

size_t str_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

	if (n > SUGGEST_MAX_LEN || m > SUGGEST_MAX_LEN)
		return (size_t)-1;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];

			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[n][m];
}

bool str_suggests(const char *typed, const char *name)
{
	size_t n = strlen(typed);

	if (n == 0 || !strcmp(typed, name))
		return false;
	return str_distance(typed, name) <= 2 || !strncmp(name, typed, n);
}
