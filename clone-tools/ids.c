/* SPDX-License-Identifier: ISC */
/*
 * A type's ids against the host's: asked of the name service and the
 * subordinate id files when a type is snapshotted, not at every clone.
 */
#include "vmm.h"

#include <err.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>

/* Does lo..hi meet a line "name:start:count" of a subordinate id file? */
static int
conf_sub_ids(const struct vmm_conf *conf, const struct vmm_type *t,
    const char *file)
{
	uint32_t lo = t->ids, hi = t->ids + VMM_IDS_COUNT - 1;
	char line[512], name[256];
	unsigned long long start, count;
	FILE *f = fopen(file, "re");
	int rc = 0;

	if (f == NULL)
		return 0;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%255[^:]:%llu:%llu", name, &start, &count) == 3 &&
		    count > 0 && start <= hi && start + count - 1 >= lo) {
			warnx("%s:%d: type %s: ids %u..%u overlap %s's range for %s "
			    "(%llu..%llu)", conf->path, t->ids_line, t->name, lo, hi,
			    file, name, start, start + count - 1);
			rc = -1;
		}
	fclose(f);
	return rc;
}

/*
 * The type's ids must be no one's on the host: no user or group has one,
 * and no other user's containers map them (/etc/subuid, /etc/subgid).
 * Asked of the name service, so potemkin-snapshot checks it, not every
 * clone.
 */
int
vmm_ids_free(const struct vmm_conf *conf, const struct vmm_type *t)
{
	uint32_t lo = t->ids, hi = t->ids + VMM_IDS_COUNT - 1;
	struct passwd *pw;
	struct group *gr;
	int rc = 0;

	setpwent();
	while (rc == 0 && (pw = getpwent()) != NULL)
		if (pw->pw_uid >= lo && pw->pw_uid <= hi) {
			warnx("%s:%d: type %s: ids %u..%u include host user %s "
			    "(uid %u)", conf->path, t->ids_line, t->name, lo, hi,
			    pw->pw_name, (unsigned)pw->pw_uid);
			rc = -1;
		}
	endpwent();
	setgrent();
	while (rc == 0 && (gr = getgrent()) != NULL)
		if (gr->gr_gid >= lo && gr->gr_gid <= hi) {
			warnx("%s:%d: type %s: ids %u..%u include host group %s "
			    "(gid %u)", conf->path, t->ids_line, t->name, lo, hi,
			    gr->gr_name, (unsigned)gr->gr_gid);
			rc = -1;
		}
	endgrent();
	if (rc == 0)
		rc = conf_sub_ids(conf, t, "/etc/subuid");
	if (rc == 0)
		rc = conf_sub_ids(conf, t, "/etc/subgid");
	return rc;
}
