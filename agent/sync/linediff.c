/*
 * linediff: a unified diff of two texts, line by line, with Myers' O(ND) algorithm
 * (the one GNU diff and git use). Inputs are rendered YAML of one object, so a few
 * thousand lines at most; the edit distance is capped so a pathological pair cannot
 * use unbounded memory (past the cap, the whole text is shown as replaced).
 */
#include <stdlib.h>
#include <string.h>

#include "sync.h"

#define LINEDIFF_MAX_D 1000

struct lines {
	const char **p; /* start of each line */
	size_t *len;	/* length without the newline */
	size_t n;
};

enum { OP_SAME, OP_DEL, OP_ADD };

struct edit {
	unsigned char *ops; /* script, OP_* per step */
	size_t n;
};

static int lines_split(struct lines *l, const char *s)
{
	size_t cap = 16;

	l->n = 0;
	l->p = malloc(cap * sizeof(*l->p));
	l->len = malloc(cap * sizeof(*l->len));
	if (!l->p || !l->len)
		return TE_NOMEM;
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		if (l->n == cap) {
			cap *= 2;
			const char **np = realloc(l->p, cap * sizeof(*np));
			if (np)
				l->p = np;
			size_t *nlen = realloc(l->len, cap * sizeof(*nlen));
			if (nlen)
				l->len = nlen;
			if (!np || !nlen)
				return TE_NOMEM;
		}
		l->p[l->n] = s;
		l->len[l->n++] = len;
		s = nl ? nl + 1 : s + len;
	}
	return 0;
}

static void lines_dispose(struct lines *l)
{
	free(l->p);
	free(l->len);
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->p[i], b->p[j], a->len[i]) == 0;
}

/* Appends the trivial script: delete all of a, add all of b. */
static int edit_replace_all(struct edit *ed, size_t na, size_t nb)
{
	ed->ops = malloc(na + nb + 1);
	if (!ed->ops)
		return TE_NOMEM;
	memset(ed->ops, OP_DEL, na);
	memset(ed->ops + na, OP_ADD, nb);
	ed->n = na + nb;
	return 0;
}

/* V arrays are saved per d, each covering diagonals -d..d (index k + d). */
static int vget(int *const *vs, int d, int k)
{
	return vs[d][k + d];
}

/* Walks the saved V arrays back from (n, m) to build the script. */
static int edit_backtrack(struct edit *ed, int *const *vs, int d, const struct lines *a,
			  const struct lines *b)
{
	int x = (int)a->n, y = (int)b->n;
	size_t cap = a->n + b->n + 1, pos = cap;
	unsigned char *rev = malloc(cap);

	if (!rev)
		return TE_NOMEM;
	for (int dd = d; dd > 0; dd--) {
		int k = x - y, prev_k, px, py;
		bool down =
		    k == -dd || (k != dd && vget(vs, dd - 1, k - 1) < vget(vs, dd - 1, k + 1));

		prev_k = down ? k + 1 : k - 1;
		px = vget(vs, dd - 1, prev_k);
		py = px - prev_k;
		while (x > (down ? px : px + 1) && y > (down ? py + 1 : py)) {
			rev[--pos] = OP_SAME;
			x--, y--;
		}
		rev[--pos] = down ? OP_ADD : OP_DEL;
		x = px, y = py;
	}
	while (x > 0 && y > 0) {
		rev[--pos] = OP_SAME;
		x--, y--;
	}
	ed->n = cap - pos;
	ed->ops = malloc(ed->n + 1);
	if (ed->ops)
		memcpy(ed->ops, rev + pos, ed->n);
	free(rev);
	return ed->ops ? 0 : TE_NOMEM;
}

/* Furthest x on diagonal k after d edits, given the previous round. */
static int next_x(int *const *vs, int d, int k)
{
	if (d == 0)
		return 0;
	if (k == -d || (k != d && vget(vs, d - 1, k - 1) < vget(vs, d - 1, k + 1)))
		return vget(vs, d - 1, k + 1);
	return vget(vs, d - 1, k - 1) + 1;
}

