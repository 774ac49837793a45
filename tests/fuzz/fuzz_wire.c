/*
 * The runtime's message decoder: any bytes, as a whole message payload of
 * any frame type, then every pod inside through podcheck, as the monitor
 * would. Nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "podcheck.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct wire_msg	m;
	struct diags	d;
	char		err[WIRE_ERR_MAX];
	uint32_t	type;

	if (len < 1)
		return 0;
	type = buf[0] % 16;	/* the frame type the payload claims */
	memset(&m, 0, sizeof(m));
	if (wire_decode(buf + 1, len - 1, type, &m, err) == 0 &&
	    m.w->body_case == SPW__WIRE__BODY_POD_UPSERT &&
	    m.w->podupsert->pod != NULL) {
		memset(&d, 0, sizeof(d));
		(void)podcheck_pod(m.w->podupsert->pod, &d);
	}
	arena_free(&m.arena);
	return 0;
}
