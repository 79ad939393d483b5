/* SPDX-License-Identifier: ISC */
#include "proctree.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

static bool
tree_has(const struct proctree *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->pid[i] == pid)
			return true;
	return false;
}

/* Append the children of every thread of pid. */
static void
tree_children(pid_t pid, struct proctree *t)
{
	char path[64], buf[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char file[384], *p, *end;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/children", path, de->d_name);
		if (vmm_read_file(file, buf, sizeof(buf), NULL) == -1)
			continue;
		for (p = buf; *p; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			if (c > 0 && t->n < PROCTREE_MAX && !tree_has(t, (pid_t)c))
				t->pid[t->n++] = (pid_t)c;
		}
	}
	closedir(d);
}

int
proctree_walk(pid_t leader, struct proctree *t)
{
	t->n = 0;
	if (leader <= 0 || !vmm_pid_alive(leader))
		return 0;
	t->pid[t->n++] = leader;
	for (size_t i = 0; i < t->n; i++)
		tree_children(t->pid[i], t);
	return 0;
}

int
proctree_in_netns(pid_t pid, const char *nspath)
{
	char link[64], buf[64], want[64];
	struct stat st;
	ssize_t n;

	if (stat(nspath, &st) == -1)
		return 0;
	snprintf(link, sizeof(link), "/proc/%d/ns/net", (int)pid);
	if ((n = readlink(link, buf, sizeof(buf) - 1)) < 0)
		return 0;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "net:[%lu]", (unsigned long)st.st_ino);
	return strcmp(buf, want) == 0;
}