static int edit_compute(struct edit *ed, const struct lines *a, const struct lines *b)
{
	int n = (int)a->n, m = (int)b->n, max = n + m, rc = 0, d, limit;
	int **vs;
	bool done = false;

	limit = max < LINEDIFF_MAX_D ? max : LINEDIFF_MAX_D;
	vs = calloc((size_t)limit + 1, sizeof(*vs));
	if (!vs)
		return TE_NOMEM;
	for (d = 0; d <= limit && !done; d++) {
		int *v = malloc((size_t)(2 * d + 1) * sizeof(int));

		if (!v) {
			rc = TE_NOMEM;
			break;
		}
		vs[d] = v;
		for (int k = -d; k <= d; k += 2) {
			int x = next_x(vs, d, k), y = x - k;

			while (x < n && y < m && line_eq(a, (size_t)x, b, (size_t)y))
				x++, y++;
			v[k + d] = x;
			if (x >= n && y >= m) {
				done = true;
				break;
			}
		}
	}
	/* d is one past the round that finished. */
	if (rc == 0 && !done)
		rc = edit_replace_all(ed, a->n, b->n);
	else if (rc == 0)
		rc = edit_backtrack(ed, vs, d - 1, a, b);
	for (int i = 0; i <= limit; i++)
		free(vs[i]);
	free(vs);
	return rc;
}

static void put_line(struct buf *out, char mark, const struct lines *l, size_t i, bool color)
{
	const char *on = mark == '-' ? "\033[31m" : mark == '+' ? "\033[32m" : "";

	if (color && *on)
		buf_puts(out, on);
	buf_append(out, &mark, 1);
	buf_append(out, l->p[i], l->len[i]);
	if (color && *on)
		buf_puts(out, "\033[0m");
	buf_puts(out, "\n");
}

/* Prints one hunk covering script steps [s, t). ai/bi are the line numbers at s. */
static void put_hunk(struct buf *out, const struct edit *ed, size_t s, size_t t, size_t ai,
		     size_t bi, const struct lines *a, const struct lines *b, bool color)
{
	size_t na = 0, nb = 0;

	for (size_t i = s; i < t; i++) {
		na += ed->ops[i] != OP_ADD;
		nb += ed->ops[i] != OP_DEL;
	}
	if (color)
		buf_puts(out, "\033[36m");
	buf_printf(out, "@@ -%zu,%zu +%zu,%zu @@", na ? ai + 1 : ai, na, nb ? bi + 1 : bi, nb);
	buf_puts(out, color ? "\033[0m\n" : "\n");
	for (size_t i = s; i < t; i++) {
		if (ed->ops[i] == OP_SAME) {
			put_line(out, ' ', a, ai++, color);
			bi++;
		} else if (ed->ops[i] == OP_DEL) {
			put_line(out, '-', a, ai++, color);
		} else {
			put_line(out, '+', b, bi++, color);
		}
	}
}

static void put_hunks(struct buf *out, const struct edit *ed, int context, const struct lines *a,
		      const struct lines *b, bool color)
{
	size_t i = 0, ai = 0, bi = 0;

	while (i < ed->n) {
		size_t s, t, sa, sb, back = 0, last;

		if (ed->ops[i] == OP_SAME) {
			i++, ai++, bi++;
			continue;
		}
		/* A change at i: start `context` lines earlier. */
		while (back < (size_t)context && back < i && ed->ops[i - back - 1] == OP_SAME)
			back++;
		s = i - back, sa = ai - back, sb = bi - back;
		/* Extend while changes are at most 2*context unchanged lines apart. */
		for (t = i, last = i; t < ed->n; t++) {
			if (ed->ops[t] != OP_SAME)
				last = t;
			else if (t - last > 2 * (size_t)context)
				break;
		}
		t = last + 1 + (size_t)context;
		if (t > ed->n)
			t = ed->n;
		put_hunk(out, ed, s, t, sa, sb, a, b, color);
		for (; i < t; i++) {
			ai += ed->ops[i] != OP_ADD;
			bi += ed->ops[i] != OP_DEL;
		}
	}
}

int linediff_unified(const char *a_label, const char *a, const char *b_label, const char *b,
		     int context, bool color, struct buf *out, struct err *e)
{
	struct lines la = {0}, lb = {0};
	struct edit ed = {0};
	bool differ = false;
	int rc;

	if ((rc = lines_split(&la, a)) < 0 || (rc = lines_split(&lb, b)) < 0 ||
	    (rc = edit_compute(&ed, &la, &lb)) < 0) {
		err_set(e, TE_NOMEM, "diff: out of memory");
		goto out;
	}
	for (size_t i = 0; i < ed.n; i++)
		differ |= ed.ops[i] != OP_SAME;
	if (differ) {
		if (color)
			buf_puts(out, "\033[1m");
		buf_printf(out, "--- %s\n+++ %s\n", a_label, b_label);
		if (color)
			buf_puts(out, "\033[0m");
		put_hunks(out, &ed, context, &la, &lb, color);
	}
	rc = differ ? 1 : 0;
out:
	free(ed.ops);
	lines_dispose(&la);
	lines_dispose(&lb);
	return rc;
}
