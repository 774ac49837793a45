/*
 * config: the checks on a configuration, shared by the fetcher (which
 * reports them with the file's line and column) and the runtime (which
 * applies them again to the merged result, because CONFIG arrives from an
 * unprivileged process). Errors name fields as the file spells them.
 */
#ifndef STATICPODD_CONFIG_H
#define STATICPODD_CONFIG_H

#include "diag.h"
#include "wire.pb-c.h"

int	config_check(const Spw__Config *, struct diags *);

#endif
