/* Shared by the fuzz targets: run one input through the whole parser. */
#ifndef STATICPODD_FUZZ_MANIFEST_H
#define STATICPODD_FUZZ_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
void	fuzz_manifest(const uint8_t *, size_t, bool json);

#endif
