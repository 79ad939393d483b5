/* SPDX-License-Identifier: ISC */
/* The backends, found by the name vmm.conf gives them. */
#include "vmm.h"
#include "placed.h"

#include <string.h>

static const struct vmm_backend *const vmm_backends[] = {
	&vmm_netns_backend, &vmm_qemu_backend, &vmm_xen_backend,
	&vmm_remote_backend,
};

const struct vmm_backend *
vmm_backend_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(vmm_backends) / sizeof(vmm_backends[0]); i++)
		if (strcmp(vmm_backends[i]->name, name) == 0)
			return vmm_backends[i];
	return NULL;
}
