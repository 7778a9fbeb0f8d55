/*
 * inventory_parts: an inventory larger than one ConfigMap, kept as a text in parts
 * (parts.c): the head tether-inventory-<app>, and parts tether-inventory-<app>-<h16>
 * labelled tether.dev/inventory-part=<app>, cut at line boundaries. A crash leaves the
 * previous head with all of its parts or the new one with all of its: membership is
 * never lost, and prune never trusts a part that no head names.
 */
#include <stdio.h>

#include "sync_int.h"

const struct text_parts inventory_text = {
    .what = "inventory",
    .prefix = SYNC_INVENTORY_PREFIX,
    .label = SYNC_INVENTORY_PART_LABEL,
    .key = "objects",
    .lines = true,
};

int inventory_read_parts(struct kube *k, struct inventory *inv, const char *app, const char *ns,
			 struct err *e)
{
	struct strlist texts;
	int rc;

	strlist_init(&texts);
	rc = parts_read(k, &inventory_text, app, ns, &inv->parts, &texts, e);
	if (rc == TE_NOTFOUND || rc == TE_INPUT) {
		char what[sizeof(e->msg)];

		snprintf(what, sizeof(what), "%s", e->msg);
		if (rc == TE_NOTFOUND)
			err_set(e, TE_INPUT,
				"%s: the app's membership is incomplete, so nothing is "
				"applied or pruned; delete %s/" SYNC_INVENTORY_PREFIX "%s to start "
				"again (objects are then adopted, and none is pruned on that sync)",
				what, ns, app);
		else
			err_set(e, TE_INPUT, "%s: nothing is applied or pruned", what);
		rc = TE_INPUT;
	}
	for (size_t i = 0; i < texts.n && rc == 0; i++)
		rc = inventory_decode(inv, texts.items[i], e);
	strlist_dispose(&texts);
	return rc;
}
