/*
 * kinds: the one table of workloads whose revisions are commits (Deployment,
 * StatefulSet, DaemonSet) and the names kubectl gives them, so that recording,
 * tether history and tether rollback treat the three kinds alike.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "history_int.h"

static const struct history_kind kinds[] = {
    {"Deployment", "deployment", "deploy", "ReplicaSet", "pod-template-hash", false},
    {"StatefulSet", "statefulset", "sts", "ControllerRevision", "controller.kubernetes.io/hash",
     true},
    {"DaemonSet", "daemonset", "ds", "ControllerRevision", "controller-revision-hash", true},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

const struct history_kind *history_kind_of(const char *kind)
{
	for (size_t i = 0; kind && i < N_KINDS; i++)
		if (!strcmp(kinds[i].kind, kind))
			return &kinds[i];
	return NULL;
}

/* Whether the n bytes at p name k: its name, alias or plural, with ".apps" or not. */
static bool names_kind(const struct history_kind *k, const char *p, size_t n)
{
	size_t len = strlen(k->name);

	if (n > 5 && !strncmp(p + n - 5, ".apps", 5))
		n -= 5;
	if (n == strlen(k->alias) && !strncmp(p, k->alias, n))
		return true;
	return !strncmp(p, k->name, len) && (n == len || (n == len + 1 && p[len] == 's'));
}

int history_kind_parse(const char *arg, const struct history_kind **k, const char **name,
		       struct err *e)
{
	const char *slash = strchr(arg, '/');

	*k = NULL;
	*name = slash ? slash + 1 : arg;
	if (!slash) {
		*k = &kinds[0];
		return 0;
	}
	for (size_t i = 0; i < N_KINDS && !*k; i++)
		if (names_kind(&kinds[i], arg, (size_t)(slash - arg)))
			*k = &kinds[i];
	if (!*k || !**name || strchr(*name, '/'))
		return err_set(e, TE_INPUT,
			       "%s: only deployment/NAME, statefulset/NAME (sts/) and "
			       "daemonset/NAME (ds/) have revisions",
			       arg);
	return 0;
}

int64_t history_revision_of(const struct history_kind *k, const cJSON *rev)
{
	const char *r;

	if (k->renumbers)
		return json_int(rev, 0, "revision", NULL);
	r = json_str(rev, "metadata", "annotations", HISTORY_ANN_REVISION, NULL);
	return r ? strtoll(r, NULL, 10) : 0;
}
