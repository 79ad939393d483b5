#include "number.h"

#include <errno.h>
#include <stdlib.h>

int
num_parse(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;	/* strtoull would take a sign or spaces */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
