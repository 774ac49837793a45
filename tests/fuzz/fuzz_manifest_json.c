#include "fuzz_manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	fuzz_manifest(buf, len, true);
	return 0;
}
