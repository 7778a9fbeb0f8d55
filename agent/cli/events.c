/*
 * events: `tether events [APP]`, the Events tether wrote about apps (syncs, drift
 * naming the objects, prunes, rollout failures, reverts, refusals), in kubectl's
 * columns LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, oldest first; every namespace
 * unless -n. -w prints each new one (or one seen again) as it comes, polling every
 * two seconds. -o json|yaml: a v1 List. Exit 0, 3 unreachable.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "jsonget.h"
#include "ops.h"

#define WATCH_MS 2000

static const struct cli_cmd cmd = {
    "events", CMD_EVENTS, "[APP] [-n NS] [-o json|yaml] [-w]",
    "List the Events tether wrote about apps: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE."};

const struct cli_cmd *cli_events_cmd(void)
{
	return &cmd;
}

static void event_line(const cJSON *ev, char *out, size_t n)
{
	const char *t = json_nonempty(ev, "lastTimestamp", NULL);
	char age[32], kind[64];
	size_t i;

	ops_age_of(t ? t : json_str(ev, "eventTime", NULL), age, sizeof(age));
	snprintf(kind, sizeof(kind), "%s", json_str_or(ev, "", "involvedObject", "kind", NULL));
	for (i = 0; kind[i]; i++)
		kind[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z' ? kind[i] - 'A' + 'a' : kind[i]);
	snprintf(out, n, "%-9s %-8s %-14s %s/%-30s %s", age, json_str_or(ev, "", "type", NULL),
		 json_str_or(ev, "", "reason", NULL), kind,
		 json_str_or(ev, "", "involvedObject", "name", NULL),
		 json_str_or(ev, "", "message", NULL));
}

/* The identity of one sighting: its name, and its count (a repeat moves it). */
static void event_key(const cJSON *ev, char *out, size_t n)
{
	snprintf(out, n, "%s/%s#%lld", json_str_or(ev, "", "metadata", "namespace", NULL),
		 json_str_or(ev, "", "metadata", "name", NULL),
		 (long long)json_int(ev, 1, "count", NULL));
}

/* Prints the Events of list not in seen, and adds them to it. */
static void print_new(const cJSON *list, struct strlist *seen)
{
	const cJSON *ev;
	char line[1400], key[400];

	cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		event_key(ev, key, sizeof(key));
		if (strlist_contains(seen, key))
			continue;
		event_line(ev, line, sizeof(line));
		puts(line);
		strlist_add(seen, key);
	}
	fflush(stdout);
}

static int show(struct cli_ops *o, struct err *e)
{
	const char *app = o->args.n ? o->args.items[0] : NULL;
	struct strlist seen;
	cJSON *list = NULL;
	int rc;

	strlist_init(&seen);
	for (bool first = true;; first = false) {
		if ((rc = ops_events(o->kube, o->flags.namespace, app, &list, e)) < 0)
			break;
		if (cli_doc_output(o->flags.output)) {
			rc = cli_print_doc(list, o->flags.output, e);
		} else {
			if (first)
				printf("%-9s %-8s %-14s %-40s %s\n", "LAST SEEN", "TYPE", "REASON",
				       "OBJECT", "MESSAGE");
			print_new(list, &seen);
		}
		cJSON_Delete(list);
		list = NULL;
		if (rc < 0 || !o->flags.watch)
			break;
		sleep_for_ms(WATCH_MS);
	}
	strlist_dispose(&seen);
	return rc;
}

int cmd_events(int argc, char **argv)
{
	struct cli_ops o;
	struct err e;
	int code = 0;

	err_clear(&e);
	if (cli_ops_open(&cmd, argc, argv, &o, &code))
		goto out;
	if (o.args.n > 1) {
		cli_error(&cmd, "events takes at most one APP", true);
		code = 2;
	} else if (show(&o, &e) < 0) {
		code = cli_ops_fail(&cmd, &e);
	}
out:
	cli_ops_close(&o);
	return code;
}
